// The field checks every command shares (services/domain/validation.h),
// one field family a test: each bad request is refused with
// INVALID_ARGUMENT naming the field by its path; and the tables two of them
// read, business registration numbers and Korea's regions.
//
// The requests are ledger_fixture.h's (the 2023 program and consortia);
// only the validators are called, never the rules. What each concept's
// commands check besides is tested in that concept's test.
#include "services/domain/validation.h"

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/commands.pb.h"
#include "gtest/gtest.h"
#include "services/domain/business_registration.h"
#include "services/domain/funding.h"
#include "services/domain/program.h"
#include "services/domain/regions.h"
#include "services/domain/researchers.h"
#include "services/domain/selection.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/domain/validation_fixture.h"
#include "tests/support/test_participant_id.h"

namespace alliance::domain::testing::validation {
namespace {

using ::alliance::testing::TestParticipantId;

// Business registration numbers with a correct check digit.
constexpr const char* kValidNumbers[] = {"3128195582", "6098114770", "6108183205", "3078374027"};

TEST(Validate, Fixtures_The2023ProgramAndConsortiaAreValid) {
  EXPECT_TRUE(ValidateEstablishProgram(WithMeta(Program2023())).ok());
  for (const auto& request : {Chungnam(), Gyeongnam(), Ulsan()}) {
    absl::Status status = ValidateSelectConsortium(WithMeta(request));
    EXPECT_TRUE(status.ok()) << status;
  }
  EXPECT_TRUE(ValidateDesignateLab(WithMeta(Lab("kongju-univ"))).ok());
  EXPECT_TRUE(ValidateDisburseFunds(WithMeta(Disbursement(kChungnam, 2023, 1, "R-1"))).ok());
  EXPECT_TRUE(ValidateReverseDisbursement(WithMeta(Reversal(EventIdFor(1)))).ok());
  EXPECT_TRUE(ValidateRecordHire(WithMeta(HireOf("kongju-2023-007"))).ok());
}

// ---- meta ----------------------------------------------------------------------------

TEST(Validate, Meta_EventIdIsRequired) {
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(Chungnam()), kMissing, "meta.event_id"));
}

TEST(Validate, Meta_EventIdMustBeALowercaseUuid) {
  for (const char* bad :
       {"not-a-uuid", "123e4567e89b12d3a456426614174000", "123E4567-E89B-12D3-A456-426614174000",
        "123e4567-e89b-12d3-a456-42661417400g", "123e4567-e89b-12d3-a456_426614174000"}) {
    v1::DisburseFundsRequest request = Disbursement(kChungnam, 2023, 1, "R-1");
    request.mutable_meta()->set_event_id(bad);
    absl::Status status = ValidateDisburseFunds(request);
    EXPECT_TRUE(IsFieldRefusal(status, kInvalid, "meta.event_id")) << bad;
    EXPECT_TRUE(Contains(status, "123e4567-e89b-12d3-a456-426614174000"));
  }
}

TEST(Validate, Meta_ExactExpectedVersionStartsAtOne) {
  v1::DesignateLabRequest request = WithMeta(Lab("kongju-univ"));
  request.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_EXACT);
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDesignateLab(request), kInvalid, "meta.expected_version.version"));
  request.mutable_meta()->mutable_expected_version()->set_version(1);
  EXPECT_TRUE(ValidateDesignateLab(request).ok());
  request.mutable_meta()->mutable_expected_version()->set_kind(
      static_cast<v1::ExpectedVersion::Kind>(7));
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDesignateLab(request), kInvalid, "meta.expected_version.kind"));
}

TEST(Validate, Meta_CorrelationIdIsBounded) {
  v1::DesignateLabRequest request = WithMeta(Lab("kongju-univ"));
  request.mutable_meta()->set_correlation_id(std::string(kCorrelationIdMax, 'c'));
  EXPECT_TRUE(ValidateDesignateLab(request).ok());
  request.mutable_meta()->set_correlation_id(std::string(kCorrelationIdMax + 1, 'c'));
  EXPECT_TRUE(IsFieldRefusal(ValidateDesignateLab(request), kInvalid, "meta.correlation_id"));
}

// ---- ids, texts, years, times -------------------------------------------------------------

TEST(Validate, Ids_MustBeLowercaseLettersDigitsAndDashes) {
  for (const char* bad : {"Chungnam", "-chungnam", "chung nam", "충남"}) {
    v1::SelectConsortiumRequest request = WithMeta(Chungnam());
    request.mutable_selection()->set_consortium_id(bad);
    EXPECT_TRUE(
        IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.consortium_id"))
        << bad;
  }
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->set_consortium_id(std::string(kIdLengthMax + 1, 'a'));
  EXPECT_TRUE(
      IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.consortium_id"));
  request.mutable_selection()->clear_program_id();
  request.mutable_selection()->set_consortium_id(std::string(kIdLengthMax, 'a'));
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kMissing, "selection.program_id"));
}

TEST(Validate, Texts_RequiredValidUtf8BoundedAndWithoutNul) {
  v1::SelectConsortiumRequest request = WithMeta(Chungnam());
  request.mutable_selection()->clear_field_ko();
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kMissing, "selection.field_ko"));
  request.mutable_selection()->set_field_ko("\xff\xfe");
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.field_ko"));
  request.mutable_selection()->set_field_ko(std::string("미래\0차", 10));
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.field_ko"));
  request.mutable_selection()->set_field_ko(std::string(kTextLengthMax + 1, 'x'));
  EXPECT_TRUE(IsFieldRefusal(ValidateSelectConsortium(request), kInvalid, "selection.field_ko"));
  request.mutable_selection()->set_field_ko("미래차");
  request.mutable_selection()->clear_field_en();  // optional
  EXPECT_TRUE(ValidateSelectConsortium(request).ok());
}

TEST(Validate, Years_MustBeWithinTheSupportedRange) {
  v1::DisburseFundsRequest request = WithMeta(Disbursement(kChungnam, 2023, 1, "R-1"));
  request.mutable_disbursement()->set_program_year(kYearMax + 1);
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDisburseFunds(request), kInvalid, "disbursement.program_year"));
  request.mutable_disbursement()->set_program_year(0);
  EXPECT_TRUE(
      IsFieldRefusal(ValidateDisburseFunds(request), kMissing, "disbursement.program_year"));
}

TEST(Validate, Timestamps_PresentAndInTheTimestampRange) {
  v1::RecordHireRequest request = WithMeta(HireOf("r-1"));
  request.mutable_hire()->clear_occurred_at();
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kMissing, "hire.occurred_at"));
  request.mutable_hire()->mutable_occurred_at()->set_seconds(253'402'300'800);  // year 10000
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kInvalid, "hire.occurred_at"));
  request.mutable_hire()->mutable_occurred_at()->set_seconds(0);
  request.mutable_hire()->mutable_occurred_at()->set_nanos(1'000'000'000);
  EXPECT_TRUE(IsFieldRefusal(ValidateRecordHire(request), kInvalid, "hire.occurred_at"));
  request.mutable_hire()->mutable_occurred_at()->set_nanos(999'999'999);
  EXPECT_TRUE(ValidateRecordHire(request).ok());
}

// ---- regions --------------------------------------------------------------------------------

TEST(Regions, SeventeenDivisionsEachFoundByItsCode) {
  ASSERT_EQ(Regions().size(), kRegionCount);
  std::set<absl::string_view> codes;
  for (const Region& region : Regions()) {
    EXPECT_TRUE(codes.insert(region.code).second) << region.code;
    EXPECT_EQ(FindRegion(region.code), &region) << region.code;
    EXPECT_FALSE(region.name_ko.empty()) << region.code;
    EXPECT_FALSE(region.name_en.empty()) << region.code;
  }
  EXPECT_EQ(FindRegion("KR-44")->name_ko, "충청남도");
  EXPECT_EQ(FindRegion("KR-42")->former_name_ko, "강원도");
  EXPECT_EQ(FindRegion("KR-45")->former_name_ko, "전라북도");
  for (const char* unknown : {"KR-99", "KR-1", "kr-44", "KR-444", "", "KR-44 "}) {
    EXPECT_EQ(FindRegion(unknown), nullptr) << unknown;
  }
}

// ---- amounts ------------------------------------------------------------------------------

TEST(Validate, Amounts_PositiveWholeKrwUpToTheMaximum) {
  v1::DisburseFundsRequest request = WithMeta(Disbursement(kChungnam, 2023, -1, "R-1"));
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFunds(request), kInvalid, "disbursement.amount_krw"));
  request.mutable_disbursement()->set_amount_krw(0);
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFunds(request), kMissing, "disbursement.amount_krw"));
  request.mutable_disbursement()->set_amount_krw(kAmountKrwMax + 1);
  EXPECT_TRUE(IsFieldRefusal(ValidateDisburseFunds(request), kInvalid, "disbursement.amount_krw"));
  request.mutable_disbursement()->set_amount_krw(kAmountKrwMax);
  EXPECT_TRUE(ValidateDisburseFunds(request).ok());
}

// ---- business registration numbers -------------------------------------------------------

TEST(BusinessRegistration, KnownNumbersAreValid) {
  for (const char* number : kValidNumbers) {
    EXPECT_TRUE(CheckBusinessRegistrationNumber(number).ok()) << number;
    EXPECT_EQ(BusinessRegistrationCheckDigit(absl::string_view(number).substr(0, 9)),
              number[9] - '0')
        << number;
  }
}

TEST(BusinessRegistration, AnotherLastDigitIsRefusedNamingBothDigits) {
  for (const char* number : kValidNumbers) {
    const char check = number[9];
    for (char wrong = '0'; wrong <= '9'; ++wrong) {
      if (wrong == check) continue;
      std::string mistyped(number);
      mistyped[9] = wrong;
      absl::Status status = CheckBusinessRegistrationNumber(mistyped);
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << mistyped;
      EXPECT_EQ(status.message(),
                absl::StrFormat("check digit is %c, but the first nine digits give %c; check for "
                                "a mistyped digit",
                                wrong, check));
    }
  }
}

// Weights 1, 3 and 7 are prime to 10, so one mistyped digit among the first
// eight always changes the check digit. (The ninth's weight is not: 3 and 5
// there give the same check digit.)
TEST(BusinessRegistration, OneMistypedDigitAmongTheFirstEightIsCaught) {
  for (const char* number : kValidNumbers) {
    for (size_t i = 0; i < 8; ++i) {
      for (char wrong = '0'; wrong <= '9'; ++wrong) {
        if (wrong == number[i]) continue;
        std::string mistyped(number);
        mistyped[i] = wrong;
        EXPECT_FALSE(CheckBusinessRegistrationNumber(mistyped).ok()) << mistyped;
      }
    }
  }
}

TEST(BusinessRegistration, ShapesAreExplained) {
  const struct {
    const char* number;
    const char* says;
  } cases[] = {
      {"312-81-95582", "(got \"312-81-95582\"; remove the dashes)"},
      {"312819558", "(got 9 digits)"},
      {"31281955821", "(got 11 digits)"},
      {"31281955a2", "(got \"31281955a2\", which holds a character other than a digit)"},
      {"312 81 95582", "which holds a character other than a digit"},
      {"conex", "(got \"conex\", which holds a character other than a digit)"},
      {"", "(got nothing)"},
  };
  for (const auto& c : cases) {
    absl::Status status = CheckBusinessRegistrationNumber(c.number);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.number;
    EXPECT_TRUE(Contains(status, "must be 10 digits without dashes, e.g. 3128195582")) << status;
    EXPECT_TRUE(Contains(status, c.says)) << status;
  }
  // Not echoed: too long, or not printable.
  EXPECT_TRUE(Contains(CheckBusinessRegistrationNumber(std::string(100, 'x')), "(got 100 bytes"));
  EXPECT_TRUE(Contains(CheckBusinessRegistrationNumber("31281955\xff"), "(got 9 bytes"));
}

TEST(BusinessRegistration, TestParticipantIdsAreValidStableAndDistinct) {
  const char* names[] = {"kongju-univ",        "conex",         "yongsan",        "katech",
                         "chungnam-province",  "changwon-univ", "pk-valve",       "within",
                         "gyeongnam-province", "ulsan-univ",    "korea-ptg",      "cosmo-chemical",
                         "ulsan-technopark",   "ulsan-city",    "new-enterprise", "c-univ",
                         "c-enterprise-0",     "c-enterprise-1"};
  std::set<std::string> ids;
  for (const char* name : names) {
    const std::string id = TestParticipantId(name);
    EXPECT_TRUE(CheckBusinessRegistrationNumber(id).ok()) << name << " " << id;
    EXPECT_EQ(TestParticipantId(name), id);
    EXPECT_TRUE(ids.insert(id).second) << name << " shares " << id;
  }
  // The participants of a consortium of the maximum size are distinct too.
  for (int i = 0; i < static_cast<int>(kParticipantsMax); ++i) {
    EXPECT_TRUE(ids.insert(TestParticipantId(absl::StrFormat("big-enterprise-%d", i))).second);
  }
}

// Every field that holds a participant id is checked the same way.
TEST(Validate, ParticipantIds_MustBeBusinessRegistrationNumbers) {
  const struct {
    const char* number;
    const char* says;
  } bad[] = {
      {"3128195583", "check digit is 3, but the first nine digits give 2"},
      {"312819558", "must be 10 digits without dashes"},
      {"312-81-95582", "remove the dashes"},
      {"conex", "other than a digit"},
  };
  for (const auto& b : bad) {
    const std::string number = b.number;
    auto expect = [&](const absl::Status& status, const std::string& field) {
      EXPECT_TRUE(IsFieldRefusal(status, kInvalid, field)) << number;
      EXPECT_TRUE(Contains(status, b.says)) << status;
    };
    v1::SelectConsortiumRequest selection = WithMeta(Chungnam());
    selection.mutable_selection()->mutable_participants(1)->set_participant_id(number);
    expect(ValidateSelectConsortium(selection), "selection.participants[1].participant_id");
    selection = WithMeta(Chungnam());
    selection.mutable_selection()->set_lead_participant_id(number);
    expect(ValidateSelectConsortium(selection), "selection.lead_participant_id");
    v1::DesignateLabRequest lab = WithMeta(Lab("kongju-univ"));
    lab.mutable_designation()->set_university_participant_id(number);
    expect(ValidateDesignateLab(lab), "designation.university_participant_id");
    v1::RecordHireRequest hire = WithMeta(HireOf("r-1"));
    hire.mutable_hire()->set_enterprise_participant_id(number);
    expect(ValidateRecordHire(hire), "hire.enterprise_participant_id");
    v1::JoinConsortiumRequest joining = WithMeta(Joining());
    joining.mutable_joining()->mutable_participant()->set_participant_id(number);
    expect(ValidateJoinConsortium(joining), "joining.participant.participant_id");
    v1::WithdrawParticipantRequest withdrawal = WithMeta(Withdrawal());
    withdrawal.set_participant_id(number);
    expect(ValidateWithdrawParticipant(withdrawal), "participant_id");
  }
  for (const char* number : kValidNumbers) {
    v1::SelectConsortiumRequest selection = WithMeta(Chungnam());
    selection.mutable_selection()->mutable_participants(0)->set_participant_id(number);
    selection.mutable_selection()->set_lead_participant_id(number);
    EXPECT_TRUE(ValidateSelectConsortium(selection).ok()) << number;
  }
}

}  // namespace
}  // namespace alliance::domain::testing::validation
