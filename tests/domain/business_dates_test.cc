// Business dates (business_dates.h): an event is dated within its
// consortium's (or program's) life and not after the server's clock. Given
// earlier events, when a command, then this refusal and nothing recorded.
#include "services/domain/business_dates.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/domain/ledger_fixture.h"

namespace alliance::domain::testing {
namespace {

using ::absl::StatusCode;

absl::Time AtTime(const std::string& rfc3339) {
  const google::protobuf::Timestamp timestamp = At(rfc3339);
  return absl::FromUnixSeconds(timestamp.seconds());
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(absl::ToUnixSeconds(time));
  return timestamp;
}

class BusinessDatesTest : public ::testing::Test {
 protected:
  void SetUp() override { ledger_.Given2023WithAgreements(); }

  // A 2024 payment to Chungnam dated `occurred_at`.
  static v1::DisburseFundsRequest PaymentDated(const google::protobuf::Timestamp& occurred_at) {
    v1::DisburseFundsRequest request = Disbursement(kChungnam, 2024, 1'000'000, "KIAT-PAY-DATE");
    *request.mutable_disbursement()->mutable_occurred_at() = occurred_at;
    return request;
  }

  Ledger ledger_;
};

// The case: a 2024 payment dated 2099.
TEST_F(BusinessDatesTest, PaymentDatedAfterTheServersClockIsRefused) {
  ledger_.set_now(AtTime("2024-07-01T09:00:00Z"));
  const size_t events_before = ledger_.log().size();

  absl::Status status = ledger_.Record(PaymentDated(At("2099-06-01T00:00:00Z"))).status();

  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "OCCURRED_IN_FUTURE",
                        {{"occurred_at", "2099-06-01T00:00:00+00:00"},
                         {"server_time", "2024-07-01T09:00:00+00:00"},
                         {"clock_skew_allowance", "5m"}}));
  EXPECT_NE(status.message().find("2099-06-01"), absl::string_view::npos) << status;
  EXPECT_EQ(ledger_.log().size(), events_before);
  EXPECT_EQ(ledger_.state().consortia.at(std::string(kChungnam)).funding_by_year(1).disbursed_krw(),
            0);
}

// Clock skew: a few minutes ahead is taken, beyond the allowance is not.
TEST_F(BusinessDatesTest, TheClockSkewAllowanceIsTheLimit) {
  const absl::Time now = AtTime("2024-07-01T09:00:00Z");
  ledger_.set_now(now);

  EXPECT_TRUE(ledger_.Record(PaymentDated(ToTimestamp(now + kClockSkewAllowance))).ok());

  v1::DisburseFundsRequest late =
      PaymentDated(ToTimestamp(now + kClockSkewAllowance + absl::Seconds(1)));
  late.mutable_disbursement()->set_payment_reference("KIAT-PAY-DATE-2");
  EXPECT_TRUE(IsRefusal(ledger_.Record(late).status(), StatusCode::kFailedPrecondition,
                        "OCCURRED_IN_FUTURE"));
}

// The other case: a payment dated 2020, before the consortium was
// selected (2023-04-28T09:00:00Z).
TEST_F(BusinessDatesTest, PaymentDatedBeforeTheSelectionIsRefused) {
  const size_t events_before = ledger_.log().size();

  absl::Status status = ledger_.Record(PaymentDated(At("2020-06-01T00:00:00Z"))).status();

  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "OCCURRED_BEFORE_SELECTION",
                        {{"occurred_at", "2020-06-01T00:00:00+00:00"},
                         {"not_before", "2023-04-28T09:00:00+00:00"},
                         {"consortium_id", std::string(kChungnam)}}));
  EXPECT_EQ(ledger_.log().size(), events_before);
}

TEST_F(BusinessDatesTest, AnEventAtTheMomentOfSelectionIsTaken) {
  EXPECT_TRUE(ledger_.Record(PaymentDated(At("2023-04-28T09:00:00Z"))).ok());
}

// Every event of a consortium, not only payments: a lab designation.
TEST_F(BusinessDatesTest, ALabDesignatedBeforeTheSelectionIsRefused) {
  v1::DesignateLabRequest lab = Lab(kUlsan, "ulsan-lab", Pid("ulsan-univ"));
  *lab.mutable_designation()->mutable_occurred_at() = At("2023-04-01T00:00:00Z");
  EXPECT_TRUE(IsRefusal(ledger_.Record(lab).status(), StatusCode::kFailedPrecondition,
                        "OCCURRED_BEFORE_SELECTION", {{"consortium_id", std::string(kUlsan)}}));
}

// A payment run is refused whole when one payment is misdated.
TEST_F(BusinessDatesTest, APaymentRunWithOneFuturePaymentIsRefusedWhole) {
  ledger_.set_now(AtTime("2024-07-01T09:00:00Z"));
  v1::DisburseFundsBatchRequest run = PaymentRun(kChungnam, 2024, {1'000, 2'000, 3'000}, "RUN");
  *run.mutable_disbursements(2)->mutable_occurred_at() = At("2024-12-01T00:00:00Z");
  const size_t events_before = ledger_.log().size();

  EXPECT_TRUE(IsRefusal(ledger_.RecordBatch(run).status(), StatusCode::kFailedPrecondition,
                        "OCCURRED_IN_FUTURE"));
  EXPECT_EQ(ledger_.log().size(), events_before);
}

// Before a consortium exists, its selection lies within its program's life.
TEST(BusinessDatesProgramTest, ASelectionBeforeItsProgramWasEstablishedIsRefused) {
  Ledger ledger;
  ledger.Given(Program2023());  // established 2023-01-02
  v1::OpenSelectionRoundRequest round = Round(2023, 3);
  *round.mutable_round()->mutable_occurred_at() = At("2022-12-01T00:00:00Z");
  EXPECT_TRUE(IsRefusal(
      ledger.Record(round).status(), StatusCode::kFailedPrecondition, "OCCURRED_BEFORE_PROGRAM",
      {{"program_id", std::string(kProgram2023)}, {"not_before", "2023-01-02T00:00:00+00:00"}}));

  ledger.Given(Round(2023, 3));
  v1::SelectConsortiumRequest selection = Chungnam();
  *selection.mutable_selection()->mutable_occurred_at() = At("2022-12-31T00:00:00Z");
  EXPECT_TRUE(IsRefusal(ledger.Record(selection).status(), StatusCode::kFailedPrecondition,
                        "OCCURRED_BEFORE_PROGRAM"));
}

// The rules of the command come first: an unknown consortium is NOT_FOUND
// whatever the date.
TEST_F(BusinessDatesTest, TheCommandsOwnRulesComeFirst) {
  v1::DisburseFundsRequest request = PaymentDated(At("2099-06-01T00:00:00Z"));
  request.mutable_disbursement()->set_consortium_id("nowhere");
  EXPECT_TRUE(
      IsRefusal(ledger_.Record(request).status(), StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND"));
}

}  // namespace
}  // namespace alliance::domain::testing
