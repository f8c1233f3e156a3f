// What the rule tests of the lifecycle share (selection_test.cc,
// funding_test.cc, researchers_test.cc, oversight_test.cc): the read models
// a Ledger (ledger_fixture.h) folded, looked up by id; the state changes a
// test starts from; and a second program, of other rules than 2023's.
//
//   GivenState(ledger, StateCommand::kSuspend, StateChange(kChungnam));
//   EXPECT_EQ(YearIn(ConsortiumIn(ledger, kChungnam), 2023).committed_krw(), 0);
#ifndef ALLIANCE_TESTS_DOMAIN_LIFECYCLE_FIXTURE_H_
#define ALLIANCE_TESTS_DOMAIN_LIFECYCLE_FIXTURE_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "alliance/v1/queries.pb.h"
#include "gtest/gtest.h"
#include "tests/domain/ledger_fixture.h"

namespace alliance::domain::testing {

inline const std::string kChungnamId(kChungnam);
inline const std::string kGyeongnamId(kGyeongnam);
inline const std::string kUlsanId(kUlsan);

inline const v1::ConsortiumStatus& ConsortiumIn(const Ledger& ledger,
                                                absl::string_view consortium_id) {
  return ledger.state().consortia.at(std::string(consortium_id));
}

inline const v1::ProgramSummary& ProgramIn(const Ledger& ledger) {
  return ledger.state().programs.at(std::string(kProgram2023));
}

inline const v1::YearFunding& YearIn(const v1::ConsortiumStatus& consortium, int32_t program_year) {
  for (const v1::YearFunding& year : consortium.funding_by_year()) {
    if (year.program_year() == program_year) return year;
  }
  ADD_FAILURE() << "no funding entry for " << program_year;
  static const v1::YearFunding kNone;
  return kNone;
}

inline const v1::YearSummary& YearIn(const v1::ProgramSummary& program, int32_t program_year) {
  for (const v1::YearSummary& year : program.by_year()) {
    if (year.program_year() == program_year) return year;
  }
  static const v1::YearSummary kNone;  // a year nothing was recorded for: all zero
  return kNone;
}

inline const v1::Researcher& ResearcherIn(const v1::ConsortiumStatus& consortium,
                                          absl::string_view researcher_id) {
  for (const v1::Researcher& researcher : consortium.researchers()) {
    if (researcher.researcher_id() == researcher_id) return researcher;
  }
  ADD_FAILURE() << "no researcher " << researcher_id;
  static const v1::Researcher kNone;
  return kNone;
}

inline const v1::Membership* MemberIn(const v1::ConsortiumStatus& consortium,
                                      const std::string& participant_id) {
  for (const v1::Membership& member : consortium.members()) {
    if (member.participant().participant_id() == participant_id) return &member;
  }
  return nullptr;
}

inline bool IsParticipant(const v1::ConsortiumStatus& consortium,
                          const std::string& participant_id) {
  for (const v1::Participant& participant : consortium.participants()) {
    if (participant.participant_id() == participant_id) return true;
  }
  return false;
}

// A state change the test starts from: it must be accepted.
inline v1::EventEnvelope GivenState(Ledger& ledger, StateCommand command,
                                    v1::ChangeConsortiumStateRequest request) {
  absl::StatusOr<v1::EventEnvelope> envelope = ledger.RecordState(command, std::move(request));
  EXPECT_TRUE(envelope.ok()) << envelope.status();
  return envelope.ok() ? *envelope : v1::EventEnvelope();
}

// In the term's last year (2027 for a 2023 consortium): it may complete.
inline constexpr char kInLastTermYear[] = "2027-06-01T00:00:00Z";

// A second program with other rules: 3 enterprises, Busan excluded, a 3-year
// term, and a consortium limit below 3 x the annual limit so that the
// running-total rule can bite before the annual one.
inline constexpr absl::string_view kProgram2025 = "alliance-2025";

inline v1::ProgramRules Rules2025() {
  v1::ProgramRules rules;
  rules.set_first_year(2025);
  rules.set_last_year(2027);
  rules.set_total_budget_krw(9'000'000'000);
  rules.set_consortium_limit_krw(3'000'000'000);
  rules.set_consortium_annual_limit_krw(1'200'000'000);
  rules.set_consortium_term_years(3);
  rules.set_min_midsized_enterprises(3);
  rules.add_excluded_region_codes("KR-26");
  rules.set_hiring_target(12);
  return rules;
}

inline v1::SelectConsortiumRequest In2025(v1::SelectConsortiumRequest request) {
  request.mutable_selection()->set_program_id(std::string(kProgram2025));
  request.mutable_selection()->set_round_year(2025);
  return request;
}

}  // namespace alliance::domain::testing

#endif  // ALLIANCE_TESTS_DOMAIN_LIFECYCLE_FIXTURE_H_
