// Selection and membership (services/domain/selection.h), given/when/then.
// Validation: each bad request refused with INVALID_ARGUMENT naming the
// field. Rules: given earlier events, when a command, then this event or
// this refusal, one test a reason in the order selection.h lists them; and
// what the fold makes of memberships.
#include "services/domain/selection.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "alliance/v1/commands.pb.h"
#include "gtest/gtest.h"
#include "services/domain/regions.h"
#include "services/domain/validation.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/domain/lifecycle_fixture.h"
#include "tests/domain/validation_fixture.h"
#include "tests/support/test_participant_id.h"

// ---- Validation -------------------------------------------------------------------

namespace alliance::domain::testing::validation {
namespace {

using ::alliance::testing::TestParticipantId;

// ---- regions --------------------------------------------------------------------------------

TEST(Validate, Region_EachOfTheSeventeenIsAcceptedWithItsName) {
  for (const Region& region : Regions()) {
    absl::Status status = ValidateSelectConsortium(WithMeta(Hypothetical("c", region.code)));
    EXPECT_TRUE(status.ok()) << region.code << ": " << status;
  }
}

TEST(Validate, Region_FormerNamesAreAcceptedForTheRenamedProvinces) {
  for (const auto& [code, former] : {std::pair{"KR-42", "강원도"}, {"KR-45", "전라북도"}}) {
    v1::SelectConsortiumRequest request = WithMeta(Hypothetical("c", code));
    request.mutable_selection()->set_region_name_ko(former);
    absl::Status status = ValidateSelectConsortium(request);
    EXPECT_TRUE(status.ok()) << code << ": " << status;
  }
}

TEST(Validate, Region_MustBeOneOfTheSeventeen) {
  for (const char* bad : {"KR-99", "KR-1", "KR-4", "kr-44", "KR-444", "KR44", "JP-13", "KR-10"}) {
    v1::SelectConsortiumRequest request = WithMeta(Chungnam());
    request.mutable_selection()->set_region_code(bad);
    absl::Status status = ValidateSelectConsortium(request);
    EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "selection.region_code")) << bad;
    EXPECT_TRUE(Contains(status, "one of Korea's 17 first-level divisions, e.g. KR-44 (충청남도)"))
        << status;
    EXPECT_TRUE(Contains(status, absl::StrFormat("(got \"%s\")", bad))) << status;
  }
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->clear_region_code();
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kMissing, "selection.region_code"));
  // A code too long or not text to quote is described, not echoed.
  request.mutable_selection()->set_region_code(std::string(1000, 'K'));
  absl::Status status = ValidateSelectConsortium(request);
  EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "selection.region_code"));
  EXPECT_TRUE(Contains(status, "(got 1000 bytes)")) << status;
}

TEST(Validate, Region_NameMustBeTheDivisionsName) {
  // Another division's name, an abbreviation, the English name, a former
  // name under the wrong code.
  for (const auto& [code, name] : {std::pair{"KR-44", "충청북도"},
                                   {"KR-44", "충남"},
                                   {"KR-44", "South Chungcheong Province"},
                                   {"KR-45", "강원도"},
                                   {"KR-11", "서울"}}) {
    v1::SelectConsortiumRequest request = WithMeta(Hypothetical("c", code));
    request.mutable_selection()->set_region_name_ko(name);
    absl::Status status = ValidateSelectConsortium(request);
    EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "selection.region_name_ko")) << code << name;
    EXPECT_TRUE(Contains(status, FindRegion(code)->name_ko)) << status;
  }
  v1::SelectConsortiumRequest request = WithMeta(Hypothetical("c", "KR-45"));
  request.mutable_selection()->set_region_name_ko("전북");
  EXPECT_TRUE(Contains(ValidateSelectConsortium(request), "or its former name \"전라북도\""));
  request.mutable_selection()->clear_region_name_ko();
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kMissing, "selection.region_name_ko"));
}

// ---- participants ---------------------------------------------------------------------------

TEST(Validate, Participants_IdIsRequired) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->mutable_participants(1)->clear_participant_id();
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kMissing,
                             "selection.participants[1].participant_id"));
  request = WithMeta(Chungnam());
  request.mutable_selection()->clear_lead_participant_id();
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kMissing, "selection.lead_participant_id"));
}

TEST(Validate, Participants_RoleMustBeAKnownValue) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->mutable_participants(2)->set_role(v1::PARTICIPANT_ROLE_UNSPECIFIED);
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kMissing,
                             "selection.participants[2].role"));
  request.mutable_selection()->mutable_participants(2)->set_role(
      static_cast<v1::ParticipantRole>(99));
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kInvalid,
                             "selection.participants[2].role"));
}

TEST(Validate, Participants_IdsAreUnique) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  v1::ConsortiumSelected* selection = request.mutable_selection();
  selection->mutable_participants(3)->set_participant_id(
      selection->participants(1).participant_id());
  absl::Status status = ValidateSelectConsortium(request);
  EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "selection.participants[3].participant_id"));
  EXPECT_TRUE(Contains(status, "selection.participants[1]")) << status;
}

TEST(Validate, Participants_LeadIsAmongThem) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->set_lead_participant_id(TestParticipantId("changwon-univ"));
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.lead_participant_id"));
}

TEST(Validate, Participants_AtLeastOneAndAtMostTheMaximum) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->clear_participants();
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kMissing, "selection.participants"));
  request =
      WithMeta(Hypothetical("big", "KR-44", static_cast<int>(kParticipantsMax)));  // one too many
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.participants"));
  request = WithMeta(Hypothetical("big", "KR-44", static_cast<int>(kParticipantsMax) - 1));
  EXPECT_TRUE(ValidateSelectConsortium(request).ok());
}

// ---- membership ---------------------------------------------------------------------------

TEST(Validate, JoinConsortium) {
  using R = v1::JoinConsortiumRequest;
  auto participant = [](R* r) { return r->mutable_joining()->mutable_participant(); };
  ExpectRefusals<R>(
      ValidateJoinConsortium, WithMeta(Joining()),
      {
          {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
          {[](R* r) { r->clear_joining(); }, kMissing, "joining"},
          {[](R* r) { r->mutable_joining()->clear_consortium_id(); }, kMissing,
           "joining.consortium_id"},
          {[](R* r) { r->mutable_joining()->set_consortium_id("A"); }, kInvalid,
           "joining.consortium_id"},
          {[](R* r) { r->mutable_joining()->clear_participant(); }, kMissing,
           "joining.participant"},
          {[&](R* r) { participant(r)->clear_participant_id(); }, kMissing,
           "joining.participant.participant_id"},
          {[&](R* r) { participant(r)->set_participant_id("3128195583"); }, kInvalid,
           "joining.participant.participant_id"},
          {[&](R* r) { participant(r)->clear_name_ko(); }, kMissing, "joining.participant.name_ko"},
          {[&](R* r) { participant(r)->set_name_en(kTooLong); }, kInvalid,
           "joining.participant.name_en"},
          {[&](R* r) { participant(r)->set_role(v1::PARTICIPANT_ROLE_UNSPECIFIED); }, kMissing,
           "joining.participant.role"},
          {[&](R* r) { participant(r)->set_role(static_cast<v1::ParticipantRole>(99)); }, kInvalid,
           "joining.participant.role"},
          {[](R* r) { r->mutable_joining()->clear_occurred_at(); }, kMissing,
           "joining.occurred_at"},
      });
}

TEST(Validate, WithdrawParticipant) {
  using R = v1::WithdrawParticipantRequest;
  ExpectRefusals<R>(
      ValidateWithdrawParticipant, WithMeta(Withdrawal()),
      {
          {[](R* r) { r->clear_meta(); }, kMissing, "meta.event_id"},
          {[](R* r) { r->clear_consortium_id(); }, kMissing, "consortium_id"},
          {[](R* r) { r->set_consortium_id("a b"); }, kInvalid, "consortium_id"},
          {[](R* r) { r->clear_participant_id(); }, kMissing, "participant_id"},
          {[](R* r) { r->set_participant_id("yongsan"); }, kInvalid, "participant_id"},
          {[](R* r) { r->clear_reason(); }, kMissing, "reason"},
          {[](R* r) { r->set_reason(std::string("a\0b", 3)); }, kInvalid, "reason"},
          {[](R* r) { r->clear_occurred_at(); }, kMissing, "occurred_at"},
      });
}

}  // namespace
}  // namespace alliance::domain::testing::validation

// ---- Rules --------------------------------------------------------------------------

namespace alliance::domain::testing {
namespace {

using ::absl::StatusCode;

// ---- SelectConsortium (rule 1) ---------------------------------------------------------

TEST(SelectConsortium, Selection_AcceptsThe2023Consortia) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2023, 3));
  for (const v1::SelectConsortiumRequest& request : {Chungnam(), Gyeongnam(), Ulsan()}) {
    absl::StatusOr<v1::EventEnvelope> event = ledger.Record(request);
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_EQ(event->payload().consortium_selected().consortium_id(),
              request.selection().consortium_id());
  }
}

TEST(SelectConsortium, Selection_RefusedWhenProgramNotFound) {
  Ledger ledger;
  EXPECT_TRUE(IsRefusal(ledger.Record(Chungnam()).status(), StatusCode::kNotFound,
                        "PROGRAM_NOT_FOUND", {{"program_id", "alliance-2023"}}));
}

TEST(SelectConsortium, Selection_RefusedWhenConsortiumAlreadySelected) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(ledger.Record(Chungnam()).status(), StatusCode::kAlreadyExists,
                        "CONSORTIUM_ALREADY_SELECTED",
                        {{"consortium_id", std::string(kChungnam)}, {"round_year", "2023"}}));
}

TEST(SelectConsortium, Selection_RefusedWhenRoundOutsideProgramPeriod) {
  Ledger ledger;
  ledger.Given(Program2023());
  for (int round_year : {2022, 2029}) {
    v1::SelectConsortiumRequest request = Chungnam();
    request.mutable_selection()->set_round_year(round_year);
    EXPECT_TRUE(IsRefusal(ledger.Record(request).status(), StatusCode::kFailedPrecondition,
                          "ROUND_OUTSIDE_PROGRAM_PERIOD",
                          {{"round_year", std::to_string(round_year)},
                           {"first_year", "2023"},
                           {"last_year", "2028"}}));
  }
}

TEST(SelectConsortium, Selection_RefusedWhenTermWouldRunPastProgramPeriod) {
  Ledger ledger;
  ledger.Given(Program2023());
  v1::SelectConsortiumRequest request = Chungnam();
  request.mutable_selection()->set_round_year(2025);  // 2025..2029, the program ends 2028
  absl::Status status = ledger.Record(request).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "TERM_OUTSIDE_PROGRAM_PERIOD",
                        {{"term_last_year", "2029"}, {"last_year", "2028"}}));
}

TEST(SelectConsortium, Selection_AcceptedWhenTermEndsInProgramsLastYear) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2024, 3));
  v1::SelectConsortiumRequest request = Chungnam();
  request.mutable_selection()->set_round_year(2024);  // 2024..2028: the 2024 round
  EXPECT_TRUE(ledger.Record(request).ok());
}

TEST(SelectConsortium, Selection_RefusedWhenLeadIsNotAUniversity) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2023, 3));
  v1::SelectConsortiumRequest request = Chungnam();
  request.mutable_selection()->set_lead_participant_id(Pid("katech"));  // a research institute
  absl::Status status = ledger.Record(request).status();
  EXPECT_TRUE(IsRefusal(
      status, StatusCode::kFailedPrecondition, "LEAD_NOT_UNIVERSITY",
      {{"lead_participant_id", Pid("katech")}, {"role", "PARTICIPANT_ROLE_RESEARCH_INSTITUTE"}}));
}

TEST(SelectConsortium, Selection_RefusedWithFewerMidsizedEnterprisesThanTheProgramRequires) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2023, 3));
  v1::SelectConsortiumRequest request = Chungnam();
  // Yongsan takes part as a research institute instead: one enterprise left.
  request.mutable_selection()->mutable_participants(2)->set_role(
      v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE);
  absl::Status status = ledger.Record(request).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "TOO_FEW_MIDSIZED_ENTERPRISES",
                        {{"midsized_enterprise_count", "1"}, {"min_midsized_enterprises", "2"}}));
  EXPECT_EQ(status.message(),
            "the consortium has 1 mid-sized enterprise; the program requires at least 2");
}

TEST(SelectConsortium, Selection_AcceptedWithExactlyTheMinimumOfMidsizedEnterprises) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2023, 3));
  EXPECT_TRUE(ledger.Record(Gyeongnam()).ok());  // PK Valve and Within: exactly 2
}

TEST(SelectConsortium, Selection_RefusedInAnExcludedRegion) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2023, 3));
  v1::SelectConsortiumRequest request = Chungnam();
  request.mutable_selection()->set_region_code("KR-41");
  request.mutable_selection()->set_region_name_ko("경기도");
  absl::Status status = ledger.Record(request).status();
  EXPECT_TRUE(
      IsRefusal(status, StatusCode::kFailedPrecondition, "REGION_EXCLUDED",
                {{"region_code", "KR-41"}, {"excluded_region_codes", "KR-11,KR-28,KR-41"}}));
  EXPECT_EQ(status.message(),
            "region KR-41 (경기도) is in the program's excluded regions (KR-11, KR-28, KR-41)");
}

TEST(SelectConsortium, Selection_SixConsortiaFitTheBudget_TheSeventhFindsTheRoundFull) {
  Ledger ledger;
  ledger.Given2023();
  // The round of three planned for 2024: no code change, one event.
  ledger.Given(Round(2024, 3));
  for (auto [id, region] :
       {std::pair{"chungbuk-bio", "KR-43"}, std::pair{"jeonbuk-hydrogen", "KR-45"},
        std::pair{"gyeongbuk-robotics", "KR-47"}}) {
    v1::SelectConsortiumRequest request = Hypothetical(id, region);
    request.mutable_selection()->set_round_year(2024);
    ledger.Given(request);
  }
  EXPECT_EQ(ledger.state().programs.at("alliance-2023").uncommitted_krw(), 0);
  v1::SelectConsortiumRequest seventh = Hypothetical("jeonnam-energy", "KR-46");
  seventh.mutable_selection()->set_round_year(2024);
  absl::Status status = ledger.Record(seventh).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "ROUND_FULL",
                        {{"round_year", "2024"}, {"slots", "3"}, {"selected_count", "3"}}));
  EXPECT_NE(status.message().find("chungbuk-bio, jeonbuk-hydrogen, gyeongbuk-robotics"),
            absl::string_view::npos)
      << status;
}

TEST(SelectConsortium, Selection_RefusedWhenNoRoundIsOpenForTheYear) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2023, 3));
  v1::SelectConsortiumRequest request = Chungnam();
  request.mutable_selection()->set_round_year(2024);
  EXPECT_TRUE(IsRefusal(ledger.Record(request).status(), StatusCode::kFailedPrecondition,
                        "ROUND_NOT_OPEN", {{"round_year", "2024"}}));
}

TEST(SelectConsortium, Selection_SecondProgramEnforcesItsOwnMinimumOfEnterprises) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Program(kProgram2025, Rules2025()));
  ledger.Given(Round(2025, 3, kProgram2025));
  // Gyeongnam's two enterprises satisfy 2023's rules but not 2025's.
  absl::Status status = ledger.Record(In2025(Hypothetical("two-enterprises", "KR-44", 2))).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "TOO_FEW_MIDSIZED_ENTERPRISES",
                        {{"midsized_enterprise_count", "2"}, {"min_midsized_enterprises", "3"}}));
  EXPECT_EQ(status.message(),
            "the consortium has 2 mid-sized enterprises; the program requires at least 3");
  EXPECT_TRUE(ledger.Record(In2025(Hypothetical("three-enterprises", "KR-44", 3))).ok());
}

TEST(SelectConsortium, Selection_SecondProgramEnforcesItsOwnExcludedRegions) {
  Ledger ledger;
  ledger.Given(Program(kProgram2025, Rules2025()));
  ledger.Given(Round(2025, 3, kProgram2025));
  EXPECT_TRUE(IsRefusal(ledger.Record(In2025(Hypothetical("busan", "KR-26", 3))).status(),
                        StatusCode::kFailedPrecondition, "REGION_EXCLUDED",
                        {{"region_code", "KR-26"}, {"excluded_region_codes", "KR-26"}}));
  // Gyeonggi is excluded from the 2023 program only.
  EXPECT_TRUE(ledger.Record(In2025(Hypothetical("gyeonggi", "KR-41", 3))).ok());
}

TEST(SelectConsortium, Selection_SecondProgramEnforcesItsOwnPeriodAndBudget) {
  Ledger ledger;
  ledger.Given(Program(kProgram2025, Rules2025()));
  EXPECT_TRUE(IsRefusal(ledger.Record(Round(2025, 4, kProgram2025)).status(),
                        StatusCode::kFailedPrecondition, "ROUND_SLOTS_OVER_BUDGET",
                        {{"available_slots", "3"}}));
  ledger.Given(Round(2025, 3, kProgram2025));
  v1::SelectConsortiumRequest in_2023 = In2025(Hypothetical("early", "KR-44", 3));
  in_2023.mutable_selection()->set_round_year(2023);
  EXPECT_TRUE(IsRefusal(ledger.Record(in_2023).status(), StatusCode::kFailedPrecondition,
                        "ROUND_OUTSIDE_PROGRAM_PERIOD", {{"first_year", "2025"}}));
  for (const char* id : {"first", "second", "third"}) {
    ledger.Given(In2025(Hypothetical(id, "KR-44", 3)));  // 3 x 3.0 billion = the 9.0 billion
  }
  // The round's 3 slots are the program's 9.0 billion: a fourth finds the
  // round full, and no round of more slots could have been opened.
  EXPECT_TRUE(IsRefusal(ledger.Record(In2025(Hypothetical("fourth", "KR-44", 3))).status(),
                        StatusCode::kFailedPrecondition, "ROUND_FULL",
                        {{"slots", "3"}, {"selected_count", "3"}}));
}

// ---- JoinConsortium -------------------------------------------------------------------

TEST(JoinConsortium, Joining_AcceptedAsParticipantJoined_AndAMemberFromThen) {
  Ledger ledger;
  ledger.Given2023();
  const v1::Participant hyundai =
      Member(Pid("hyundai-transys"), "현대트랜시스", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  absl::StatusOr<v1::EventEnvelope> event = ledger.Record(Joining(kChungnam, hyundai));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_type(), "ParticipantJoined");
  EXPECT_EQ(event->payload().participant_joined().consortium_id(), kChungnamId);
  EXPECT_EQ(event->payload().participant_joined().participant().participant_id(),
            Pid("hyundai-transys"));
  EXPECT_EQ(event->payload().participant_joined().participant().role(),
            v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);

  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  EXPECT_TRUE(IsParticipant(chungnam, Pid("hyundai-transys")));
  EXPECT_EQ(chungnam.participants_size(), 6);
  const v1::Membership* member = MemberIn(chungnam, Pid("hyundai-transys"));
  ASSERT_NE(member, nullptr);
  EXPECT_TRUE(member->current());
  EXPECT_EQ(member->joined_at().seconds(), At("2024-01-15T00:00:00Z").seconds());
  EXPECT_FALSE(member->has_withdrawn_at());
  EXPECT_TRUE(ledger.last_changed().indexed_consortium_ids.contains(kChungnamId));
  EXPECT_TRUE(ledger.last_changed().participant_ids.contains(Pid("hyundai-transys")));

  const v1::ParticipantStatus& participant = ledger.state().participants.at(Pid("hyundai-transys"));
  EXPECT_EQ(participant.name_ko(), "현대트랜시스");
  ASSERT_EQ(participant.memberships_size(), 1);
  EXPECT_EQ(participant.memberships(0).consortium_id(), kChungnamId);
  EXPECT_EQ(participant.memberships(0).program_id(), std::string(kProgram2023));
  EXPECT_EQ(participant.memberships(0).role(), v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  EXPECT_FALSE(participant.memberships(0).lead());
  EXPECT_TRUE(participant.memberships(0).current());
}

TEST(JoinConsortium, Joining_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(
      ledger.Record(Joining("nowhere", Member(Pid("x"), "x", v1::PARTICIPANT_ROLE_UNIVERSITY)))
          .status(),
      StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND", {{"consortium_id", "nowhere"}}));
}

TEST(JoinConsortium, Joining_RefusedWhenConsortiumClosed_AcceptedWhileSuspended) {
  Ledger ledger;
  ledger.Given2023();
  const v1::Participant newcomer =
      Member(Pid("newcomer"), "신규기업", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  GivenState(ledger, StateCommand::kTerminate, StateChange(kChungnam));
  GivenState(ledger, StateCommand::kComplete, StateChange(kUlsan, kInLastTermYear));
  GivenState(ledger, StateCommand::kSuspend, StateChange(kGyeongnam));
  EXPECT_TRUE(
      IsRefusal(ledger.Record(Joining(kChungnam, newcomer)).status(),
                StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED",
                {{"consortium_id", kChungnamId}, {"state", "CONSORTIUM_STATE_TERMINATED"}}));
  EXPECT_TRUE(IsRefusal(ledger.Record(Joining(kUlsan, newcomer)).status(),
                        StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED",
                        {{"state", "CONSORTIUM_STATE_COMPLETED"}}));
  EXPECT_TRUE(ledger.Record(Joining(kGyeongnam, newcomer)).ok());
}

TEST(JoinConsortium, Joining_RefusedWhenAlreadyACurrentMember) {
  Ledger ledger;
  ledger.Given2023();
  // Conex again, even in another role.
  absl::Status status =
      ledger
          .Record(Joining(kChungnam, Member(Pid("conex"), "주식회사 코넥",
                                            v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE)))
          .status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kAlreadyExists, "PARTICIPANT_ALREADY_MEMBER",
                        {{"consortium_id", kChungnamId}, {"participant_id", Pid("conex")}}));
  // A member of another consortium may join this one.
  EXPECT_TRUE(ledger
                  .Record(Joining(kGyeongnam, Member(Pid("conex"), "주식회사 코넥",
                                                     v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)))
                  .ok());
}

TEST(JoinConsortium, Joining_AWithdrawnMemberMayJoinAgain_AsASecondMembership) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Withdrawal(kChungnam, Pid("katech")));
  v1::JoinConsortiumRequest rejoin =
      Joining(kChungnam,
              Member(Pid("katech"), "한국자동차연구원", v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE));
  *rejoin.mutable_joining()->mutable_occurred_at() = At("2025-01-15T00:00:00Z");
  ASSERT_TRUE(ledger.Record(rejoin).ok());
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  EXPECT_TRUE(IsParticipant(chungnam, Pid("katech")));
  int memberships = 0;
  for (const v1::Membership& member : chungnam.members()) {
    if (member.participant().participant_id() != Pid("katech")) continue;
    EXPECT_EQ(member.current(), memberships == 1) << memberships;
    ++memberships;
  }
  EXPECT_EQ(memberships, 2);
  const v1::ParticipantStatus& katech = ledger.state().participants.at(Pid("katech"));
  ASSERT_EQ(katech.memberships_size(), 2);
  EXPECT_FALSE(katech.memberships(0).current());
  EXPECT_TRUE(katech.memberships(1).current());
}

// ---- WithdrawParticipant ------------------------------------------------------------------

TEST(WithdrawParticipant, Withdrawal_AcceptedWithTheRoleFromTheMemberRecord) {
  Ledger ledger;
  ledger.Given2023();
  absl::StatusOr<v1::EventEnvelope> event = ledger.Record(Withdrawal(kChungnam, Pid("katech")));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->event_type(), "ParticipantWithdrew");
  const v1::ParticipantWithdrew& withdrew = event->payload().participant_withdrew();
  EXPECT_EQ(withdrew.consortium_id(), kChungnamId);
  EXPECT_EQ(withdrew.participant_id(), Pid("katech"));
  EXPECT_EQ(withdrew.role(), v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE);
  EXPECT_EQ(withdrew.reason(), "business restructuring");
}

TEST(WithdrawParticipant, Withdrawal_KeepsTheMembershipAsFormer_AndDropsTheParticipant) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(Withdrawal(kChungnam, Pid("katech")));
  const v1::ConsortiumStatus& chungnam = ConsortiumIn(ledger, kChungnam);
  EXPECT_FALSE(IsParticipant(chungnam, Pid("katech")));
  EXPECT_EQ(chungnam.participants_size(), 4);
  EXPECT_EQ(chungnam.members_size(), 5);
  const v1::Membership* member = MemberIn(chungnam, Pid("katech"));
  ASSERT_NE(member, nullptr);
  EXPECT_FALSE(member->current());
  EXPECT_EQ(member->withdrawn_at().seconds(), At("2024-06-30T00:00:00Z").seconds());
  EXPECT_EQ(member->withdrawal_reason(), "business restructuring");
  EXPECT_EQ(member->participant().role(), v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE);

  const v1::ParticipantStatus& katech = ledger.state().participants.at(Pid("katech"));
  ASSERT_EQ(katech.memberships_size(), 1);
  EXPECT_FALSE(katech.memberships(0).current());
  EXPECT_EQ(katech.memberships(0).withdrawn_at().seconds(), At("2024-06-30T00:00:00Z").seconds());
  EXPECT_EQ(katech.last_global_position(), ledger.log().back().global_position());
}

TEST(WithdrawParticipant, Withdrawal_RefusedWhenConsortiumNotFound) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(ledger.Record(Withdrawal("nowhere", Pid("katech"))).status(),
                        StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                        {{"consortium_id", "nowhere"}}));
}

TEST(WithdrawParticipant, Withdrawal_RefusedWhenNotACurrentMember) {
  Ledger ledger;
  ledger.Given2023();
  // Korea PTG is Ulsan's, not Chungnam's.
  EXPECT_TRUE(IsRefusal(ledger.Record(Withdrawal(kChungnam, Pid("korea-ptg"))).status(),
                        StatusCode::kNotFound, "PARTICIPANT_NOT_MEMBER",
                        {{"consortium_id", kChungnamId}, {"participant_id", Pid("korea-ptg")}}));
  // A former member cannot withdraw twice.
  ledger.Given(Withdrawal(kChungnam, Pid("katech")));
  EXPECT_TRUE(IsRefusal(ledger.Record(Withdrawal(kChungnam, Pid("katech"))).status(),
                        StatusCode::kNotFound, "PARTICIPANT_NOT_MEMBER",
                        {{"participant_id", Pid("katech")}}));
}

TEST(WithdrawParticipant, Withdrawal_RefusedForTheLead) {
  Ledger ledger;
  ledger.Given2023();
  absl::Status status = ledger.Record(Withdrawal(kChungnam, Pid("kongju-univ"))).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "LEAD_CANNOT_WITHDRAW",
                        {{"consortium_id", kChungnamId}, {"participant_id", Pid("kongju-univ")}}));
  EXPECT_EQ(ConsortiumIn(ledger, kChungnam).participants_size(), 5);
}

TEST(WithdrawParticipant, Withdrawal_RefusedForALabsHostUniversity) {
  Ledger ledger;
  ledger.Given2023();
  ledger.Given(
      Joining(kChungnam, Member(Pid("hoseo-univ"), "호서대학교", v1::PARTICIPANT_ROLE_UNIVERSITY)));
  ledger.Given(Lab(kChungnam, "hoseo-lab", Pid("hoseo-univ")));
  absl::Status status = ledger.Record(Withdrawal(kChungnam, Pid("hoseo-univ"))).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "LAB_HOST_CANNOT_WITHDRAW",
                        {{"consortium_id", kChungnamId}, {"participant_id", Pid("hoseo-univ")}}));
  EXPECT_NE(status.message().find("hoseo-lab"), absl::string_view::npos) << status;
}

TEST(WithdrawParticipant, Withdrawal_RefusedWhenTooFewMidsizedEnterprisesWouldRemain) {
  Ledger ledger;
  ledger.Given2023();
  absl::Status status = ledger.Record(Withdrawal(kChungnam, Pid("conex"))).status();
  EXPECT_TRUE(IsRefusal(status, StatusCode::kFailedPrecondition, "TOO_FEW_MIDSIZED_ENTERPRISES",
                        {{"midsized_enterprise_count", "1"}, {"min_midsized_enterprises", "2"}}));
  EXPECT_EQ(status.message(),
            "without " + Pid("conex") +
                " (주식회사 코넥) consortium chungnam-future-vehicles would have 1 "
                "mid-sized enterprise; the program requires at least 2");
  EXPECT_TRUE(IsParticipant(ConsortiumIn(ledger, kChungnam), Pid("conex")));
}

TEST(WithdrawParticipant, Withdrawal_OfOneOfTwoEnterprisesAcceptedOnceAThirdHasJoined) {
  Ledger ledger;
  ledger.Given2023();
  EXPECT_TRUE(IsRefusal(ledger.Record(Withdrawal(kChungnam, Pid("conex"))).status(),
                        StatusCode::kFailedPrecondition, "TOO_FEW_MIDSIZED_ENTERPRISES"));
  ledger.Given(Joining(kChungnam, Member(Pid("hyundai-transys"), "현대트랜시스",
                                         v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)));
  absl::StatusOr<v1::EventEnvelope> event = ledger.Record(Withdrawal(kChungnam, Pid("conex")));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->payload().participant_withdrew().role(),
            v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  // Two remain: the next one may not go.
  EXPECT_TRUE(IsRefusal(ledger.Record(Withdrawal(kChungnam, Pid("yongsan"))).status(),
                        StatusCode::kFailedPrecondition, "TOO_FEW_MIDSIZED_ENTERPRISES",
                        {{"midsized_enterprise_count", "1"}}));
  // A member of another role is not counted.
  EXPECT_TRUE(ledger.Record(Withdrawal(kChungnam, Pid("katech"))).ok());
}

}  // namespace
}  // namespace alliance::domain::testing
