// The rule helpers of rules.h, shared by the concepts' Decide* functions.
#include "services/domain/rules.h"

#include <cassert>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "proto/errors/refusal.h"

namespace alliance::domain {

using ::google::protobuf::RepeatedPtrField;

// ---- Lookups ------------------------------------------------------------------

const v1::ConsortiumStatus* FindConsortium(const LedgerState& state, const std::string& id) {
  auto it = state.consortia.find(id);
  return it == state.consortia.end() ? nullptr : &it->second;
}

const v1::ProgramRules& RulesOf(const LedgerState& state, const v1::ConsortiumStatus& consortium) {
  auto it = state.programs.find(consortium.program_id());
  // A consortium is only ever selected into an established program.
  assert(it != state.programs.end());
  return it->second.rules();
}

const v1::Participant* FindParticipant(const RepeatedPtrField<v1::Participant>& participants,
                                       const std::string& participant_id) {
  for (const v1::Participant& participant : participants) {
    if (participant.participant_id() == participant_id) return &participant;
  }
  return nullptr;
}

const v1::SelectionRound* FindRound(const v1::ProgramSummary& program, int32_t round_year) {
  for (const v1::SelectionRound& round : program.rounds()) {
    if (round.round_year() == round_year) return &round;
  }
  return nullptr;
}

// "a university", "a mid-sized enterprise", ...: for messages people read.
absl::string_view RoleInWords(v1::ParticipantRole role) {
  switch (role) {
    case v1::PARTICIPANT_ROLE_UNIVERSITY:
      return "a university";
    case v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE:
      return "a mid-sized enterprise";
    case v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE:
      return "a research institute";
    case v1::PARTICIPANT_ROLE_INNOVATION_INSTITUTION:
      return "an innovation institution";
    case v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT:
      return "a local government";
    default:
      return "of no known role";
  }
}

absl::string_view StateInWords(v1::ConsortiumState state) {
  switch (state) {
    case v1::CONSORTIUM_STATE_ACTIVE:
      return "active";
    case v1::CONSORTIUM_STATE_SUSPENDED:
      return "suspended";
    case v1::CONSORTIUM_STATE_TERMINATED:
      return "terminated";
    case v1::CONSORTIUM_STATE_COMPLETED:
      return "completed";
    default:
      return "in no known state";
  }
}

absl::Status ConsortiumNotFound(const std::string& consortium_id) {
  return Refuse(absl::StatusCode::kNotFound, "CONSORTIUM_NOT_FOUND",
                absl::StrCat("consortium ", consortium_id,
                             " has not been selected into any program; check the id or select "
                             "it first"),
                {{"consortium_id", consortium_id}});
}

// ---- States ---------------------------------------------------------------------

bool IsClosed(const v1::ConsortiumStatus& consortium) {
  return consortium.state() == v1::CONSORTIUM_STATE_TERMINATED ||
         consortium.state() == v1::CONSORTIUM_STATE_COMPLETED;
}

// `reason` when the consortium is not in `required`, saying what `what`
// needs (e.g. "a disbursement goes to an active consortium").
absl::Status RequireState(const v1::ConsortiumStatus& consortium, v1::ConsortiumState required,
                          absl::string_view reason, absl::string_view what) {
  if (consortium.state() == required) return absl::OkStatus();
  return Refuse(absl::StatusCode::kFailedPrecondition, reason,
                absl::StrCat("consortium ", consortium.consortium_id(), " is ",
                             StateInWords(consortium.state()), "; ", what),
                {{"consortium_id", consortium.consortium_id()},
                 {"state", v1::ConsortiumState_Name(consortium.state())},
                 {"required_state", v1::ConsortiumState_Name(required)}});
}

absl::Status RequireActive(const v1::ConsortiumStatus& consortium, absl::string_view what) {
  return RequireState(consortium, v1::CONSORTIUM_STATE_ACTIVE, "CONSORTIUM_NOT_ACTIVE", what);
}

absl::Status RequireNotClosed(const v1::ConsortiumStatus& consortium, absl::string_view what) {
  if (!IsClosed(consortium)) return absl::OkStatus();
  return Refuse(absl::StatusCode::kFailedPrecondition, "CONSORTIUM_CLOSED",
                absl::StrCat("consortium ", consortium.consortium_id(), " is ",
                             StateInWords(consortium.state()), " (final); ", what),
                {{"consortium_id", consortium.consortium_id()},
                 {"state", v1::ConsortiumState_Name(consortium.state())}});
}

// ---- Years ------------------------------------------------------------------------

// A round in `round_year` lies in the program period and so does the term
// of a consortium selected in it.
absl::Status CheckRoundPeriod(const v1::ProgramRules& rules, int32_t round_year) {
  if (round_year < rules.first_year() || round_year > rules.last_year()) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "ROUND_OUTSIDE_PROGRAM_PERIOD",
                  absl::StrCat("round ", round_year, " is outside the program period ",
                               rules.first_year(), "..", rules.last_year()),
                  {{"round_year", absl::StrCat(round_year)},
                   {"first_year", absl::StrCat(rules.first_year())},
                   {"last_year", absl::StrCat(rules.last_year())}});
  }
  const int32_t term_last_year = round_year + rules.consortium_term_years() - 1;
  if (term_last_year > rules.last_year()) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition, "TERM_OUTSIDE_PROGRAM_PERIOD",
        absl::StrCat("a consortium selected in ", round_year, " would be funded ", round_year, "..",
                     term_last_year, " (", rules.consortium_term_years(),
                     " years), past the program's last year ", rules.last_year()),
        {{"round_year", absl::StrCat(round_year)},
         {"term_years", absl::StrCat(rules.consortium_term_years())},
         {"term_last_year", absl::StrCat(term_last_year)},
         {"last_year", absl::StrCat(rules.last_year())}});
  }
  return absl::OkStatus();
}

absl::Status CheckProgramYear(const v1::ProgramRules& rules, const v1::ConsortiumStatus& consortium,
                              int32_t program_year) {
  const bool in_term =
      program_year >= consortium.term_first_year() && program_year <= consortium.term_last_year();
  const bool in_period = program_year >= rules.first_year() && program_year <= rules.last_year();
  if (in_term && in_period) return absl::OkStatus();
  return Refuse(absl::StatusCode::kFailedPrecondition, "PROGRAM_YEAR_OUTSIDE_TERM",
                absl::StrCat("program year ", program_year, " is outside consortium ",
                             consortium.consortium_id(), "'s term ", consortium.term_first_year(),
                             "..", consortium.term_last_year(), " or the program period ",
                             rules.first_year(), "..", rules.last_year()),
                {{"consortium_id", consortium.consortium_id()},
                 {"program_year", absl::StrCat(program_year)},
                 {"term_first_year", absl::StrCat(consortium.term_first_year())},
                 {"term_last_year", absl::StrCat(consortium.term_last_year())}});
}

}  // namespace alliance::domain
