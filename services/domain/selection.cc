// Selection and membership (selection.h): who a consortium is made of, and
// rule 1's checks of a selection.
#include "services/domain/selection.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "proto/errors/refusal.h"
#include "services/domain/command_row.h"
#include "services/domain/regions.h"
#include "services/domain/rules.h"
#include "services/domain/validation.h"

namespace alliance::domain {
namespace {

using ::google::protobuf::RepeatedPtrField;

// ---- Validation helpers ------------------------------------------------------------

// The Korean name of the division `code` (already checked): its name in
// force, or its former name for a division renamed since.
absl::Status CheckRegionName(absl::string_view path, absl::string_view code,
                             absl::string_view value) {
  if (absl::Status s = CheckText(path, value, /*required=*/true); !s.ok()) return s;
  const Region* region = FindRegion(code);
  if (value == region->name_ko ||
      (!region->former_name_ko.empty() && value == region->former_name_ko)) {
    return absl::OkStatus();
  }
  std::string names = absl::StrCat("\"", region->name_ko, "\"");
  if (!region->former_name_ko.empty()) {
    absl::StrAppend(&names, " or its former name \"", region->former_name_ko, "\"");
  }
  return InvalidField(path, absl::StrCat("must be the Korean name of ", region->code, ", ", names,
                                         " (got \"", value, "\")"));
}

absl::Status ValidateParticipant(absl::string_view path, const v1::Participant& participant) {
  if (absl::Status s =
          CheckParticipantId(absl::StrCat(path, ".participant_id"), participant.participant_id());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText(absl::StrCat(path, ".name_ko"), participant.name_ko(), true);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText(absl::StrCat(path, ".name_en"), participant.name_en(), false);
      !s.ok()) {
    return s;
  }
  if (participant.role() == v1::PARTICIPANT_ROLE_UNSPECIFIED) {
    return MissingField(absl::StrCat(path, ".role"));
  }
  if (!v1::ParticipantRole_IsValid(participant.role())) {
    return InvalidField(
        absl::StrCat(path, ".role"),
        "must be one of PARTICIPANT_ROLE_UNIVERSITY, "
        "PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE, PARTICIPANT_ROLE_RESEARCH_INSTITUTE, "
        "PARTICIPANT_ROLE_INNOVATION_INSTITUTION, PARTICIPANT_ROLE_LOCAL_GOVERNMENT");
  }
  return absl::OkStatus();
}

absl::Status ValidateParticipants(const v1::ConsortiumSelected& selection) {
  if (selection.participants_size() == 0) return MissingField("selection.participants");
  if (selection.participants_size() > static_cast<int>(kParticipantsMax)) {
    return InvalidField("selection.participants",
                        absl::StrCat("must list at most ", kParticipantsMax, " participants (got ",
                                     selection.participants_size(), ")"));
  }
  absl::flat_hash_map<std::string, int> index_of_id;
  for (int i = 0; i < selection.participants_size(); ++i) {
    const std::string path = absl::StrCat("selection.participants[", i, "]");
    const v1::Participant& participant = selection.participants(i);
    if (absl::Status s = ValidateParticipant(path, participant); !s.ok()) return s;
    auto [it, inserted] = index_of_id.emplace(participant.participant_id(), i);
    if (!inserted) {
      return InvalidField(
          absl::StrCat(path, ".participant_id"),
          absl::StrCat("\"", participant.participant_id(), "\" is already selection.participants[",
                       it->second, "]; list each participant once"));
    }
  }
  if (absl::Status s =
          CheckParticipantId("selection.lead_participant_id", selection.lead_participant_id());
      !s.ok()) {
    return s;
  }
  if (!index_of_id.contains(selection.lead_participant_id())) {
    return InvalidField("selection.lead_participant_id",
                        absl::StrCat("\"", selection.lead_participant_id(),
                                     "\" is not the participant_id of any of "
                                     "selection.participants; name the lead among them"));
  }
  return absl::OkStatus();
}

// ---- Membership ------------------------------------------------------------------------

int32_t MidsizedCount(const RepeatedPtrField<v1::Participant>& participants) {
  int32_t count = 0;
  for (const v1::Participant& participant : participants) {
    if (participant.role() == v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE) ++count;
  }
  return count;
}

absl::Status TooFewMidsized(int32_t count, int32_t minimum, absl::string_view context) {
  return Refuse(absl::StatusCode::kFailedPrecondition, "TOO_FEW_MIDSIZED_ENTERPRISES",
                absl::StrCat(context, count, " mid-sized enterprise", count == 1 ? "" : "s",
                             "; the program requires at least ", minimum),
                {{"midsized_enterprise_count", absl::StrCat(count)},
                 {"min_midsized_enterprises", absl::StrCat(minimum)}});
}

// ---- Selection (rule 1) ---------------------------------------------------------

absl::Status CheckSelectionMembers(const v1::ProgramRules& rules,
                                   const v1::ConsortiumSelected& selection) {
  const v1::Participant* lead =
      FindParticipant(selection.participants(), selection.lead_participant_id());
  const v1::ParticipantRole lead_role =
      lead == nullptr ? v1::PARTICIPANT_ROLE_UNSPECIFIED : lead->role();
  if (lead_role != v1::PARTICIPANT_ROLE_UNIVERSITY) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "LEAD_NOT_UNIVERSITY",
        absl::StrCat("the lead participant ", selection.lead_participant_id(), " is ",
                     RoleInWords(lead_role), "; the lead R&D institution must be a university"),
        {{"lead_participant_id", selection.lead_participant_id()},
         {"role", v1::ParticipantRole_Name(lead_role)}});
  }
  const int32_t midsized_count = MidsizedCount(selection.participants());
  if (midsized_count < rules.min_midsized_enterprises()) {
    return TooFewMidsized(midsized_count, rules.min_midsized_enterprises(), "the consortium has ");
  }
  return absl::OkStatus();
}

absl::Status CheckSelectionRegion(const v1::ProgramRules& rules,
                                  const v1::ConsortiumSelected& selection) {
  for (const std::string& excluded : rules.excluded_region_codes()) {
    if (excluded != selection.region_code()) continue;
    const std::string excluded_list = absl::StrJoin(rules.excluded_region_codes(), ", ");
    return Refuse(absl::StatusCode::kFailedPrecondition, "REGION_EXCLUDED",
                  absl::StrCat("region ", selection.region_code(), " (", selection.region_name_ko(),
                               ") is in the program's excluded regions (", excluded_list, ")"),
                  {{"region_code", selection.region_code()},
                   {"excluded_region_codes", absl::StrJoin(rules.excluded_region_codes(), ",")}});
  }
  return absl::OkStatus();
}

absl::Status CheckSelectionRound(const v1::ProgramSummary& program,
                                 const v1::ConsortiumSelected& selection) {
  const v1::SelectionRound* round = FindRound(program, selection.round_year());
  if (round == nullptr) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "ROUND_NOT_OPEN",
        absl::StrCat("program ", program.program_id(), " has no selection round open for ",
                     selection.round_year(), "; open it (OpenSelectionRound) first"),
        {{"program_id", program.program_id()},
         {"round_year", absl::StrCat(selection.round_year())}});
  }
  if (round->selected_count() < round->slots()) return absl::OkStatus();
  return Refuse(
      absl::StatusCode::kFailedPrecondition, "ROUND_FULL",
      absl::StrCat("the ", round->round_year(), " round of program ", program.program_id(),
                   " has selected ", round->selected_count(), " consortia, every one of its ",
                   round->slots(), " slots (", absl::StrJoin(round->consortium_ids(), ", "), ")"),
      {{"program_id", program.program_id()},
       {"round_year", absl::StrCat(round->round_year())},
       {"slots", absl::StrCat(round->slots())},
       {"selected_count", absl::StrCat(round->selected_count())}});
}

absl::Status CheckSelectionBudget(const v1::ProgramSummary& program) {
  const v1::ProgramRules& rules = program.rules();
  // Validation bounds every limit by kAmountKrwMax and the count by
  // total / limit, so this product cannot overflow.
  const int64_t would_be_krw =
      (static_cast<int64_t>(program.consortium_count()) + 1) * rules.consortium_limit_krw();
  if (would_be_krw <= rules.total_budget_krw()) return absl::OkStatus();
  return Refuse(
      absl::StatusCode::kFailedPrecondition, "PROGRAM_BUDGET_EXHAUSTED",
      absl::StrCat("program ", program.program_id(), " has ", program.consortium_count(),
                   " consortia committing ", FormatKrw(program.committed_krw()),
                   " KRW; another at ", FormatKrw(rules.consortium_limit_krw()), " KRW would make ",
                   FormatKrw(would_be_krw), " KRW, over the total budget of ",
                   FormatKrw(rules.total_budget_krw()), " KRW"),
      {{"program_id", program.program_id()},
       {"consortium_count", absl::StrCat(program.consortium_count())},
       {"committed_krw", absl::StrCat(program.committed_krw())},
       {"consortium_limit_krw", absl::StrCat(rules.consortium_limit_krw())},
       {"would_be_krw", absl::StrCat(would_be_krw)},
       {"total_budget_krw", absl::StrCat(rules.total_budget_krw())}});
}

}  // namespace

// ---- Validation -------------------------------------------------------------------

absl::Status ValidateSelectConsortium(const v1::SelectConsortiumRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_selection()) return MissingField("selection");
  const v1::ConsortiumSelected& selection = request.selection();
  if (absl::Status s = CheckId("selection.consortium_id", selection.consortium_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckId("selection.program_id", selection.program_id()); !s.ok()) return s;
  if (absl::Status s = CheckYear("selection.round_year", selection.round_year()); !s.ok()) return s;
  if (absl::Status s = CheckRegionCode("selection.region_code", selection.region_code()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckRegionName("selection.region_name_ko", selection.region_code(),
                                       selection.region_name_ko());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("selection.field_ko", selection.field_ko(), true); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("selection.field_en", selection.field_en(), false); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateParticipants(selection); !s.ok()) return s;
  return CheckTimestamp("selection.occurred_at", selection.has_occurred_at(),
                        selection.occurred_at());
}

absl::Status ValidateJoinConsortium(const v1::JoinConsortiumRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_joining()) return MissingField("joining");
  const v1::ParticipantJoined& joining = request.joining();
  if (absl::Status s = CheckId("joining.consortium_id", joining.consortium_id()); !s.ok()) {
    return s;
  }
  if (!joining.has_participant()) return MissingField("joining.participant");
  if (absl::Status s = ValidateParticipant("joining.participant", joining.participant()); !s.ok()) {
    return s;
  }
  return CheckTimestamp("joining.occurred_at", joining.has_occurred_at(), joining.occurred_at());
}

absl::Status ValidateWithdrawParticipant(const v1::WithdrawParticipantRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (absl::Status s = CheckId("consortium_id", request.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckParticipantId("participant_id", request.participant_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("reason", request.reason(), /*required=*/true); !s.ok()) return s;
  return CheckTimestamp("occurred_at", request.has_occurred_at(), request.occurred_at());
}

// ---- Rules --------------------------------------------------------------------------

absl::StatusOr<v1::Event> DecideSelectConsortium(const LedgerState& state,
                                                 const v1::SelectConsortiumRequest& request) {
  const v1::ConsortiumSelected& selection = request.selection();
  auto program = state.programs.find(selection.program_id());
  if (program == state.programs.end()) {
    return Refuse(absl::StatusCode::kNotFound, "PROGRAM_NOT_FOUND",
                  absl::StrCat("program ", selection.program_id(),
                               " has not been established; check the id or establish it first"),
                  {{"program_id", selection.program_id()}});
  }
  if (const v1::ConsortiumStatus* existing = FindConsortium(state, selection.consortium_id())) {
    return Refuse(absl::StatusCode::kAlreadyExists, "CONSORTIUM_ALREADY_SELECTED",
                  absl::StrCat("consortium ", selection.consortium_id(),
                               " was already selected into program ", existing->program_id(),
                               " in round ", existing->round_year()),
                  {{"consortium_id", selection.consortium_id()},
                   {"program_id", existing->program_id()},
                   {"round_year", absl::StrCat(existing->round_year())}});
  }
  const v1::ProgramRules& rules = program->second.rules();
  if (absl::Status s = CheckRoundPeriod(rules, selection.round_year()); !s.ok()) return s;
  if (absl::Status s = CheckSelectionRound(program->second, selection); !s.ok()) return s;
  if (absl::Status s = CheckSelectionMembers(rules, selection); !s.ok()) return s;
  if (absl::Status s = CheckSelectionRegion(rules, selection); !s.ok()) return s;
  if (absl::Status s = CheckSelectionBudget(program->second); !s.ok()) return s;
  v1::Event event;
  *event.mutable_consortium_selected() = selection;
  return event;
}

absl::StatusOr<v1::Event> DecideJoinConsortium(const LedgerState& state,
                                               const v1::JoinConsortiumRequest& request) {
  const v1::ParticipantJoined& joining = request.joining();
  const v1::ConsortiumStatus* consortium = FindConsortium(state, joining.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(joining.consortium_id());
  if (absl::Status s = RequireNotClosed(*consortium, "no one joins it any more"); !s.ok()) {
    return s;
  }
  const std::string& participant_id = joining.participant().participant_id();
  if (const v1::Participant* member = FindParticipant(consortium->participants(), participant_id)) {
    return Refuse(
        absl::StatusCode::kAlreadyExists, "PARTICIPANT_ALREADY_MEMBER",
        absl::StrCat(participant_id, " (", member->name_ko(), ") is already ",
                     RoleInWords(member->role()), " in consortium ", consortium->consortium_id()),
        {{"consortium_id", consortium->consortium_id()}, {"participant_id", participant_id}});
  }
  v1::Event event;
  *event.mutable_participant_joined() = joining;
  return event;
}

absl::StatusOr<v1::Event> DecideWithdrawParticipant(const LedgerState& state,
                                                    const v1::WithdrawParticipantRequest& request) {
  const v1::ConsortiumStatus* consortium = FindConsortium(state, request.consortium_id());
  if (consortium == nullptr) return ConsortiumNotFound(request.consortium_id());
  const v1::Participant* member =
      FindParticipant(consortium->participants(), request.participant_id());
  if (member == nullptr) {
    return Refuse(absl::StatusCode::kNotFound, "PARTICIPANT_NOT_MEMBER",
                  absl::StrCat(request.participant_id(), " is not a current member of consortium ",
                               consortium->consortium_id()),
                  {{"consortium_id", consortium->consortium_id()},
                   {"participant_id", request.participant_id()}});
  }
  const std::vector<std::pair<std::string, std::string>> metadata = {
      {"consortium_id", consortium->consortium_id()}, {"participant_id", request.participant_id()}};
  if (request.participant_id() == consortium->lead_participant_id()) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "LEAD_CANNOT_WITHDRAW",
        absl::StrCat(request.participant_id(), " (", member->name_ko(),
                     ") is the lead R&D institution of consortium ", consortium->consortium_id(),
                     "; the lead cannot withdraw (terminate the consortium instead)"),
        metadata);
  }
  for (const v1::Lab& lab : consortium->labs()) {
    if (lab.university_participant_id() != request.participant_id()) continue;
    return Refuse(absl::StatusCode::kFailedPrecondition, "LAB_HOST_CANNOT_WITHDRAW",
                  absl::StrCat(request.participant_id(), " (", member->name_ko(),
                               ") hosts the designated lab ", lab.lab_id(), " (", lab.lab_name_ko(),
                               ") of consortium ", consortium->consortium_id()),
                  metadata);
  }
  if (member->role() == v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE) {
    const int32_t remaining = MidsizedCount(consortium->participants()) - 1;
    const int32_t minimum = RulesOf(state, *consortium).min_midsized_enterprises();
    if (remaining < minimum) {
      return TooFewMidsized(
          remaining, minimum,
          absl::StrCat("without ", request.participant_id(), " (", member->name_ko(),
                       ") consortium ", consortium->consortium_id(), " would have "));
    }
  }
  v1::Event event;
  v1::ParticipantWithdrew* withdrew = event.mutable_participant_withdrew();
  withdrew->set_consortium_id(request.consortium_id());
  withdrew->set_participant_id(request.participant_id());
  withdrew->set_role(member->role());
  withdrew->set_reason(request.reason());
  *withdrew->mutable_occurred_at() = request.occurred_at();
  return event;
}

// ---- The rows ----------------------------------------------------------------

namespace {

std::string SelectConsortiumStream(const v1::SelectConsortiumRequest& r) {
  return ConsortiumStreamId(r.selection().consortium_id());
}
std::string JoinConsortiumStream(const v1::JoinConsortiumRequest& r) {
  return ConsortiumStreamId(r.joining().consortium_id());
}

}  // namespace

const std::vector<CommandSpec>& SelectionCommands() {
  static const std::vector<CommandSpec>* const rows = new std::vector<CommandSpec>{
      Row<v1::SelectConsortiumRequest, SelectConsortiumStream, ValidateSelectConsortium,
          DecideSelectConsortium>("SelectConsortium", kByMinistry),
      Row<v1::JoinConsortiumRequest, JoinConsortiumStream, ValidateJoinConsortium,
          DecideJoinConsortium>("JoinConsortium", kByManagingAgency),
      Row<v1::WithdrawParticipantRequest, FlatStream<v1::WithdrawParticipantRequest>,
          ValidateWithdrawParticipant, DecideWithdrawParticipant>("WithdrawParticipant",
                                                                  kByManagingAgency),
  };
  return *rows;
}

}  // namespace alliance::domain
