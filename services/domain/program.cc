// The program and its rounds (program.h): the validation of a program's
// rules, and rule 1's budget for the slots of a round.
#include "services/domain/program.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "proto/errors/refusal.h"
#include "services/domain/command_row.h"
#include "services/domain/rules.h"
#include "services/domain/validation.h"

namespace alliance::domain {
namespace {

// ISO 3166-2:KR has 17 first-level codes; a list longer than this is a
// mistake, not a policy.
constexpr int kExcludedRegionsMax = 32;
// Far above the program's "about 30"; bounds the int32 counters.
constexpr int32_t kHiringTargetMax = 1'000'000;

absl::Status ValidateRuleLimits(const v1::ProgramRules& rules) {
  const struct {
    absl::string_view path;
    int64_t amount_krw;
  } limits[] = {
      {"program.rules.total_budget_krw", rules.total_budget_krw()},
      {"program.rules.consortium_limit_krw", rules.consortium_limit_krw()},
      {"program.rules.consortium_annual_limit_krw", rules.consortium_annual_limit_krw()},
  };
  for (const auto& limit : limits) {
    if (absl::Status s = CheckAmountKrw(limit.path, limit.amount_krw); !s.ok()) return s;
  }
  if (rules.consortium_annual_limit_krw() > rules.consortium_limit_krw()) {
    return InvalidField("program.rules.consortium_annual_limit_krw",
                        absl::StrCat("must not exceed consortium_limit_krw (",
                                     FormatKrw(rules.consortium_annual_limit_krw()), " > ",
                                     FormatKrw(rules.consortium_limit_krw()), ")"));
  }
  if (rules.consortium_limit_krw() > rules.total_budget_krw()) {
    return InvalidField(
        "program.rules.consortium_limit_krw",
        absl::StrCat("must not exceed total_budget_krw (", FormatKrw(rules.consortium_limit_krw()),
                     " > ", FormatKrw(rules.total_budget_krw()), ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRules(const v1::ProgramRules& rules) {
  if (absl::Status s = CheckYear("program.rules.first_year", rules.first_year()); !s.ok()) return s;
  if (absl::Status s = CheckYear("program.rules.last_year", rules.last_year()); !s.ok()) return s;
  if (rules.first_year() > rules.last_year()) {
    return InvalidField("program.rules.last_year",
                        absl::StrCat("must not be before first_year ", rules.first_year(), " (got ",
                                     rules.last_year(), ")"));
  }
  if (absl::Status s = ValidateRuleLimits(rules); !s.ok()) return s;
  const int32_t period_years = rules.last_year() - rules.first_year() + 1;
  if (rules.consortium_term_years() == 0)
    return MissingField("program.rules.consortium_term_years");
  if (rules.consortium_term_years() < 1 || rules.consortium_term_years() > period_years) {
    return InvalidField("program.rules.consortium_term_years",
                        absl::StrCat("must be from 1 to the program's ", period_years,
                                     " years (got ", rules.consortium_term_years(), ")"));
  }
  if (rules.min_midsized_enterprises() < 0 ||
      rules.min_midsized_enterprises() > static_cast<int32_t>(kParticipantsMax)) {
    return InvalidField("program.rules.min_midsized_enterprises",
                        absl::StrCat("must be from 0 to ", kParticipantsMax, " (got ",
                                     rules.min_midsized_enterprises(), ")"));
  }
  if (rules.excluded_region_codes_size() > kExcludedRegionsMax) {
    return InvalidField("program.rules.excluded_region_codes",
                        absl::StrCat("must list at most ", kExcludedRegionsMax, " regions"));
  }
  for (int i = 0; i < rules.excluded_region_codes_size(); ++i) {
    if (absl::Status s =
            CheckRegionCode(absl::StrCat("program.rules.excluded_region_codes[", i, "]"),
                            rules.excluded_region_codes(i));
        !s.ok()) {
      return s;
    }
  }
  if (rules.hiring_target() < 0 || rules.hiring_target() > kHiringTargetMax) {
    return InvalidField("program.rules.hiring_target",
                        absl::StrCat("must be from 0 to ", kHiringTargetMax, " researchers (got ",
                                     rules.hiring_target(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Validation -------------------------------------------------------------------

absl::Status ValidateEstablishProgram(const v1::EstablishProgramRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_program()) return MissingField("program");
  const v1::ProgramEstablished& program = request.program();
  if (absl::Status s = CheckId("program.program_id", program.program_id()); !s.ok()) return s;
  if (absl::Status s = CheckText("program.name_ko", program.name_ko(), true); !s.ok()) return s;
  if (absl::Status s = CheckText("program.name_en", program.name_en(), false); !s.ok()) return s;
  if (absl::Status s = CheckText("program.ministry", program.ministry(), true); !s.ok()) return s;
  if (absl::Status s = CheckText("program.managing_agency", program.managing_agency(), true);
      !s.ok()) {
    return s;
  }
  if (!program.has_rules()) return MissingField("program.rules");
  if (absl::Status s = ValidateRules(program.rules()); !s.ok()) return s;
  return CheckTimestamp("program.occurred_at", program.has_occurred_at(), program.occurred_at());
}

absl::Status ValidateOpenSelectionRound(const v1::OpenSelectionRoundRequest& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (!request.has_round()) return MissingField("round");
  const v1::SelectionRoundOpened& round = request.round();
  if (absl::Status s = CheckId("round.program_id", round.program_id()); !s.ok()) return s;
  if (absl::Status s = CheckYear("round.round_year", round.round_year()); !s.ok()) return s;
  if (round.slots() == 0) return MissingField("round.slots");
  if (round.slots() < 0 || round.slots() > kRoundSlotsMax) {
    return InvalidField("round.slots", absl::StrCat("must be from 1 to ", kRoundSlotsMax,
                                                    " consortia (got ", round.slots(), ")"));
  }
  return CheckTimestamp("round.occurred_at", round.has_occurred_at(), round.occurred_at());
}

// ---- Rules --------------------------------------------------------------------------

absl::StatusOr<v1::Event> DecideEstablishProgram(const LedgerState& state,
                                                 const v1::EstablishProgramRequest& request) {
  const std::string& program_id = request.program().program_id();
  if (state.programs.contains(program_id)) {
    return Refuse(absl::StatusCode::kAlreadyExists, "PROGRAM_ALREADY_EXISTS",
                  absl::StrCat("program ", program_id,
                               " is already established; a program's rules are set once"),
                  {{"program_id", program_id}});
  }
  v1::Event event;
  *event.mutable_program_established() = request.program();
  return event;
}

absl::StatusOr<v1::Event> DecideOpenSelectionRound(const LedgerState& state,
                                                   const v1::OpenSelectionRoundRequest& request) {
  const v1::SelectionRoundOpened& round = request.round();
  auto program = state.programs.find(round.program_id());
  if (program == state.programs.end()) {
    return Refuse(absl::StatusCode::kNotFound, "PROGRAM_NOT_FOUND",
                  absl::StrCat("program ", round.program_id(),
                               " has not been established; check the id or establish it first"),
                  {{"program_id", round.program_id()}});
  }
  const v1::ProgramSummary& summary = program->second;
  if (const v1::SelectionRound* existing = FindRound(summary, round.round_year())) {
    return Refuse(
        absl::StatusCode::kAlreadyExists, "ROUND_ALREADY_OPENED",
        absl::StrCat("program ", summary.program_id(), " already has a ", round.round_year(),
                     " round with ", existing->slots(), " slots; one round a year"),
        {{"program_id", summary.program_id()},
         {"round_year", absl::StrCat(round.round_year())},
         {"slots", absl::StrCat(existing->slots())}});
  }
  const v1::ProgramRules& rules = summary.rules();
  if (absl::Status s = CheckRoundPeriod(rules, round.round_year()); !s.ok()) return s;
  // Every slot is a consortium's limit set aside: the selected consortia, the
  // open slots of earlier rounds and these must fit in the budget.
  int64_t reserved = summary.consortium_count();
  for (const v1::SelectionRound& earlier : summary.rounds()) {
    reserved += std::max(0, earlier.slots() - earlier.selected_count());
  }
  // Counts are bounded by the budget over the limit, slots by kRoundSlotsMax:
  // the products stay far below 2^63 for limits up to kAmountKrwMax.
  const __int128 would_be_krw =
      static_cast<__int128>(reserved + round.slots()) * rules.consortium_limit_krw();
  if (would_be_krw > rules.total_budget_krw()) {
    const int64_t available_slots =
        std::max<int64_t>(0, rules.total_budget_krw() / rules.consortium_limit_krw() - reserved);
    return Refuse(absl::StatusCode::kFailedPrecondition, "ROUND_SLOTS_OVER_BUDGET",
                  absl::StrCat(round.slots(), " slots at ", FormatKrw(rules.consortium_limit_krw()),
                               " KRW each do not fit in program ", summary.program_id(),
                               "'s budget of ", FormatKrw(rules.total_budget_krw()),
                               " KRW: ", reserved, " consortia are selected or reserved; at most ",
                               available_slots, " more slots fit"),
                  {{"program_id", summary.program_id()},
                   {"slots", absl::StrCat(round.slots())},
                   {"reserved_consortia", absl::StrCat(reserved)},
                   {"available_slots", absl::StrCat(available_slots)}});
  }
  v1::Event event;
  *event.mutable_selection_round_opened() = round;
  return event;
}

// ---- The rows ----------------------------------------------------------------

namespace {

std::string EstablishProgramStream(const v1::EstablishProgramRequest& r) {
  return ProgramStreamId(r.program().program_id());
}
std::string OpenSelectionRoundStream(const v1::OpenSelectionRoundRequest& r) {
  return ProgramStreamId(r.round().program_id());
}

}  // namespace

const std::vector<CommandSpec>& ProgramCommands() {
  static const std::vector<CommandSpec>* const rows = new std::vector<CommandSpec>{
      Row<v1::EstablishProgramRequest, EstablishProgramStream, ValidateEstablishProgram,
          DecideEstablishProgram>("EstablishProgram", kByMinistry),
      Row<v1::OpenSelectionRoundRequest, OpenSelectionRoundStream, ValidateOpenSelectionRound,
          DecideOpenSelectionRound>("OpenSelectionRound", kByMinistry),
  };
  return *rows;
}

}  // namespace alliance::domain
