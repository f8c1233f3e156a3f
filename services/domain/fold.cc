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
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message_lite.h"
#include "google/protobuf/timestamp.pb.h"
#include "services/domain/model_keys.h"

namespace alliance::domain {
namespace {

using ModelEntry = std::pair<std::string, std::string>;

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
  Stamp(envelope, &consortium, changed);
  changed->indexed_consortium_ids.insert(e.consortium_id());

  program.set_consortium_count(program.consortium_count() + 1);
  program.set_committed_krw(program.committed_krw() + rules.consortium_limit_krw());
  program.set_uncommitted_krw(program.uncommitted_krw() - rules.consortium_limit_krw());
  assert(program.uncommitted_krw() >= 0);  // decide refuses a consortium past the budget
  v1::RegionSummary& region = RegionOf(&program, e.region_code());
  if (region.region_name_ko().empty()) region.set_region_name_ko(e.region_name_ko());
  region.set_consortium_count(region.consortium_count() + 1);
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
  Stamp(envelope, &program, changed);
}

// One canonical byte string per message, so rebuilds compare byte for byte.
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
  AddDisbursed(envelope, e.consortium_id(), e.program_year(), -e.amount_krw(), state, changed);
  v1::YearFunding& funding = FundingOf(&ConsortiumOf(state, e.consortium_id()), e.program_year());
  funding.set_reversal_count(funding.reversal_count() + 1);
  record.set_reversed(true);
  PutRuleEntry(std::move(record_key), SerializeDeterministic(record), state);
}

void FoldResearcherHired(const v1::EventEnvelope& envelope, const v1::ResearcherHired& e,
                         LedgerState* state, ChangedModels* changed) {
  v1::ConsortiumStatus& consortium = ConsortiumOf(state, e.consortium_id());
  v1::Hire* hire = consortium.add_hires();
  hire->set_researcher_id(e.researcher_id());
  hire->set_degree(e.degree());
  hire->set_lab_id(e.lab_id());
  hire->set_enterprise_participant_id(e.enterprise_participant_id());
  *hire->mutable_hired_at() = e.occurred_at();
  hire->set_event_id(envelope.event_id());
  Stamp(envelope, &consortium, changed);

  v1::ProgramSummary& program = ProgramOf(state, consortium.program_id());
  program.set_hire_count(program.hire_count() + 1);
  v1::RegionSummary& region = RegionOf(&program, consortium.region_code());
  region.set_hire_count(region.hire_count() + 1);
  v1::YearSummary& year = YearOf(&program, UtcYear(e.occurred_at()));
  year.set_hire_count(year.hire_count() + 1);
  Stamp(envelope, &program, changed);
}

// ---- Model entries ------------------------------------------------------------------

void AddIndexEntries(const v1::ConsortiumStatus& consortium, std::vector<ModelEntry>* entries) {
  const std::string& id = consortium.consortium_id();
  entries->emplace_back(IndexKey(kIndexProgram, consortium.program_id(), id), "");
  entries->emplace_back(IndexKey(kIndexRegion, consortium.region_code(), id), "");
  for (const std::string* field : {&consortium.field_ko(), &consortium.field_en()}) {
    if (!field->empty()) entries->emplace_back(IndexKey(kIndexField, *field, id), "");
  }
  for (const v1::Participant& participant : consortium.participants()) {
    entries->emplace_back(IndexKey(kIndexParticipant, participant.participant_id(), id), "");
  }
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
    case v1::Event::KIND_NOT_SET:
      break;
  }
  // Every stored event has a payload this build knows: an unknown one means
  // the log was written by a newer build, which must upcast first.
  assert(false && "event without a known payload");
}

std::vector<std::pair<std::string, std::string>> ModelEntries(const LedgerState& state,
                                                              const ChangedModels& changed) {
  std::vector<ModelEntry> entries;
  for (const std::string& program_id : changed.program_ids) {
    auto it = state.programs.find(program_id);
    assert(it != state.programs.end());
    entries.emplace_back(ProgramModelKey(program_id), SerializeDeterministic(it->second));
  }
  for (const std::string& consortium_id : changed.consortium_ids) {
    auto it = state.consortia.find(consortium_id);
    assert(it != state.consortia.end());
    entries.emplace_back(ConsortiumModelKey(consortium_id), SerializeDeterministic(it->second));
  }
  for (const std::string& consortium_id : changed.indexed_consortium_ids) {
    auto it = state.consortia.find(consortium_id);
    assert(it != state.consortia.end());
    AddIndexEntries(it->second, &entries);
  }
  entries.insert(entries.end(), state.pending_rule_entries.begin(),
                 state.pending_rule_entries.end());
  std::sort(entries.begin(), entries.end());
  // A field whose Korean and English names are the same gives one key twice.
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

std::vector<std::pair<std::string, std::string>> AllModels(const LedgerState& state) {
  ChangedModels all;
  for (const auto& [program_id, program] : state.programs) all.program_ids.insert(program_id);
  for (const auto& [consortium_id, consortium] : state.consortia) {
    all.consortium_ids.insert(consortium_id);
    all.indexed_consortium_ids.insert(consortium_id);
  }
  return ModelEntries(state, all);
}

}  // namespace alliance::domain
