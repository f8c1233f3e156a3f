// How each event changes the read models (ProgramSummary, ConsortiumStatus)
// and the rule indexes of LedgerState (written as pending entries, never
// read from the store). Decide has already checked the rules;
// the fold asserts what decide guarantees, so a log that breaks them (a bug,
// or a tampered store) stops the process instead of showing wrong totals.
#include "services/domain/fold.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message_lite.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/domain/rule_keys.h"

namespace alliance::domain {
namespace {

// ---- Lookups into the state ------------------------------------------------------

v1::ConsortiumStatus& ConsortiumOf(LedgerState* state, const std::string& consortium_id) {
  auto it = state->consortia.find(consortium_id);
  assert(it != state->consortia.end());
  return it->second;
}

v1::ProgramSummary& ProgramOf(LedgerState* state, const std::string& program_id) {
  auto it = state->programs.find(program_id);
  assert(it != state->programs.end());
  return it->second;
}

v1::YearFunding& FundingOf(v1::ConsortiumStatus* consortium, int32_t program_year) {
  auto* years = consortium->mutable_funding_by_year();
  auto it = std::find_if(years->begin(), years->end(), [program_year](const v1::YearFunding& year) {
    return year.program_year() == program_year;
  });
  // Decide only accepts years of the term, and the term has an entry each.
  assert(it != years->end());
  return *it;
}

// The entry of `entries` whose key(entry) is `key`, added in key order when
// missing, so the repeated field stays sorted without a sort per event.
template <typename Entry, typename Key, typename KeyOf>
Entry& SortedEntry(google::protobuf::RepeatedPtrField<Entry>* entries, const Key& key,
                   KeyOf key_of) {
  for (Entry& entry : *entries) {
    if (key_of(entry) == key) return entry;
  }
  entries->Add();
  int index = entries->size() - 1;
  while (index > 0 && key < key_of(entries->Get(index - 1))) {
    entries->SwapElements(index, index - 1);
    --index;
  }
  return *entries->Mutable(index);
}

v1::RegionSummary& RegionOf(v1::ProgramSummary* program, const std::string& region_code) {
  v1::RegionSummary& region = SortedEntry(
      program->mutable_by_region(), region_code,
      [](const v1::RegionSummary& entry) -> const std::string& { return entry.region_code(); });
  region.set_region_code(region_code);
  return region;
}

v1::YearSummary& YearOf(v1::ProgramSummary* program, int32_t program_year) {
  v1::YearSummary& year =
      SortedEntry(program->mutable_by_year(), program_year,
                  [](const v1::YearSummary& entry) { return entry.program_year(); });
  year.set_program_year(program_year);
  return year;
}

v1::FieldSummary& FieldOf(v1::ProgramSummary* program, const v1::ConsortiumStatus& consortium) {
  v1::FieldSummary& field = SortedEntry(
      program->mutable_by_field(), consortium.field_ko(),
      [](const v1::FieldSummary& entry) -> const std::string& { return entry.field_ko(); });
  field.set_field_ko(consortium.field_ko());
  if (field.field_en().empty()) field.set_field_en(consortium.field_en());
  return field;
}

// The program's round of `round_year`, nullptr when none was opened (a log
// written before rounds existed selected without one).
v1::SelectionRound* RoundOf(v1::ProgramSummary* program, int32_t round_year) {
  for (v1::SelectionRound& round : *program->mutable_rounds()) {
    if (round.round_year() == round_year) return &round;
  }
  return nullptr;
}

v1::ParticipantStatus& ParticipantOf(LedgerState* state, const std::string& participant_id,
                                     ChangedModels* changed) {
  v1::ParticipantStatus& participant = state->participants[participant_id];
  participant.set_participant_id(participant_id);
  changed->participant_ids.insert(participant_id);
  return participant;
}

// The consortium's share of the program's hiring target: target x limit /
// budget, rounded up (30 x 6.9B / 41.4B = 5). 128-bit: the product of two
// validated figures may pass 2^63.
int32_t HireTargetOf(const v1::ProgramRules& rules) {
  if (rules.total_budget_krw() <= 0) return 0;
  const __int128 product =
      static_cast<__int128>(rules.hiring_target()) * rules.consortium_limit_krw();
  return static_cast<int32_t>((product + rules.total_budget_krw() - 1) / rules.total_budget_krw());
}

int32_t UtcYear(const google::protobuf::Timestamp& timestamp) {
  const absl::Time time = absl::FromUnixSeconds(timestamp.seconds());
  return static_cast<int32_t>(absl::ToCivilYear(time, absl::UTCTimeZone()).year());
}

// Every change to a consortium's model records which event made it.
void Stamp(const v1::EventEnvelope& envelope, v1::ConsortiumStatus* consortium,
           ChangedModels* changed) {
  consortium->set_stream_version(envelope.stream_version());
  consortium->set_last_global_position(envelope.global_position());
  changed->consortium_ids.insert(consortium->consortium_id());
}

void Stamp(const v1::EventEnvelope& envelope, v1::ProgramSummary* program, ChangedModels* changed) {
  program->set_last_global_position(envelope.global_position());
  changed->program_ids.insert(program->program_id());
}

void Stamp(const v1::EventEnvelope& envelope, v1::ParticipantStatus* participant) {
  participant->set_last_global_position(envelope.global_position());
}

// The count of consortia in `state` in the program's summary.
void CountState(v1::ProgramSummary* program, v1::ConsortiumState state, int32_t delta) {
  switch (state) {
    case v1::CONSORTIUM_STATE_ACTIVE:
      program->set_active_count(program->active_count() + delta);
      break;
    case v1::CONSORTIUM_STATE_SUSPENDED:
      program->set_suspended_count(program->suspended_count() + delta);
      break;
    case v1::CONSORTIUM_STATE_TERMINATED:
      program->set_terminated_count(program->terminated_count() + delta);
      break;
    case v1::CONSORTIUM_STATE_COMPLETED:
      program->set_completed_count(program->completed_count() + delta);
      break;
    default:
      assert(false && "a consortium is always in a known state");
  }
}

// Records a change of the consortium's state in its model and the program's
// counts.
void ChangeState(const v1::EventEnvelope& envelope, v1::ConsortiumState to,
                 const std::string& reason, const google::protobuf::Timestamp& occurred_at,
                 v1::ConsortiumStatus* consortium, LedgerState* state, ChangedModels* changed) {
  v1::ProgramSummary& program = ProgramOf(state, consortium->program_id());
  if (consortium->state() != v1::CONSORTIUM_STATE_UNSPECIFIED) {
    CountState(&program, consortium->state(), -1);
  }
  CountState(&program, to, +1);
  consortium->set_state(to);
  v1::StateChange* change = consortium->add_state_history();
  change->set_state(to);
  change->set_reason(reason);
  *change->mutable_occurred_at() = occurred_at;
  change->set_event_id(envelope.event_id());
  Stamp(envelope, consortium, changed);
  Stamp(envelope, &program, changed);
}

// A membership of `consortium` starting with `envelope`, in the consortium's
// and the participant's models.
void AddMember(const v1::EventEnvelope& envelope, const v1::Participant& participant,
               const google::protobuf::Timestamp& occurred_at, v1::ConsortiumStatus* consortium,
               LedgerState* state, ChangedModels* changed) {
  v1::Membership* member = consortium->add_members();
  *member->mutable_participant() = participant;
  *member->mutable_joined_at() = occurred_at;
  member->set_current(true);

  v1::ParticipantStatus& status = ParticipantOf(state, participant.participant_id(), changed);
  status.set_name_ko(participant.name_ko());
  status.set_name_en(participant.name_en());
  v1::ParticipantMembership* membership = status.add_memberships();
  membership->set_consortium_id(consortium->consortium_id());
  membership->set_program_id(consortium->program_id());
  membership->set_role(participant.role());
  membership->set_lead(participant.participant_id() == consortium->lead_participant_id());
  *membership->mutable_joined_at() = occurred_at;
  membership->set_current(true);
  Stamp(envelope, &status);
}

// ---- One function an event type -----------------------------------------------------

void FoldProgramEstablished(const v1::EventEnvelope& envelope, const v1::ProgramEstablished& e,
                            LedgerState* state, ChangedModels* changed) {
  assert(!state->programs.contains(e.program_id()));
  v1::ProgramSummary& program = state->programs[e.program_id()];
  program.set_program_id(e.program_id());
  program.set_name_ko(e.name_ko());
  program.set_name_en(e.name_en());
  program.set_ministry(e.ministry());
  program.set_managing_agency(e.managing_agency());
  *program.mutable_rules() = e.rules();
  program.set_uncommitted_krw(e.rules().total_budget_krw());
  program.set_hiring_target(e.rules().hiring_target());
  *program.mutable_established_at() = e.occurred_at();
  Stamp(envelope, &program, changed);
}

void FoldConsortiumSelected(const v1::EventEnvelope& envelope, const v1::ConsortiumSelected& e,
                            LedgerState* state, ChangedModels* changed) {
  v1::ProgramSummary& program = ProgramOf(state, e.program_id());
  const v1::ProgramRules& rules = program.rules();
  assert(!state->consortia.contains(e.consortium_id()));
  v1::ConsortiumStatus& consortium = state->consortia[e.consortium_id()];
  consortium.set_consortium_id(e.consortium_id());
  consortium.set_program_id(e.program_id());
  consortium.set_round_year(e.round_year());
  consortium.set_region_code(e.region_code());
  consortium.set_region_name_ko(e.region_name_ko());
  consortium.set_field_ko(e.field_ko());
  consortium.set_field_en(e.field_en());
  consortium.set_lead_participant_id(e.lead_participant_id());
  *consortium.mutable_participants() = e.participants();
  *consortium.mutable_selected_at() = e.occurred_at();
  consortium.set_term_first_year(e.round_year());
  consortium.set_term_last_year(e.round_year() + rules.consortium_term_years() - 1);
  assert(consortium.term_last_year() <= rules.last_year());
  for (int32_t year = consortium.term_first_year(); year <= consortium.term_last_year(); ++year) {
    v1::YearFunding* funding = consortium.add_funding_by_year();
    funding->set_program_year(year);
    funding->set_annual_limit_krw(rules.consortium_annual_limit_krw());
    funding->set_remaining_krw(rules.consortium_annual_limit_krw());
  }
  consortium.set_limit_total_krw(rules.consortium_limit_krw());
  consortium.set_remaining_total_krw(rules.consortium_limit_krw());
  consortium.set_hire_target(HireTargetOf(rules));
  consortium.mutable_researcher_counts();  // present, all zero
  for (const v1::Participant& participant : e.participants()) {
    AddMember(envelope, participant, e.occurred_at(), &consortium, state, changed);
  }
  ChangeState(envelope, v1::CONSORTIUM_STATE_ACTIVE, "selected", e.occurred_at(), &consortium,
              state, changed);
  changed->indexed_consortium_ids.insert(e.consortium_id());

  program.set_consortium_count(program.consortium_count() + 1);
  program.set_committed_krw(program.committed_krw() + rules.consortium_limit_krw());
  program.set_uncommitted_krw(program.uncommitted_krw() - rules.consortium_limit_krw());
  assert(program.uncommitted_krw() >= 0);  // decide refuses a consortium past the budget
  v1::RegionSummary& region = RegionOf(&program, e.region_code());
  if (region.region_name_ko().empty()) region.set_region_name_ko(e.region_name_ko());
  region.set_consortium_count(region.consortium_count() + 1);
  v1::FieldSummary& field = FieldOf(&program, consortium);
  field.set_consortium_count(field.consortium_count() + 1);
  if (v1::SelectionRound* round = RoundOf(&program, e.round_year())) {
    round->set_selected_count(round->selected_count() + 1);
    round->add_consortium_ids(e.consortium_id());
  }
  Stamp(envelope, &program, changed);
}

void FoldLabDesignated(const v1::EventEnvelope& envelope, const v1::LabDesignated& e,
                       LedgerState* state, ChangedModels* changed) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, e.consortium_id());
  v1::Lab* lab = consortium.add_labs();
  lab->set_lab_id(e.lab_id());
  lab->set_lab_name_ko(e.lab_name_ko());
  lab->set_university_participant_id(e.university_participant_id());
  *lab->mutable_designated_at() = e.occurred_at();
  Stamp(envelope, &consortium, changed);
}

// Adds `delta_krw` (negative for a reversal) to every total a disbursement
// counts in, and checks each stays within 0 and its limit.
void AddDisbursed(const v1::EventEnvelope& envelope, const std::string& consortium_id,
                  int32_t program_year, int64_t delta_krw, LedgerState* state,
                  ChangedModels* changed) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, consortium_id);
  v1::YearFunding& funding = FundingOf(&consortium, program_year);
  funding.set_disbursed_krw(funding.disbursed_krw() + delta_krw);
  funding.set_remaining_krw(funding.annual_limit_krw() - funding.disbursed_krw());
  // Below zero only for payments a log recorded before agreements existed.
  funding.set_remaining_commitment_krw(funding.committed_krw() - funding.disbursed_krw());
  assert(funding.disbursed_krw() >= 0 && funding.remaining_krw() >= 0);
  consortium.set_disbursed_total_krw(consortium.disbursed_total_krw() + delta_krw);
  consortium.set_remaining_total_krw(consortium.limit_total_krw() -
                                     consortium.disbursed_total_krw());
  assert(consortium.disbursed_total_krw() >= 0 && consortium.remaining_total_krw() >= 0);
  Stamp(envelope, &consortium, changed);

  v1::ProgramSummary& program = ProgramOf(state, consortium.program_id());
  program.set_disbursed_total_krw(program.disbursed_total_krw() + delta_krw);
  assert(program.disbursed_total_krw() >= 0 &&
         program.disbursed_total_krw() <= program.committed_krw());
  v1::RegionSummary& region = RegionOf(&program, consortium.region_code());
  region.set_disbursed_krw(region.disbursed_krw() + delta_krw);
  assert(region.disbursed_krw() >= 0);
  v1::YearSummary& year = YearOf(&program, program_year);
  year.set_disbursed_krw(year.disbursed_krw() + delta_krw);
  assert(year.disbursed_krw() >= 0);
  v1::FieldSummary& field = FieldOf(&program, consortium);
  field.set_disbursed_krw(field.disbursed_krw() + delta_krw);
  assert(field.disbursed_krw() >= 0);
  Stamp(envelope, &program, changed);
}

// Writes the rule-index entry `key` -> `value` into the pending entries.
void PutRuleEntry(std::string key, std::string value, LedgerState* state) {
  state->pending_rule_entries.insert_or_assign(std::move(key), std::move(value));
}

void FoldFundsDisbursed(const v1::EventEnvelope& envelope, const v1::FundsDisbursed& e,
                        LedgerState* state, ChangedModels* changed) {
  assert(e.amount_krw() > 0);
  AddDisbursed(envelope, e.consortium_id(), e.program_year(), e.amount_krw(), state, changed);
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, e.consortium_id());
  v1::YearFunding& funding = FundingOf(&consortium, e.program_year());
  funding.set_disbursement_count(funding.disbursement_count() + 1);
  if (!state->fold_rule_entries) return;

  // Decide refused a used reference and event ids are unique, so neither key
  // is among the pending entries (the committed ones are not read: recovery
  // and rebuilds must fold without the store).
  std::string record_key = DisbursementRuleKey(envelope.event_id());
  std::string payment_key = PaymentRuleKey(e.consortium_id(), e.payment_reference());
  assert(!state->pending_rule_entries.contains(record_key));
  assert(!state->pending_rule_entries.contains(payment_key));
  internal::v1::DisbursementRecord record;
  record.set_consortium_id(e.consortium_id());
  record.set_program_year(e.program_year());
  record.set_amount_krw(e.amount_krw());
  record.set_payment_reference(e.payment_reference());
  PutRuleEntry(std::move(record_key), SerializeDeterministic(record), state);
  PutRuleEntry(std::move(payment_key), envelope.event_id(), state);
}

// Needs nothing from the rule index: the reversal carries what it corrects
// (decide copied it from the original), so recovery never reads the store.
void FoldDisbursementReversed(const v1::EventEnvelope& envelope, const v1::DisbursementReversed& e,
                              LedgerState* state, ChangedModels* changed) {
  assert(e.amount_krw() > 0);
  AddDisbursed(envelope, e.consortium_id(), e.program_year(), -e.amount_krw(), state, changed);
  v1::YearFunding& funding = FundingOf(&ConsortiumOf(state, e.consortium_id()), e.program_year());
  funding.set_reversal_count(funding.reversal_count() + 1);
  if (!state->fold_rule_entries) return;

  std::string record_key = DisbursementRuleKey(e.corrects_event_id());
  internal::v1::DisbursementRecord record;
  record.set_consortium_id(e.consortium_id());
  record.set_program_year(e.program_year());
  record.set_amount_krw(e.amount_krw());
  record.set_payment_reference(e.payment_reference());
  if (auto it = state->pending_rule_entries.find(record_key);
      it != state->pending_rule_entries.end()) {
    // The original is at hand (same batch, or a fold from scratch): check
    // the copy against it, as the fold checked it when the original was kept
    // in memory.
    internal::v1::DisbursementRecord original;
    const bool parsed = original.ParseFromString(it->second);
    assert(parsed && !original.reversed());
    assert(SerializeDeterministic(original) == SerializeDeterministic(record));
    (void)parsed;
  }
  record.set_reversed(true);
  PutRuleEntry(std::move(record_key), SerializeDeterministic(record), state);
}

// ---- Agreements -----------------------------------------------------------------------

// Sets the year's grant to `grant_krw` in every total it counts in.
void SetGrant(const v1::EventEnvelope& envelope, const std::string& consortium_id,
              int32_t program_year, int64_t grant_krw, LedgerState* state, ChangedModels* changed) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, consortium_id);
  v1::YearFunding& funding = FundingOf(&consortium, program_year);
  const int64_t delta_krw = grant_krw - funding.committed_krw();
  funding.set_committed_krw(grant_krw);
  funding.set_remaining_commitment_krw(grant_krw - funding.disbursed_krw());
  funding.set_agreement_event_id(envelope.event_id());
  consortium.set_committed_total_krw(consortium.committed_total_krw() + delta_krw);
  assert(grant_krw <= funding.annual_limit_krw() &&
         consortium.committed_total_krw() <= consortium.limit_total_krw());
  Stamp(envelope, &consortium, changed);

  v1::ProgramSummary& program = ProgramOf(state, consortium.program_id());
  program.set_agreed_total_krw(program.agreed_total_krw() + delta_krw);
  v1::YearSummary& year = YearOf(&program, program_year);
  year.set_agreed_krw(year.agreed_krw() + delta_krw);
  Stamp(envelope, &program, changed);
}

void FoldAgreementSigned(const v1::EventEnvelope& envelope, const v1::AgreementSigned& e,
                         LedgerState* state, ChangedModels* changed) {
  v1::YearFunding& funding = FundingOf(&ConsortiumOf(state, e.consortium_id()), e.program_year());
  assert(!funding.agreement_signed());
  funding.set_agreement_signed(true);
  funding.set_agreement_reference(e.agreement_reference());
  *funding.mutable_agreement_signed_at() = e.occurred_at();
  SetGrant(envelope, e.consortium_id(), e.program_year(), e.grant_krw(), state, changed);
}

void FoldAgreementAmended(const v1::EventEnvelope& envelope, const v1::AgreementAmended& e,
                          LedgerState* state, ChangedModels* changed) {
  v1::YearFunding& funding = FundingOf(&ConsortiumOf(state, e.consortium_id()), e.program_year());
  assert(funding.agreement_signed() && funding.committed_krw() == e.previous_grant_krw() &&
         funding.agreement_event_id() == e.corrects_event_id());
  assert(e.grant_krw() >= funding.disbursed_krw());
  funding.set_amendment_count(funding.amendment_count() + 1);
  SetGrant(envelope, e.consortium_id(), e.program_year(), e.grant_krw(), state, changed);
}

// ---- Membership -----------------------------------------------------------------------

void FoldParticipantJoined(const v1::EventEnvelope& envelope, const v1::ParticipantJoined& e,
                           LedgerState* state, ChangedModels* changed) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, e.consortium_id());
  *consortium.add_participants() = e.participant();
  AddMember(envelope, e.participant(), e.occurred_at(), &consortium, state, changed);
  Stamp(envelope, &consortium, changed);
  changed->indexed_consortium_ids.insert(e.consortium_id());
}

void FoldParticipantWithdrew(const v1::EventEnvelope& envelope, const v1::ParticipantWithdrew& e,
                             LedgerState* state, ChangedModels* changed) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, e.consortium_id());
  auto* participants = consortium.mutable_participants();
  auto it = std::find_if(participants->begin(), participants->end(), [&](const v1::Participant& p) {
    return p.participant_id() == e.participant_id();
  });
  assert(it != participants->end());
  participants->erase(it);
  for (v1::Membership& member : *consortium.mutable_members()) {
    if (!member.current() || member.participant().participant_id() != e.participant_id()) continue;
    member.set_current(false);
    *member.mutable_withdrawn_at() = e.occurred_at();
    member.set_withdrawal_reason(e.reason());
  }
  Stamp(envelope, &consortium, changed);

  v1::ParticipantStatus& status = ParticipantOf(state, e.participant_id(), changed);
  for (v1::ParticipantMembership& membership : *status.mutable_memberships()) {
    if (!membership.current() || membership.consortium_id() != e.consortium_id()) continue;
    membership.set_current(false);
    *membership.mutable_withdrawn_at() = e.occurred_at();
  }
  Stamp(envelope, &status);
}

// ---- Researchers (rule 5) ----------------------------------------------------------------

// What one researcher adds to the counts, as the steps in effect leave them.
struct ResearcherContribution {
  v1::ResearcherStage stage = v1::RESEARCHER_STAGE_UNSPECIFIED;
  // 0 when not hired / not enrolled.
  int32_t hire_year = 0;
  int32_t enrolment_year = 0;
};

ResearcherContribution ContributionOf(const v1::Researcher& researcher) {
  ResearcherContribution contribution;
  contribution.stage = researcher.stage();
  if (researcher.has_hired_at()) contribution.hire_year = UtcYear(researcher.hired_at());
  if (researcher.has_enrolled_at()) contribution.enrolment_year = UtcYear(researcher.enrolled_at());
  return contribution;
}

void CountStage(v1::ResearcherCounts* counts, v1::ResearcherStage stage, int32_t delta) {
  switch (stage) {
    case v1::RESEARCHER_STAGE_ENROLLED:
      counts->set_enrolled(counts->enrolled() + delta);
      break;
    case v1::RESEARCHER_STAGE_GRADUATED:
      counts->set_graduated(counts->graduated() + delta);
      break;
    case v1::RESEARCHER_STAGE_HIRED:
      counts->set_hired(counts->hired() + delta);
      break;
    case v1::RESEARCHER_STAGE_LEFT:
      counts->set_left(counts->left() + delta);
      break;
    case v1::RESEARCHER_STAGE_RETRACTED:
      counts->set_retracted(counts->retracted() + delta);
      break;
    default:
      break;  // a researcher not yet folded counts nowhere
  }
}

// Adds `sign` x `contribution` to every count it is in: the consortium's,
// the program's, its region's, field's and years'.
void Count(const ResearcherContribution& contribution, int32_t sign,
           v1::ConsortiumStatus* consortium, v1::ProgramSummary* program) {
  CountStage(consortium->mutable_researcher_counts(), contribution.stage, sign);
  CountStage(program->mutable_researcher_counts(), contribution.stage, sign);
  if (contribution.hire_year != 0) {
    consortium->set_hire_count(consortium->hire_count() + sign);
    program->set_hire_count(program->hire_count() + sign);
    v1::RegionSummary& region = RegionOf(program, consortium->region_code());
    region.set_hire_count(region.hire_count() + sign);
    v1::FieldSummary& field = FieldOf(program, *consortium);
    field.set_hire_count(field.hire_count() + sign);
    v1::YearSummary& year = YearOf(program, contribution.hire_year);
    year.set_hire_count(year.hire_count() + sign);
  }
  if (contribution.enrolment_year != 0) {
    v1::YearSummary& year = YearOf(program, contribution.enrolment_year);
    year.set_enrolment_count(year.enrolment_count() + sign);
  }
}

// The researcher's stage and particulars from its steps in effect, in order.
void Derive(v1::Researcher* researcher) {
  const std::string researcher_id = researcher->researcher_id();
  auto steps = std::move(*researcher->mutable_steps());
  researcher->Clear();
  researcher->set_researcher_id(researcher_id);
  researcher->set_stage(v1::RESEARCHER_STAGE_RETRACTED);
  for (const v1::ResearcherStep& step : steps) {
    if (step.retracted()) continue;
    if (step.event_type() == "ResearcherEnrolled") {
      researcher->set_stage(v1::RESEARCHER_STAGE_ENROLLED);
      researcher->set_lab_id(step.lab_id());
      researcher->set_track(step.track());
      *researcher->mutable_enrolled_at() = step.occurred_at();
    } else if (step.event_type() == "ResearcherGraduated") {
      if (researcher->stage() != v1::RESEARCHER_STAGE_HIRED) {
        researcher->set_stage(v1::RESEARCHER_STAGE_GRADUATED);
      }
      researcher->set_degree(step.degree());
      *researcher->mutable_graduated_at() = step.occurred_at();
    } else if (step.event_type() == "ResearcherHired") {
      researcher->set_stage(v1::RESEARCHER_STAGE_HIRED);
      // A hire before graduation names the candidate degree; after, the
      // degree itself, which is already set.
      if (!researcher->has_graduated_at()) researcher->set_degree(step.degree());
      // A log from before enrolments existed hires without one.
      if (researcher->lab_id().empty()) researcher->set_lab_id(step.lab_id());
      researcher->set_enterprise_participant_id(step.enterprise_participant_id());
      *researcher->mutable_hired_at() = step.occurred_at();
    } else if (step.event_type() == "ResearcherLeft") {
      researcher->set_stage(v1::RESEARCHER_STAGE_LEFT);
      *researcher->mutable_left_at() = step.occurred_at();
    } else {
      assert(false && "a researcher step of an unknown type");
    }
  }
  *researcher->mutable_steps() = std::move(steps);
}

// The step of `researcher` that event `event_id` recorded, nullptr if none.
v1::ResearcherStep* FindStep(v1::Researcher* researcher, const std::string& event_id) {
  for (v1::ResearcherStep& step : *researcher->mutable_steps()) {
    if (step.event_id() == event_id) return &step;
  }
  return nullptr;
}

// The researcher's hire step in effect, nullptr when not hired.
const v1::ResearcherStep* HireStepOf(const v1::Researcher& researcher) {
  const v1::ResearcherStep* hire_step = nullptr;
  for (const v1::ResearcherStep& step : researcher.steps()) {
    if (!step.retracted() && step.event_type() == "ResearcherHired") hire_step = &step;
  }
  return hire_step;
}

// The hires the consortium's and the enterprises' models show, rebuilt from
// the researchers (a hire may be retracted, or followed by leaving).
void RefreshHires(const v1::EventEnvelope& envelope, const v1::Researcher& before,
                  const v1::Researcher& after, v1::ConsortiumStatus* consortium, LedgerState* state,
                  ChangedModels* changed) {
  // The consortium's list, in the order of the hire events in the log.
  std::vector<std::pair<uint64_t, v1::Hire>> hires;
  for (const v1::Researcher& researcher : consortium->researchers()) {
    const v1::ResearcherStep* step = HireStepOf(researcher);
    if (step == nullptr) continue;
    v1::Hire hire;
    hire.set_researcher_id(researcher.researcher_id());
    hire.set_degree(step->degree());
    hire.set_lab_id(researcher.lab_id());
    hire.set_enterprise_participant_id(step->enterprise_participant_id());
    *hire.mutable_hired_at() = step->occurred_at();
    hire.set_event_id(step->event_id());
    if (researcher.has_left_at()) *hire.mutable_left_at() = researcher.left_at();
    hires.emplace_back(step->global_position(), std::move(hire));
  }
  std::sort(hires.begin(), hires.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  consortium->clear_hires();
  for (auto& [position, hire] : hires) *consortium->add_hires() = std::move(hire);

  // The enterprises' lists: drop the researcher's hire from the enterprise
  // of before, put it back in the enterprise of after, ordered by hire date.
  const v1::ResearcherStep* hire_step = HireStepOf(after);
  for (const std::string* enterprise :
       {&before.enterprise_participant_id(), &after.enterprise_participant_id()}) {
    if (enterprise->empty()) continue;
    v1::ParticipantStatus& status = ParticipantOf(state, *enterprise, changed);
    auto* made = status.mutable_hires();
    made->erase(std::remove_if(made->begin(), made->end(),
                               [&](const v1::ParticipantHire& h) {
                                 return h.consortium_id() == consortium->consortium_id() &&
                                        h.researcher_id() == after.researcher_id();
                               }),
                made->end());
    if (hire_step != nullptr && *enterprise == after.enterprise_participant_id()) {
      v1::ParticipantHire entry;
      entry.set_consortium_id(consortium->consortium_id());
      entry.set_researcher_id(after.researcher_id());
      entry.set_degree(hire_step->degree());
      *entry.mutable_hired_at() = hire_step->occurred_at();
      if (after.has_left_at()) *entry.mutable_left_at() = after.left_at();
      entry.set_event_id(hire_step->event_id());
      auto key = [](const v1::ParticipantHire& h) {
        return std::make_tuple(h.hired_at().seconds(), h.hired_at().nanos(), h.consortium_id(),
                               h.researcher_id());
      };
      int index = made->size();
      *made->Add() = std::move(entry);
      while (index > 0 && key(made->Get(index)) < key(made->Get(index - 1))) {
        made->SwapElements(index, index - 1);
        --index;
      }
    }
    status.set_hire_count(status.hires_size());
    Stamp(envelope, &status);
  }
}

// Applies a change of one researcher's steps: `change` edits the record's
// steps (adds one, or marks one retracted); the stage, the counts and the
// hire lists follow from them.
template <typename Change>
void ChangeResearcher(const v1::EventEnvelope& envelope, const std::string& consortium_id,
                      const std::string& researcher_id, LedgerState* state, ChangedModels* changed,
                      Change change) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, consortium_id);
  v1::Researcher& researcher = SortedEntry(
      consortium.mutable_researchers(), researcher_id,
      [](const v1::Researcher& entry) -> const std::string& { return entry.researcher_id(); });
  researcher.set_researcher_id(researcher_id);
  const v1::Researcher before = researcher;
  change(&researcher);
  Derive(&researcher);

  v1::ProgramSummary& program = ProgramOf(state, consortium.program_id());
  Count(ContributionOf(before), -1, &consortium, &program);
  Count(ContributionOf(researcher), +1, &consortium, &program);
  RefreshHires(envelope, before, researcher, &consortium, state, changed);
  Stamp(envelope, &consortium, changed);
  Stamp(envelope, &program, changed);
}

v1::ResearcherStep NewStep(const v1::EventEnvelope& envelope,
                           const google::protobuf::Timestamp& occurred_at) {
  v1::ResearcherStep step;
  step.set_event_id(envelope.event_id());
  step.set_event_type(envelope.event_type());
  *step.mutable_occurred_at() = occurred_at;
  step.set_global_position(envelope.global_position());
  return step;
}

void FoldResearcherEnrolled(const v1::EventEnvelope& envelope, const v1::ResearcherEnrolled& e,
                            LedgerState* state, ChangedModels* changed) {
  ChangeResearcher(envelope, e.consortium_id(), e.researcher_id(), state, changed,
                   [&](v1::Researcher* researcher) {
                     assert(researcher->stage() == v1::RESEARCHER_STAGE_UNSPECIFIED ||
                            researcher->stage() == v1::RESEARCHER_STAGE_RETRACTED);
                     v1::ResearcherStep step = NewStep(envelope, e.occurred_at());
                     step.set_lab_id(e.lab_id());
                     step.set_track(e.track());
                     *researcher->add_steps() = std::move(step);
                   });
}

void FoldResearcherGraduated(const v1::EventEnvelope& envelope, const v1::ResearcherGraduated& e,
                             LedgerState* state, ChangedModels* changed) {
  ChangeResearcher(envelope, e.consortium_id(), e.researcher_id(), state, changed,
                   [&](v1::Researcher* researcher) {
                     v1::ResearcherStep step = NewStep(envelope, e.occurred_at());
                     step.set_degree(e.degree());
                     *researcher->add_steps() = std::move(step);
                   });
}

void FoldResearcherHired(const v1::EventEnvelope& envelope, const v1::ResearcherHired& e,
                         LedgerState* state, ChangedModels* changed) {
  ChangeResearcher(envelope, e.consortium_id(), e.researcher_id(), state, changed,
                   [&](v1::Researcher* researcher) {
                     v1::ResearcherStep step = NewStep(envelope, e.occurred_at());
                     step.set_degree(e.degree());
                     step.set_lab_id(e.lab_id());
                     step.set_enterprise_participant_id(e.enterprise_participant_id());
                     *researcher->add_steps() = std::move(step);
                   });
}

void FoldResearcherLeft(const v1::EventEnvelope& envelope, const v1::ResearcherLeft& e,
                        LedgerState* state, ChangedModels* changed) {
  ChangeResearcher(envelope, e.consortium_id(), e.researcher_id(), state, changed,
                   [&](v1::Researcher* researcher) {
                     assert(researcher->stage() == v1::RESEARCHER_STAGE_HIRED);
                     v1::ResearcherStep step = NewStep(envelope, e.occurred_at());
                     step.set_enterprise_participant_id(e.enterprise_participant_id());
                     *researcher->add_steps() = std::move(step);
                   });
}

void FoldResearcherStepRetracted(const v1::EventEnvelope& envelope,
                                 const v1::ResearcherStepRetracted& e, LedgerState* state,
                                 ChangedModels* changed) {
  ChangeResearcher(envelope, e.consortium_id(), e.researcher_id(), state, changed,
                   [&](v1::Researcher* researcher) {
                     v1::ResearcherStep* step = FindStep(researcher, e.corrects_event_id());
                     assert(step != nullptr && !step->retracted());
                     step->set_retracted(true);
                     step->set_retraction_event_id(envelope.event_id());
                   });
}

// ---- Evaluations and state ------------------------------------------------------------

void FoldEvaluationRecorded(const v1::EventEnvelope& envelope, const v1::EvaluationRecorded& e,
                            LedgerState* state, ChangedModels* changed) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, e.consortium_id());
  v1::Evaluation& evaluation =
      SortedEntry(consortium.mutable_evaluations(), e.program_year(),
                  [](const v1::Evaluation& entry) { return entry.program_year(); });
  assert(evaluation.event_id().empty());
  evaluation.set_program_year(e.program_year());
  evaluation.set_grade(e.grade());
  evaluation.set_score(e.score());
  evaluation.set_summary(e.summary());
  *evaluation.mutable_evaluated_at() = e.occurred_at();
  evaluation.set_event_id(envelope.event_id());
  evaluation.set_original_event_id(envelope.event_id());
  Stamp(envelope, &consortium, changed);
}

void FoldEvaluationCorrected(const v1::EventEnvelope& envelope, const v1::EvaluationCorrected& e,
                             LedgerState* state, ChangedModels* changed) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, e.consortium_id());
  v1::Evaluation* evaluation = nullptr;
  for (v1::Evaluation& candidate : *consortium.mutable_evaluations()) {
    if (candidate.event_id() == e.corrects_event_id()) evaluation = &candidate;
  }
  assert(evaluation != nullptr && evaluation->program_year() == e.program_year());
  evaluation->set_grade(e.grade());
  evaluation->set_score(e.score());
  evaluation->set_event_id(envelope.event_id());
  evaluation->set_correction_count(evaluation->correction_count() + 1);
  Stamp(envelope, &consortium, changed);
}

void FoldStateChange(const v1::EventEnvelope& envelope, const std::string& consortium_id,
                     v1::ConsortiumState to, const std::string& reason,
                     const google::protobuf::Timestamp& occurred_at, LedgerState* state,
                     ChangedModels* changed) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, consortium_id);
  ChangeState(envelope, to, reason, occurred_at, &consortium, state, changed);
}

void FoldSelectionRoundOpened(const v1::EventEnvelope& envelope, const v1::SelectionRoundOpened& e,
                              LedgerState* state, ChangedModels* changed) {
  v1::ProgramSummary& program = ProgramOf(state, e.program_id());
  assert(RoundOf(&program, e.round_year()) == nullptr);
  v1::SelectionRound& round =
      SortedEntry(program.mutable_rounds(), e.round_year(),
                  [](const v1::SelectionRound& entry) { return entry.round_year(); });
  round.set_round_year(e.round_year());
  round.set_slots(e.slots());
  *round.mutable_opened_at() = e.occurred_at();
  Stamp(envelope, &program, changed);
}

}  // namespace

void Fold(const v1::EventEnvelope& envelope, LedgerState* state, ChangedModels* changed) {
  const v1::Event& event = envelope.payload();
  switch (event.kind_case()) {
    case v1::Event::kProgramEstablished:
      return FoldProgramEstablished(envelope, event.program_established(), state, changed);
    case v1::Event::kConsortiumSelected:
      return FoldConsortiumSelected(envelope, event.consortium_selected(), state, changed);
    case v1::Event::kLabDesignated:
      return FoldLabDesignated(envelope, event.lab_designated(), state, changed);
    case v1::Event::kFundsDisbursed:
      return FoldFundsDisbursed(envelope, event.funds_disbursed(), state, changed);
    case v1::Event::kDisbursementReversed:
      return FoldDisbursementReversed(envelope, event.disbursement_reversed(), state, changed);
    case v1::Event::kResearcherHired:
      return FoldResearcherHired(envelope, event.researcher_hired(), state, changed);
    case v1::Event::kSelectionRoundOpened:
      return FoldSelectionRoundOpened(envelope, event.selection_round_opened(), state, changed);
    case v1::Event::kAgreementSigned:
      return FoldAgreementSigned(envelope, event.agreement_signed(), state, changed);
    case v1::Event::kAgreementAmended:
      return FoldAgreementAmended(envelope, event.agreement_amended(), state, changed);
    case v1::Event::kParticipantJoined:
      return FoldParticipantJoined(envelope, event.participant_joined(), state, changed);
    case v1::Event::kParticipantWithdrew:
      return FoldParticipantWithdrew(envelope, event.participant_withdrew(), state, changed);
    case v1::Event::kResearcherEnrolled:
      return FoldResearcherEnrolled(envelope, event.researcher_enrolled(), state, changed);
    case v1::Event::kResearcherGraduated:
      return FoldResearcherGraduated(envelope, event.researcher_graduated(), state, changed);
    case v1::Event::kResearcherLeft:
      return FoldResearcherLeft(envelope, event.researcher_left(), state, changed);
    case v1::Event::kResearcherStepRetracted:
      return FoldResearcherStepRetracted(envelope, event.researcher_step_retracted(), state,
                                         changed);
    case v1::Event::kEvaluationRecorded:
      return FoldEvaluationRecorded(envelope, event.evaluation_recorded(), state, changed);
    case v1::Event::kEvaluationCorrected:
      return FoldEvaluationCorrected(envelope, event.evaluation_corrected(), state, changed);
    case v1::Event::kConsortiumSuspended: {
      const v1::ConsortiumSuspended& e = event.consortium_suspended();
      return FoldStateChange(envelope, e.consortium_id(), v1::CONSORTIUM_STATE_SUSPENDED,
                             e.reason(), e.occurred_at(), state, changed);
    }
    case v1::Event::kConsortiumResumed: {
      const v1::ConsortiumResumed& e = event.consortium_resumed();
      return FoldStateChange(envelope, e.consortium_id(), v1::CONSORTIUM_STATE_ACTIVE, e.reason(),
                             e.occurred_at(), state, changed);
    }
    case v1::Event::kConsortiumTerminated: {
      const v1::ConsortiumTerminated& e = event.consortium_terminated();
      return FoldStateChange(envelope, e.consortium_id(), v1::CONSORTIUM_STATE_TERMINATED,
                             e.reason(), e.occurred_at(), state, changed);
    }
    case v1::Event::kConsortiumCompleted: {
      const v1::ConsortiumCompleted& e = event.consortium_completed();
      return FoldStateChange(envelope, e.consortium_id(), v1::CONSORTIUM_STATE_COMPLETED,
                             "term completed", e.occurred_at(), state, changed);
    }
    case v1::Event::KIND_NOT_SET:
      break;
  }
  // Every stored event has a payload this build knows: an unknown one means
  // the log was written by a newer build, which must upcast first.
  assert(false && "event without a known payload");
}

std::string SerializeDeterministic(const google::protobuf::MessageLite& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream output(&bytes);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    const bool ok = message.SerializeToCodedStream(&coded);
    assert(ok);  // fails only for a message missing required fields (proto2)
    (void)ok;
  }
  return bytes;
}

std::vector<std::pair<absl::string_view, std::string>> IndexValuesOf(
    const v1::ConsortiumStatus& consortium) {
  std::vector<std::pair<absl::string_view, std::string>> values;
  values.emplace_back(kIndexProgram, consortium.program_id());
  values.emplace_back(kIndexRegion, consortium.region_code());
  for (const std::string* field : {&consortium.field_ko(), &consortium.field_en()}) {
    if (!field->empty()) values.emplace_back(kIndexField, *field);
  }
  // Current and former members: the index is never pruned.
  for (const v1::Membership& member : consortium.members()) {
    values.emplace_back(kIndexParticipant, member.participant().participant_id());
  }
  return values;
}

std::vector<std::pair<std::string, std::string>> RuleEntries(const LedgerState& state) {
  return {state.pending_rule_entries.begin(), state.pending_rule_entries.end()};
}

}  // namespace alliance::domain
