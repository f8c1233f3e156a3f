// Who may record and read what (services/domain/authority.h), as pure
// functions of the caller's identity, the request and the ledger's state.
#include "services/domain/authority.h"

#include <gtest/gtest.h>

#include <string>

#include "proto/errors/refusal.h"
#include "services/domain/commands.h"

namespace alliance::domain {
namespace {

constexpr char kLead[] = "3078374027";    // 공주대학교
constexpr char kOther[] = "6098324777";   // 창원대학교
constexpr char kMember[] = "3128195582";  // 주식회사 코넥

v1::Identity Who(v1::Role role, std::string participant_id = "", std::string region = "") {
  v1::Identity identity;
  identity.set_name("someone");
  identity.set_role(role);
  identity.set_organisation("org");
  identity.set_participant_id(participant_id);
  identity.set_region_code(region);
  return identity;
}

LedgerState StateWithChungnam() {
  LedgerState state;
  v1::ConsortiumStatus& chungnam = state.consortia["chungnam"];
  chungnam.set_consortium_id("chungnam");
  chungnam.set_region_code("KR-44");
  chungnam.set_lead_participant_id(kLead);
  chungnam.add_members()->mutable_participant()->set_participant_id(kLead);
  chungnam.add_members()->mutable_participant()->set_participant_id(kMember);
  return state;
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<RefusalDetails> details = GetRefusalDetails(status);
  return details.has_value() ? details->reason : "";
}

TEST(AuthorityTest, EveryCommandNamesItsRole_AndUniversityCommandsTheirConsortium) {
  for (const CommandSpec& spec : Commands()) {
    EXPECT_NE(spec.authority.role, v1::ROLE_UNSPECIFIED) << spec.name;
    if (!spec.authority.lead_of_consortium) continue;
    // The field the rule reads exists, at the top or in the carried event.
    const google::protobuf::Descriptor* type = spec.request_type;
    bool found = type->FindFieldByName("consortium_id") != nullptr;
    for (int i = 0; !found && i < type->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field = type->field(i);
      found = field->message_type() != nullptr &&
              field->message_type()->FindFieldByName("consortium_id") != nullptr;
    }
    EXPECT_TRUE(found) << spec.name << " names no consortium_id";
  }
}

TEST(AuthorityTest, ReasonsNameTheCommand) {
  EXPECT_EQ(RoleMayNotReason("DisburseFunds"), "ROLE_MAY_NOT_DISBURSE_FUNDS");
  EXPECT_EQ(RoleMayNotReason("EstablishProgram"), "ROLE_MAY_NOT_ESTABLISH_PROGRAM");
}

TEST(AuthorityTest, ARoleRecordsOnlyItsCommands) {
  const LedgerState state = StateWithChungnam();
  v1::DisburseFundsRequest disburse;
  disburse.mutable_disbursement()->set_consortium_id("chungnam");
  const CommandSpec& spec = *FindCommand("DisburseFunds");
  EXPECT_TRUE(Authorize(spec, state, disburse, Who(v1::ROLE_MANAGING_AGENCY)).ok());
  for (v1::Role role : {v1::ROLE_MINISTRY, v1::ROLE_AUDITOR, v1::ROLE_UNIVERSITY,
                        v1::ROLE_ENTERPRISE, v1::ROLE_REGIONAL_GOVERNMENT}) {
    absl::Status refused = Authorize(spec, state, disburse, Who(role, kLead));
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << v1::Role_Name(role);
    EXPECT_EQ(ReasonOf(refused), "ROLE_MAY_NOT_DISBURSE_FUNDS");
  }
}

TEST(AuthorityTest, AUniversityRecordsInTheConsortiaItLeads) {
  const LedgerState state = StateWithChungnam();
  const CommandSpec& spec = *FindCommand("RecordHire");
  v1::RecordHireRequest hire;
  hire.mutable_hire()->set_consortium_id("chungnam");
  EXPECT_EQ(ConsortiumOf(hire), "chungnam");
  EXPECT_TRUE(Authorize(spec, state, hire, Who(v1::ROLE_UNIVERSITY, kLead)).ok());
  absl::Status other = Authorize(spec, state, hire, Who(v1::ROLE_UNIVERSITY, kOther));
  EXPECT_EQ(ReasonOf(other), "NOT_LEAD_UNIVERSITY");
  // A member that does not lead may not either.
  EXPECT_EQ(ReasonOf(Authorize(spec, state, hire, Who(v1::ROLE_UNIVERSITY, kMember))),
            "NOT_LEAD_UNIVERSITY");
  // A consortium not in the ledger is the rules' to refuse.
  hire.mutable_hire()->set_consortium_id("nowhere");
  EXPECT_TRUE(Authorize(spec, state, hire, Who(v1::ROLE_UNIVERSITY, kOther)).ok());
}

TEST(AuthorityTest, RecordsSaysWhoSendsACommand) {
  EXPECT_TRUE(Records(kByMinistry, Who(v1::ROLE_MINISTRY), ""));
  EXPECT_FALSE(Records(kByMinistry, Who(v1::ROLE_MANAGING_AGENCY), ""));
  EXPECT_TRUE(Records(kByManagingAgency, Who(v1::ROLE_MANAGING_AGENCY), kLead));
  EXPECT_TRUE(Records(kByLeadUniversity, Who(v1::ROLE_UNIVERSITY, kLead), kLead));
  EXPECT_FALSE(Records(kByLeadUniversity, Who(v1::ROLE_UNIVERSITY, kOther), kLead));
  EXPECT_FALSE(Records(kByLeadUniversity, Who(v1::ROLE_ENTERPRISE, kLead), kLead));
  // A university registered without its participant id leads nothing.
  EXPECT_FALSE(Records(kByLeadUniversity, Who(v1::ROLE_UNIVERSITY), ""));
}

TEST(AuthorityTest, WhoReadsWhichConsortium) {
  const v1::ConsortiumStatus chungnam = StateWithChungnam().consortia.at("chungnam");
  for (v1::Role role : {v1::ROLE_MINISTRY, v1::ROLE_MANAGING_AGENCY, v1::ROLE_AUDITOR}) {
    EXPECT_TRUE(MayReadConsortium(Who(role), chungnam)) << v1::Role_Name(role);
    EXPECT_TRUE(ReadsEverything(Who(role)));
  }
  EXPECT_TRUE(MayReadConsortium(Who(v1::ROLE_REGIONAL_GOVERNMENT, "", "KR-44"), chungnam));
  EXPECT_FALSE(MayReadConsortium(Who(v1::ROLE_REGIONAL_GOVERNMENT, "", "KR-48"), chungnam));
  EXPECT_TRUE(MayReadConsortium(Who(v1::ROLE_ENTERPRISE, kMember), chungnam));
  EXPECT_FALSE(MayReadConsortium(Who(v1::ROLE_ENTERPRISE, kOther), chungnam));
  EXPECT_TRUE(MayReadConsortium(Who(v1::ROLE_UNIVERSITY, kLead), chungnam));
  EXPECT_FALSE(MayReadConsortium(Who(v1::ROLE_UNSPECIFIED), chungnam));
}

TEST(AuthorityTest, WhoReadsWhichParticipant) {
  v1::ParticipantStatus conex;
  conex.set_participant_id(kMember);
  conex.add_memberships()->set_consortium_id("chungnam");
  auto region_of = [](absl::string_view id) {
    return id == "chungnam" ? std::string("KR-44") : std::string();
  };
  EXPECT_TRUE(MayReadParticipant(Who(v1::ROLE_ENTERPRISE, kMember), conex, region_of));
  EXPECT_FALSE(MayReadParticipant(Who(v1::ROLE_ENTERPRISE, kOther), conex, region_of));
  EXPECT_TRUE(MayReadParticipant(Who(v1::ROLE_REGIONAL_GOVERNMENT, "", "KR-44"), conex, region_of));
  EXPECT_FALSE(
      MayReadParticipant(Who(v1::ROLE_REGIONAL_GOVERNMENT, "", "KR-26"), conex, region_of));
  EXPECT_TRUE(MayReadParticipant(Who(v1::ROLE_AUDITOR), conex, region_of));
}

}  // namespace
}  // namespace alliance::domain
