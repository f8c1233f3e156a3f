#include "services/domain/authority.h"

#include <cctype>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "proto/errors/refusal.h"
#include "services/domain/commands.h"

namespace alliance::domain {

std::string ConsortiumOf(const google::protobuf::Message& request) {
  const google::protobuf::Descriptor* type = request.GetDescriptor();
  const google::protobuf::Reflection* reflection = request.GetReflection();
  if (const google::protobuf::FieldDescriptor* field = type->FindFieldByName("consortium_id");
      field != nullptr && field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
      !field->is_repeated()) {
    return reflection->GetString(request, field);
  }
  for (int i = 0; i < type->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = type->field(i);
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE ||
        field->message_type() == v1::CommandMeta::descriptor()) {
      continue;
    }
    // A repeated one (a payment run's disbursements, all of one
    // consortium): its first.
    if (field->is_repeated() && reflection->FieldSize(request, field) == 0) continue;
    const google::protobuf::Message& inner = field->is_repeated()
                                                 ? reflection->GetRepeatedMessage(request, field, 0)
                                                 : reflection->GetMessage(request, field);
    const google::protobuf::FieldDescriptor* id =
        inner.GetDescriptor()->FindFieldByName("consortium_id");
    if (id != nullptr && id->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
        !id->is_repeated()) {
      return inner.GetReflection()->GetString(inner, id);
    }
  }
  return "";
}

std::string RoleMayNotReason(absl::string_view command_name) {
  std::string reason = "ROLE_MAY_NOT";
  for (char c : command_name) {
    if (std::isupper(static_cast<unsigned char>(c))) reason.push_back('_');
    reason.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return reason;
}

absl::Status AuthorizeRole(const CommandSpec& spec, const v1::Identity& caller) {
  const Authority& authority = spec.authority;
  if (caller.role() == authority.role) return absl::OkStatus();
  return Refuse(
      absl::StatusCode::kPermissionDenied, RoleMayNotReason(spec.name),
      absl::StrCat(spec.name, " is recorded by the ", v1::Role_Name(authority.role),
                   " role; identity \"", caller.name(), "\" is ", v1::Role_Name(caller.role())),
      {{"identity", caller.name()},
       {"role", v1::Role_Name(caller.role())},
       {"required_role", v1::Role_Name(authority.role)}});
}

absl::Status Authorize(const CommandSpec& spec, const LedgerState& state,
                       const google::protobuf::Message& request, const v1::Identity& caller) {
  if (absl::Status role = AuthorizeRole(spec, caller); !role.ok()) return role;
  const Authority& authority = spec.authority;
  if (!authority.lead_of_consortium) return absl::OkStatus();
  const std::string consortium_id = ConsortiumOf(request);
  auto it = state.consortia.find(consortium_id);
  // A consortium not in the ledger is the rules' to refuse (CONSORTIUM_NOT_
  // FOUND): consortia are public, and the caller may record nothing there.
  if (it == state.consortia.end()) return absl::OkStatus();
  if (!Records(authority, caller, it->second.lead_participant_id())) {
    return Refuse(
        absl::StatusCode::kPermissionDenied, "NOT_LEAD_UNIVERSITY",
        absl::StrCat(spec.name, " is recorded by the consortium's lead university; ", "identity \"",
                     caller.name(), "\" does not lead consortium \"", consortium_id, "\""),
        {{"identity", caller.name()}, {"consortium_id", consortium_id}});
  }
  return absl::OkStatus();
}

bool Records(const Authority& authority, const v1::Identity& identity,
             absl::string_view lead_participant_id) {
  if (identity.role() != authority.role) return false;
  if (!authority.lead_of_consortium) return true;
  return !identity.participant_id().empty() && identity.participant_id() == lead_participant_id;
}

bool ReadsEverything(const v1::Identity& caller) {
  return caller.role() == v1::ROLE_MINISTRY || caller.role() == v1::ROLE_MANAGING_AGENCY ||
         caller.role() == v1::ROLE_AUDITOR;
}

bool MayReadConsortium(const v1::Identity& caller, absl::string_view region_code,
                       absl::Span<const std::string> member_ids) {
  if (ReadsEverything(caller)) return true;
  switch (caller.role()) {
    case v1::ROLE_REGIONAL_GOVERNMENT:
      return !caller.region_code().empty() && region_code == caller.region_code();
    case v1::ROLE_UNIVERSITY:
    case v1::ROLE_ENTERPRISE:
      for (const std::string& id : member_ids) {
        if (!caller.participant_id().empty() && id == caller.participant_id()) return true;
      }
      return false;
    default:
      return false;
  }
}

bool MayReadConsortium(const v1::Identity& caller, const v1::ConsortiumStatus& consortium) {
  std::vector<std::string> member_ids;
  for (const v1::Membership& member : consortium.members()) {
    member_ids.push_back(member.participant().participant_id());
  }
  return MayReadConsortium(caller, consortium.region_code(), member_ids);
}

bool MayReadParticipant(const v1::Identity& caller, const v1::ParticipantStatus& participant,
                        absl::FunctionRef<std::string(absl::string_view)> region_of) {
  if (ReadsEverything(caller)) return true;
  switch (caller.role()) {
    case v1::ROLE_REGIONAL_GOVERNMENT:
      if (caller.region_code().empty()) return false;
      for (const v1::ParticipantMembership& membership : participant.memberships()) {
        if (region_of(membership.consortium_id()) == caller.region_code()) return true;
      }
      return false;
    case v1::ROLE_UNIVERSITY:
    case v1::ROLE_ENTERPRISE:
      return !caller.participant_id().empty() &&
             participant.participant_id() == caller.participant_id();
    default:
      return false;
  }
}

}  // namespace alliance::domain
