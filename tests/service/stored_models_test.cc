// Stored models (services/ledger/stored_models.h): the entries a batch and a
// rebuild write to the store's `models` family, their keys as storage lays
// them out, and the state loaded back from them.
#include "services/ledger/stored_models.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "services/domain/fold.h"
#include "storage/model_keys.h"
#include "tests/domain/ledger_fixture.h"

namespace alliance {
namespace {

using ::alliance::domain::ChangedModels;
using ::alliance::domain::Fold;
using ::alliance::domain::kIndexField;
using ::alliance::domain::kIndexParticipant;
using ::alliance::domain::kIndexProgram;
using ::alliance::domain::kIndexRegion;
using ::alliance::domain::LedgerState;
using namespace ::alliance::domain::testing;  // the fixture's requests and ids

using Entries = StoredModels;

std::string ModelKeyOf(absl::string_view kind, const std::string& id) {
  return storage::EncodeKey(storage::ModelKey{std::string(kind), id});
}

std::string IndexKeyOf(absl::string_view index, const std::string& value, const std::string& id) {
  return storage::EncodeKey(storage::IndexKey{std::string(index), value, id});
}

TEST(StoredModels, AllModels_EqualsModelEntriesOfEverythingAndIsSorted) {
  Ledger ledger = BusyLedger();
  Entries all = AllModels(ledger.state());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end(),
                               [](const auto& a, const auto& b) { return a.first == b.first; }),
            all.end());
  ChangedModels everything;
  everything.program_ids.insert(std::string(kProgram2023));
  for (absl::string_view id : {kChungnam, kGyeongnam, kUlsan}) {
    everything.consortium_ids.insert(std::string(id));
    everything.indexed_consortium_ids.insert(std::string(id));
  }
  for (const auto& [participant_id, participant] : ledger.state().participants) {
    everything.participant_ids.insert(participant_id);
  }
  EXPECT_EQ(everything.participant_ids.size(), 14u);  // the members of the three
  EXPECT_EQ(ModelEntries(ledger.state(), everything), all);
}

// Only a selection sets the indexed attributes; a payment rewrites the
// consortium's status, never its index entries.
TEST(StoredModels, Entries_OfAPaymentHoldNoIndexEntries) {
  Ledger ledger;
  ledger.Given2023WithAgreements();
  ledger.Given(Disbursement(kChungnam, 2023, 100'000'000, "C-1"));
  EXPECT_TRUE(ledger.last_changed().indexed_consortium_ids.empty());
  for (const auto& [key, value] : ModelEntries(ledger.state(), ledger.last_changed())) {
    EXPECT_FALSE(absl::StartsWith(key, absl::string_view("index\0", 6))) << key;
  }
}

TEST(StoredModels, Entries_HoldTheModelsAndAnIndexEntryForEachProgramRegionFieldAndParticipant) {
  Ledger ledger;
  ledger.Given(Program2023());
  ledger.Given(Round(2023, 3));
  ledger.Given(Chungnam());
  Entries entries = ModelEntries(ledger.state(), ledger.last_changed());
  const std::string id(kChungnam);
  Entries expected_indexes = {
      {IndexKeyOf(kIndexField, "future vehicles", id), ""},
      {IndexKeyOf(kIndexField, "미래차", id), ""},
      {IndexKeyOf(kIndexProgram, "alliance-2023", id), ""},
      {IndexKeyOf(kIndexRegion, "KR-44", id), ""},
  };
  std::vector<std::string> members;
  for (const char* name : {"kongju-univ", "conex", "yongsan", "katech", "chungnam-province"}) {
    members.push_back(Pid(name));
    expected_indexes.push_back({IndexKeyOf(kIndexParticipant, Pid(name), id), ""});
  }
  std::sort(expected_indexes.begin(), expected_indexes.end());
  std::sort(members.begin(), members.end());
  // The consortium, its indexes, its five members' models, the program.
  ASSERT_EQ(entries.size(), 1 + expected_indexes.size() + members.size() + 1);
  EXPECT_EQ(entries[0].first, ModelKeyOf("consortium", id));
  v1::ConsortiumStatus status;
  ASSERT_TRUE(status.ParseFromString(entries[0].second));
  EXPECT_EQ(status.consortium_id(), id);
  for (size_t i = 0; i < expected_indexes.size(); ++i) {
    EXPECT_EQ(entries[i + 1], expected_indexes[i]) << i;
  }
  for (size_t i = 0; i < members.size(); ++i) {
    const auto& [key, value] = entries[1 + expected_indexes.size() + i];
    EXPECT_EQ(key, ModelKeyOf("participant", members[i]));
    v1::ParticipantStatus participant;
    ASSERT_TRUE(participant.ParseFromString(value));
    ASSERT_EQ(participant.memberships_size(), 1);
    EXPECT_EQ(participant.memberships(0).consortium_id(), id);
    EXPECT_EQ(participant.memberships(0).lead(), members[i] == Pid("kongju-univ"));
  }
  EXPECT_EQ(entries.back().first, ModelKeyOf("program", "alliance-2023"));
  v1::ProgramSummary program;
  ASSERT_TRUE(program.ParseFromString(entries.back().second));
  EXPECT_EQ(program.consortium_count(), 1);
  ASSERT_EQ(program.rounds_size(), 1);
  EXPECT_EQ(program.rounds(0).selected_count(), 1);
}

TEST(StoredModels, Rebuild_FoldingTheSameEventsTwiceIsByteIdentical) {
  Ledger ledger = BusyLedger();
  for (int rebuild = 0; rebuild < 2; ++rebuild) {
    LedgerState state;
    ChangedModels changed;
    for (const v1::EventEnvelope& event : ledger.log()) Fold(event, &state, &changed);
    EXPECT_EQ(AllModels(state), AllModels(ledger.state())) << "rebuild " << rebuild;
    // Every model written along the way is among those a rebuild writes.
    EXPECT_EQ(changed.program_ids.size(), state.programs.size());
    EXPECT_EQ(changed.consortium_ids.size(), state.consortia.size());
    EXPECT_EQ(changed.participant_ids.size(), state.participants.size());
  }
}

TEST(StoredModels, StateFromModels_GivesBackTheStateThatWroteThem) {
  Ledger ledger = BusyLedger();
  const Entries stored = AllModels(ledger.state());
  absl::StatusOr<LedgerState> loaded = StateFromModels(stored);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(AllModels(*loaded), stored);
  EXPECT_EQ(loaded->consortia.size(), 3u);
}

TEST(StoredModels, StateFromModels_RefusesAMissingAnAlteredOrAnUnknownEntry) {
  Ledger ledger = BusyLedger();
  const Entries stored = AllModels(ledger.state());

  Entries missing_index = stored;
  missing_index.erase(std::find_if(missing_index.begin(), missing_index.end(), [](const auto& e) {
    return absl::StartsWith(e.first, absl::string_view("index\0", 6));
  }));
  EXPECT_EQ(StateFromModels(missing_index).status().code(), absl::StatusCode::kDataLoss);

  Entries altered = stored;
  altered.front().second.push_back('\x01');
  EXPECT_EQ(StateFromModels(altered).status().code(), absl::StatusCode::kDataLoss);

  Entries unknown = stored;
  unknown.emplace_back(ModelKeyOf("zzz-kind", "x"), "");
  EXPECT_EQ(StateFromModels(unknown).status().code(), absl::StatusCode::kDataLoss);

  Entries malformed = stored;
  malformed.emplace_back("no-separator", "");
  EXPECT_EQ(StateFromModels(malformed).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace alliance
