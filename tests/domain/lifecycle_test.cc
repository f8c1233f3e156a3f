// The lifecycle's rules (services/domain/decide.h) on the pure domain: for
// each command, accepted as its event, and refused with the right code and
// reason.
#include "gtest/gtest.h"
#include "tests/domain/ledger_fixture.h"

namespace alliance::domain::testing {
namespace {

using ::absl::StatusCode;

TEST(SignAgreement, Agreement_SetsTheYearsCommitment) {
  Ledger ledger;
  ledger.Given2023();
  ASSERT_TRUE(ledger.Record(Agreement(kChungnam, 2023, 1'000'000'000)).ok());
  const v1::YearFunding& year =
      ledger.state().consortia.at(std::string(kChungnam)).funding_by_year(0);
  EXPECT_EQ(year.committed_krw(), 1'000'000'000);
  EXPECT_EQ(year.remaining_commitment_krw(), 1'000'000'000);
  EXPECT_TRUE(IsRefusal(ledger.Record(Disbursement(kChungnam, 2023, 1'000'000'001, "C-1")).status(),
                        StatusCode::kFailedPrecondition, "COMMITMENT_EXCEEDED"));
}

}  // namespace
}  // namespace alliance::domain::testing
