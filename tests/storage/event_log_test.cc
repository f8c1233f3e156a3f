#include "storage/event_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "rocksdb/db.h"
#include "tests/storage/raw_store.h"
#include "tests/storage/temp_dir.h"

namespace alliance::storage {
namespace {

using google::protobuf::util::MessageDifferencer;
using namespace std::string_literals;

std::string Sha(char fill) { return std::string(32, fill); }

v1::EventEnvelope Envelope(uint64_t global_position, const std::string& stream_id,
                           uint64_t stream_version, const std::string& event_id) {
  v1::EventEnvelope envelope;
  envelope.set_global_position(global_position);
  envelope.set_stream_id(stream_id);
  envelope.set_stream_version(stream_version);
  envelope.set_event_id(event_id);
  envelope.set_event_type("FundsDisbursed");
  envelope.mutable_recorded_at()->set_seconds(1700000000);
  envelope.mutable_recorded_by()->set_agency("KIAT");
  envelope.mutable_recorded_by()->set_principal("kiat-erp");
  v1::FundsDisbursed* funds = envelope.mutable_payload()->mutable_funds_disbursed();
  funds->set_consortium_id("chungnam");
  funds->set_program_year(2023);
  funds->set_amount_krw(100000000 + static_cast<int64_t>(global_position));
  funds->set_payment_reference("pay-" + std::to_string(global_position));
  return envelope;
}

std::unique_ptr<EventLog> OpenOrDie(const std::string& path) {
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(path, EventLogOptions{});
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

// Two commands: "cmd-a" appends versions 1 and 2 of consortium-a at
// positions 1 and 2; "cmd-b" appends version 1 of program-p at position 3.
CommitBatch FirstBatch() {
  CommitBatch batch;
  batch.commands.push_back(
      {"cmd-a",
       Sha('a'),
       {Envelope(1, "consortium-a", 1, "cmd-a"), Envelope(2, "consortium-a", 2, "cmd-a#1")}});
  batch.commands.push_back({"cmd-b", Sha('b'), {Envelope(3, "program-p", 1, "cmd-b")}});
  batch.model_writes.push_back({"consortium\0a"s, "status-a"});
  batch.rule_writes.push_back({"payment\0a\0P-1"s, "cmd-a"});
  return batch;
}

std::vector<uint64_t> Positions(const std::vector<v1::EventEnvelope>& events) {
  std::vector<uint64_t> positions;
  for (const v1::EventEnvelope& event : events) positions.push_back(event.global_position());
  return positions;
}

using Models = std::vector<std::pair<std::string, std::string>>;

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override { log_ = OpenOrDie(dir_.Sub("store")); }

  TempDir dir_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(EventLogTest, EmptyLogHasNothing) {
  EXPECT_EQ(*log_->LastPosition(), 0u);
  EXPECT_TRUE(log_->ReadAll(1, 10)->empty());
  EXPECT_TRUE(log_->ReadStream("consortium-a", 1, 10)->empty());
  EXPECT_EQ(*log_->StreamVersion("consortium-a"), 0u);
  EXPECT_FALSE(log_->FindEventId("cmd-a")->has_value());
  EXPECT_TRUE(log_->DumpModels()->empty());
}

// The models family holds only keys of model_keys.h's shapes: a write with
// any other key is refused whole, and nothing of its batch is written.
TEST_F(EventLogTest, AModelWriteNotKeyedByModelKeysIsRefusedAndNothingIsWritten) {
  CommitBatch batch = FirstBatch();
  batch.model_writes.push_back({"a key without a separator", "x"});
  absl::Status status = log_->Commit(batch);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(*log_->LastPosition(), 0u);
  EXPECT_TRUE(log_->DumpModels()->empty());
  // The same batch with its keys in order is taken.
  EXPECT_TRUE(log_->Commit(FirstBatch()).ok());
}

TEST_F(EventLogTest, CommitThenReadAll) {
  CommitBatch batch = FirstBatch();
  ASSERT_TRUE(log_->Commit(batch).ok());

  absl::StatusOr<std::vector<v1::EventEnvelope>> all = log_->ReadAll(1, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_TRUE(MessageDifferencer::Equals((*all)[0], batch.commands[0].events[0]));
  EXPECT_TRUE(MessageDifferencer::Equals((*all)[1], batch.commands[0].events[1]));
  EXPECT_TRUE(MessageDifferencer::Equals((*all)[2], batch.commands[1].events[0]));

  EXPECT_EQ(Positions(*log_->ReadAll(2, 1)), std::vector<uint64_t>{2});
  EXPECT_EQ(Positions(*log_->ReadAll(0, 100)), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_TRUE(log_->ReadAll(4, 100)->empty());
  EXPECT_TRUE(log_->ReadAll(1, 0)->empty());
  EXPECT_EQ(*log_->LastPosition(), 3u);
}

TEST_F(EventLogTest, CommitThenReadStream) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());

  EXPECT_EQ(Positions(*log_->ReadStream("consortium-a", 1, 10)), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(Positions(*log_->ReadStream("consortium-a", 2, 10)), std::vector<uint64_t>{2});
  EXPECT_EQ(Positions(*log_->ReadStream("consortium-a", 0, 1)), std::vector<uint64_t>{1});
  EXPECT_EQ(Positions(*log_->ReadStream("program-p", 1, 10)), std::vector<uint64_t>{3});
  // A stream whose id is a prefix of another's holds none of its events.
  EXPECT_TRUE(log_->ReadStream("consortium-", 1, 10)->empty());
  EXPECT_TRUE(log_->ReadStream("unknown", 1, 10)->empty());

  EXPECT_EQ(*log_->StreamVersion("consortium-a"), 2u);
  EXPECT_EQ(*log_->StreamVersion("program-p"), 1u);
  EXPECT_EQ(*log_->StreamVersion("consortium-"), 0u);
}

TEST_F(EventLogTest, ForEachEventVisitsInOrderAndStopsOnError) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());

  std::vector<uint64_t> visited;
  absl::Status status = log_->ForEachEvent(2, [&](const v1::EventEnvelope& event) {
    visited.push_back(event.global_position());
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(visited, (std::vector<uint64_t>{2, 3}));

  visited.clear();
  status = log_->ForEachEvent(1, [&](const v1::EventEnvelope& event) {
    visited.push_back(event.global_position());
    return absl::CancelledError("enough");
  });
  EXPECT_TRUE(absl::IsCancelled(status));
  EXPECT_EQ(visited, std::vector<uint64_t>{1});
}

// Appends `count` events to `stream_id` after what the log holds (one
// command each, 500 a batch); the event at position p has payment reference
// `reference(p)`.
void AppendEvents(EventLog& log, const std::string& stream_id, uint64_t count,
                  const std::function<std::string(uint64_t)>& reference) {
  const uint64_t first = *log.LastPosition() + 1;
  const uint64_t first_version = *log.StreamVersion(stream_id) + 1;
  CommitBatch batch;
  for (uint64_t position = first; position < first + count; ++position) {
    const std::string id = absl::StrCat("cmd-", position);
    v1::EventEnvelope event = Envelope(position, stream_id, first_version + (position - first), id);
    event.mutable_payload()->mutable_funds_disbursed()->set_payment_reference(reference(position));
    batch.commands.push_back({id, Sha('a'), {std::move(event)}});
    if (batch.commands.size() == 500 || position + 1 == first + count) {
      ASSERT_TRUE(log.Commit(batch).ok());
      batch = CommitBatch();
    }
  }
}

// A scan is a pipeline that hands events over in chunks, by count and by
// size: a long log, events of many sizes and some larger than a chunk, all
// arrive in order and intact.
TEST_F(EventLogTest, ForEachEventVisitsALongLogInOrderAcrossChunks) {
  auto reference = [](uint64_t position) {
    // Mostly short, every 97th a few KiB, every 1000th 300 KiB.
    const size_t bytes = position % 1000 == 0 ? 300 << 10 : position % 97 == 0 ? 5000 : 10;
    return absl::StrCat(position, ":", std::string(bytes, 'r'));
  };
  AppendEvents(*log_, "consortium-a", 12000, reference);

  uint64_t expected = 1;
  absl::Status status = log_->ForEachEvent(1, [&](const v1::EventEnvelope& event) {
    if (event.global_position() != expected ||
        event.payload().funds_disbursed().payment_reference() != reference(expected)) {
      return absl::InternalError(
          absl::StrCat("event ", expected, " came as ", event.global_position()));
    }
    ++expected;
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(expected, 12001u);
}

// A visitor that stops early, while the stages before it are chunks ahead,
// gets its own status back, and nothing after it.
TEST_F(EventLogTest, ForEachEventStopsMidwayThroughALongLog) {
  AppendEvents(*log_, "consortium-a", 40000,
               [](uint64_t position) { return absl::StrCat("P-", position); });

  uint64_t visited = 0;
  absl::Status status = log_->ForEachEvent(1, [&](const v1::EventEnvelope& event) {
    ++visited;
    if (event.global_position() == 3000) return absl::CancelledError("enough");
    return absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
  EXPECT_EQ(status.message(), "enough");
  EXPECT_EQ(visited, 3000u);
}

TEST_F(EventLogTest, FindEventIdRemembersTheCommand) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());

  absl::StatusOr<std::optional<EventIdRecord>> a = log_->FindEventId("cmd-a");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->first_global_position, 1u);
  EXPECT_EQ((*a)->event_count, 2u);
  EXPECT_EQ((*a)->request_sha256, Sha('a'));

  absl::StatusOr<std::optional<EventIdRecord>> b = log_->FindEventId("cmd-b");
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->first_global_position, 3u);
  EXPECT_EQ((*b)->event_count, 1u);

  // Only the command's id is indexed, not the ids of its later events.
  EXPECT_FALSE(log_->FindEventId("cmd-a#1")->has_value());
}

TEST_F(EventLogTest, SecondCommitContinuesTheLog) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  CommitBatch second;
  second.commands.push_back({"cmd-c", Sha('c'), {Envelope(4, "consortium-a", 3, "cmd-c")}});
  ASSERT_TRUE(log_->Commit(second).ok());
  EXPECT_EQ(*log_->LastPosition(), 4u);
  EXPECT_EQ(*log_->StreamVersion("consortium-a"), 3u);
  EXPECT_EQ(Positions(*log_->ReadStream("consortium-a", 1, 10)), (std::vector<uint64_t>{1, 2, 4}));
}

TEST_F(EventLogTest, ModelWritesLandWithTheEvents) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  EXPECT_EQ(*log_->DumpModels(), (Models{{"consortium\0a"s, "status-a"}}));

  CommitBatch second;
  second.commands.push_back({"cmd-c", Sha('c'), {Envelope(4, "consortium-b", 1, "cmd-c")}});
  second.model_writes.push_back({"consortium\0a"s, std::nullopt});
  second.model_writes.push_back({"consortium\0b"s, "status-b"});
  ASSERT_TRUE(log_->Commit(second).ok());
  EXPECT_EQ(*log_->DumpModels(), (Models{{"consortium\0b"s, "status-b"}}));
}

TEST_F(EventLogTest, ReopenKeepsEverything) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  log_.reset();
  log_ = OpenOrDie(dir_.Sub("store"));
  ASSERT_NE(log_, nullptr);

  EXPECT_EQ(*log_->LastPosition(), 3u);
  EXPECT_EQ(Positions(*log_->ReadAll(1, 100)), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(*log_->StreamVersion("consortium-a"), 2u);
  EXPECT_TRUE(log_->FindEventId("cmd-b")->has_value());
  EXPECT_EQ(log_->DumpModels()->size(), 1u);

  // The reopened log continues where the old one stopped.
  CommitBatch second;
  second.commands.push_back({"cmd-c", Sha('c'), {Envelope(4, "program-p", 2, "cmd-c")}});
  EXPECT_TRUE(log_->Commit(second).ok());
}

// Commit asserts the writer's promise that every stream continues where the
// log left it: a version skipped or repeated is a bug in the writer and
// crashes, whether the log remembers the stream's version from its own last
// commit or reads it from the store (after a reopen).
using EventLogDeathTest = EventLogTest;

CommitBatch OneEventOf(const std::string& stream_id, uint64_t stream_version) {
  CommitBatch batch;
  batch.commands.push_back({"cmd-c", Sha('c'), {Envelope(4, stream_id, stream_version, "cmd-c")}});
  return batch;
}

TEST_F(EventLogDeathTest, CommitThatSkipsOrRepeatsAStreamVersionCrashes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // RocksDB runs threads of its own
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());    // consortium-a at version 2
  EXPECT_DEATH((void)log_->Commit(OneEventOf("consortium-a", 4)), "stream_version");
  EXPECT_DEATH((void)log_->Commit(OneEventOf("consortium-a", 2)), "stream_version");
  EXPECT_DEATH((void)log_->Commit(OneEventOf("program-new", 2)), "stream_version");
}

TEST_F(EventLogDeathTest, AfterReopenCommitThatSkipsAStreamVersionCrashes) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  log_.reset();
  log_ = OpenOrDie(dir_.Sub("store"));
  ASSERT_NE(log_, nullptr);
  EXPECT_DEATH((void)log_->Commit(OneEventOf("consortium-a", 4)), "stream_version");
  EXPECT_DEATH((void)log_->Commit(OneEventOf("consortium-a", 1)), "stream_version");
  EXPECT_TRUE(log_->Commit(OneEventOf("consortium-a", 3)).ok());
}

TEST(EventLogOpenTest, FolderUnderARegularFileFailsNamingTheFolder) {
  TempDir dir;
  std::ofstream(dir.Sub("file")) << "not a folder";
  const std::string path = dir.Sub("file/store");
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(path, EventLogOptions{});
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find("cannot open event store in " + path),
            absl::string_view::npos)
      << log.status();
}

TEST(EventLogOpenTest, MissingStoreWithoutCreateFails) {
  TempDir dir;
  EventLogOptions options;
  options.create_if_missing = false;
  const std::string path = dir.Sub("store");
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(path, options);
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find(path), absl::string_view::npos) << log.status();
}

TEST_F(EventLogTest, SecondOpenOfTheSameFolderFails) {
  const std::string path = dir_.Sub("store");
  absl::StatusOr<std::unique_ptr<EventLog>> second = EventLog::Open(path, EventLogOptions{});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("cannot open event store in " + path),
            absl::string_view::npos)
      << second.status();
  EXPECT_NE(second.status().message().find("is another allianced using it?"),
            absl::string_view::npos)
      << second.status();
  // The first is unharmed.
  EXPECT_TRUE(log_->Commit(FirstBatch()).ok());
}

// Opens the store with RocksDB directly, as a newer or broken program would,
// and writes `key` = `value` into column family `family`.
void PutRaw(const std::string& path, const std::string& family, const std::string& key,
            const std::string& value) {
  RawStore(path).Put(family, key, value);
}

TEST_F(EventLogTest, NewerFormatVersionIsRefused) {
  log_.reset();
  const std::string path = dir_.Sub("store");
  PutRaw(path, "meta", "format_version", "7");
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(path, EventLogOptions{});
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), absl::StatusCode::kFailedPrecondition) << log.status();
  EXPECT_NE(log.status().message().find(path), absl::string_view::npos) << log.status();
  EXPECT_NE(log.status().message().find("format version 7"), absl::string_view::npos)
      << log.status();
}

// Formats 1 (no rule indexes) and 2 (no lifecycle models) both have models
// this server must rebuild before serving.
class OlderFormatTest : public EventLogTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(OlderFormatTest, StoreIsReadButItsModelsAreOutdatedUntilReplaced) {
  EXPECT_FALSE(log_->ModelsOutdated());  // a new store is written in the current format
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  log_.reset();
  const std::string path = dir_.Sub("store");
  PutRaw(path, "meta", "format_version", GetParam());
  log_ = OpenOrDie(path);
  ASSERT_NE(log_, nullptr);
  EXPECT_TRUE(log_->ModelsOutdated());
  EXPECT_EQ(*log_->LastPosition(), 3u);
  // The rule index is outdated too: the models alone are not enough.
  EXPECT_EQ(log_->ReplaceModels({{"consortium\0a"s, "rebuilt"}}).code(),
            absl::StatusCode::kFailedPrecondition);
  const Models rules = {{"payment\0a\0P-2"s, "rebuilt"}};
  ASSERT_TRUE(log_->ReplaceModels({{"consortium\0a"s, "rebuilt"}}, &rules).ok());
  EXPECT_FALSE(log_->ModelsOutdated());
  EXPECT_EQ(*log_->DumpRuleEntries(), rules);
  log_.reset();
  log_ = OpenOrDie(path);
  ASSERT_NE(log_, nullptr);
  EXPECT_FALSE(log_->ModelsOutdated()) << "ReplaceModels did not raise the format version";
}

INSTANTIATE_TEST_SUITE_P(FormatsOneToThree, OlderFormatTest, ::testing::Values("1", "2", "3"));

// What a crash between ReplaceModels' first and last write leaves: the old
// models deleted, the mark still there. The next open must call the models
// outdated, so the ledger rebuilds them instead of serving a partial set.
TEST_F(EventLogTest, UnfinishedRebuildLeavesModelsOutdatedUntilReplaced) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  log_.reset();
  const std::string path = dir_.Sub("store");
  PutRaw(path, "meta", "models_rebuilding", "");
  log_ = OpenOrDie(path);
  ASSERT_NE(log_, nullptr);
  EXPECT_TRUE(log_->ModelsOutdated());
  const Models rules = {{"payment\0a\0P-1"s, "cmd-a"}};
  ASSERT_TRUE(log_->ReplaceModels({{"consortium\0a"s, "rebuilt"}}, &rules).ok());
  EXPECT_FALSE(log_->ModelsOutdated());
  log_.reset();
  log_ = OpenOrDie(path);
  ASSERT_NE(log_, nullptr);
  EXPECT_FALSE(log_->ModelsOutdated()) << "ReplaceModels did not remove the rebuild mark";
  EXPECT_EQ(*log_->DumpModels(), (Models{{"consortium\0a"s, "rebuilt"}}));
}

// The rebuild writes a table file and ingests it: many entries, given out of
// order and with a repeated key, come back sorted, the last of equal keys
// winning, and survive a reopen; the events are untouched.
TEST_F(EventLogTest, ReplaceModels_ManyUnsortedEntriesSurviveReopen) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  std::vector<std::pair<std::string, std::string>> models;
  Models expected;
  for (int i = 9999; i >= 0; --i) {
    std::string key = absl::StrCat("payment\0"s, absl::Dec(i, absl::kZeroPad5));
    models.emplace_back(key, "old");
    models.emplace_back(key, absl::StrCat(i));
    expected.emplace_back(key, absl::StrCat(i));
  }
  std::sort(expected.begin(), expected.end());
  ASSERT_TRUE(log_->ReplaceModels(models).ok());
  EXPECT_EQ(*log_->DumpModels(), expected);
  log_.reset();
  log_ = OpenOrDie(dir_.Sub("store"));
  ASSERT_NE(log_, nullptr);
  EXPECT_EQ(*log_->DumpModels(), expected);
  EXPECT_EQ(*log_->LastPosition(), 3u);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("store") + "/models-rebuild.sst"))
      << "the ingested table file was left behind";
}

// The rule index is a family of its own: written with the events, read one
// key at a time, never among the read models, and kept by a rebuild of the
// read models alone.
TEST_F(EventLogTest, RuleEntriesAreKeptApartFromTheModels) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  EXPECT_EQ(*log_->GetRuleEntry("payment\0a\0P-1"s), "cmd-a");
  EXPECT_EQ(*log_->GetModel("payment\0a\0P-1"s), std::nullopt);
  EXPECT_EQ(*log_->GetRuleEntry("consortium\0a"s), std::nullopt);
  EXPECT_EQ(*log_->DumpModels(), (Models{{"consortium\0a"s, "status-a"}}));
  EXPECT_EQ(*log_->DumpRuleEntries(), (Models{{"payment\0a\0P-1"s, "cmd-a"}}));

  ASSERT_TRUE(log_->ReplaceModels({{"consortium\0a"s, "rebuilt"}}).ok());
  EXPECT_EQ(*log_->DumpRuleEntries(), (Models{{"payment\0a\0P-1"s, "cmd-a"}}));
  const Models rules = {{"disbursement\0cmd-a"s, "record"}};
  ASSERT_TRUE(log_->ReplaceModels({{"consortium\0a"s, "rebuilt"}}, &rules).ok());
  EXPECT_EQ(*log_->DumpRuleEntries(), rules);
  EXPECT_EQ(*log_->GetRuleEntry("payment\0a\0P-1"s), std::nullopt);
}

TEST_F(EventLogTest, GetModel_ReadsTheLatestCommittedValue) {
  EXPECT_EQ(*log_->GetModel("consortium\0a"s), std::nullopt);
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  EXPECT_EQ(*log_->GetModel("consortium\0a"s), "status-a");
  CommitBatch second;
  second.commands.push_back({"cmd-c", Sha('c'), {Envelope(4, "consortium-b", 1, "cmd-c")}});
  second.model_writes.push_back({"consortium\0a"s, std::nullopt});
  ASSERT_TRUE(log_->Commit(second).ok());
  EXPECT_EQ(*log_->GetModel("consortium\0a"s), std::nullopt);
}

TEST_F(EventLogTest, EventStoredUnderTheWrongPositionIsDataLoss) {
  log_.reset();
  const std::string path = dir_.Sub("store");
  PutRaw(path, "events", EventKey(1), Envelope(7, "consortium-a", 1, "x").SerializeAsString());
  // Read-only: the event has no leaf in the audit tree, so the store is not
  // opened for writing (event_tree_test.cc).
  EventLogOptions read_only;
  read_only.read_only = true;
  absl::StatusOr<std::unique_ptr<EventLog>> opened = EventLog::Open(path, read_only);
  ASSERT_TRUE(opened.ok()) << opened.status();
  log_ = *std::move(opened);
  absl::StatusOr<std::vector<v1::EventEnvelope>> all = log_->ReadAll(1, 10);
  EXPECT_EQ(all.status().code(), absl::StatusCode::kDataLoss) << all.status();
}

// An event that does not parse ends the scan with DATA_LOSS naming it, not
// with the cancellation of the reading it stops, which is still chunks
// behind; the events before it were visited.
TEST_F(EventLogTest, ForEachEventReportsAnEventThatDoesNotParse) {
  AppendEvents(*log_, "consortium-a", 10,
               [](uint64_t position) { return absl::StrCat("P-", position); });
  AppendEvents(*log_, "consortium-b", 30000,
               [](uint64_t position) { return absl::StrCat("P-", position); });
  log_.reset();
  const std::string path = dir_.Sub("store");
  PutRaw(path, "events", EventKey(11), "\xff\xff\xff not an envelope");
  log_ = OpenOrDie(path);
  ASSERT_NE(log_, nullptr);

  uint64_t last_visited = 0;
  absl::Status status = log_->ForEachEvent(1, [&](const v1::EventEnvelope& event) {
    last_visited = event.global_position();
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("position 11 "), std::string::npos) << status;
  EXPECT_EQ(last_visited, 10u);
}

// Checkpoints are found by position: the newest at or before it, whole.
TEST_F(EventLogTest, CheckpointAtOrBeforeFindsTheNewestCheckpointWhole) {
  CommitBatch first = FirstBatch();  // positions 1..3
  first.checkpoint = ModelCheckpoint{3, {{"consortium\0a"s, "a@3"}, {"program\0p"s, "p@3"}}};
  ASSERT_TRUE(log_->Commit(first).ok());
  AppendEvents(*log_, "consortium-b", 2, [](uint64_t p) { return absl::StrCat("P-", p); });
  CommitBatch third;
  third.commands.push_back({"cmd-6", Sha('c'), {Envelope(6, "consortium-b", 3, "cmd-6")}});
  third.checkpoint = ModelCheckpoint{6, {{"consortium\0a"s, "a@6"}}};
  ASSERT_TRUE(log_->Commit(third).ok());

  EXPECT_EQ(log_->CheckpointAtOrBefore(0)->position, 0u);
  EXPECT_EQ(log_->CheckpointAtOrBefore(2)->position, 0u);
  EXPECT_TRUE(log_->CheckpointAtOrBefore(2)->models.empty());
  for (uint64_t position : {3, 4, 5}) {
    absl::StatusOr<ModelCheckpoint> found = log_->CheckpointAtOrBefore(position);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(found->position, 3u);
    EXPECT_EQ(found->models, (Models{{"consortium\0a"s, "a@3"}, {"program\0p"s, "p@3"}}));
  }
  EXPECT_EQ(log_->CheckpointAtOrBefore(6)->models, (Models{{"consortium\0a"s, "a@6"}}));
  EXPECT_EQ(log_->CheckpointAtOrBefore(1000)->position, 6u);
  // A rebuild of the models drops them: they are folds of the code replaced.
  ASSERT_TRUE(log_->ReplaceModels({{"consortium\0a"s, "rebuilt"}}).ok());
  EXPECT_EQ(log_->CheckpointAtOrBefore(1000)->position, 0u);
}

TEST_F(EventLogTest, SnapshotDoesNotSeeLaterCommits) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  std::unique_ptr<ModelSnapshot> before = log_->SnapshotModels();

  CommitBatch second;
  second.commands.push_back({"cmd-c", Sha('c'), {Envelope(4, "consortium-b", 1, "cmd-c")}});
  second.model_writes.push_back({"consortium\0a"s, "status-a2"});
  second.model_writes.push_back({"consortium\0b"s, "status-b"});
  ASSERT_TRUE(log_->Commit(second).ok());

  EXPECT_EQ(**before->Get("consortium\0a"s), "status-a");
  EXPECT_FALSE(before->Get("consortium\0b"s)->has_value());
  EXPECT_EQ(before->Scan("consortium", "", 10)->size(), 1u);

  std::unique_ptr<ModelSnapshot> after = log_->SnapshotModels();
  EXPECT_EQ(**after->Get("consortium\0a"s), "status-a2");
  EXPECT_EQ(**after->Get("consortium\0b"s), "status-b");
}

TEST_F(EventLogTest, SnapshotScanHonoursPrefixStartAfterAndLimit) {
  ASSERT_TRUE(log_->ReplaceModels({{"index\1"s, "x"},
                                   {"index\0a"s, "1"},
                                   {"index\0b"s, "2"},
                                   {"index\0c"s, "3"},
                                   {"index", "bare"},
                                   {"other", "4"}})
                  .ok());
  std::unique_ptr<ModelSnapshot> snapshot = log_->SnapshotModels();
  const std::string prefix = "index\0"s;

  EXPECT_EQ(*snapshot->Scan(prefix, "", 10),
            (Models{{prefix + "a", "1"}, {prefix + "b", "2"}, {prefix + "c", "3"}}));
  EXPECT_EQ(*snapshot->Scan(prefix, "", 2), (Models{{prefix + "a", "1"}, {prefix + "b", "2"}}));
  EXPECT_EQ(*snapshot->Scan(prefix, prefix + "b", 10), (Models{{prefix + "c", "3"}}));
  // start_after need not be a key that exists.
  EXPECT_EQ(*snapshot->Scan(prefix, prefix + "aa", 10),
            (Models{{prefix + "b", "2"}, {prefix + "c", "3"}}));
  EXPECT_TRUE(snapshot->Scan(prefix, prefix + "c", 10)->empty());
  EXPECT_TRUE(snapshot->Scan(prefix, "", 0)->empty());
  EXPECT_EQ(snapshot->Scan("", "", 100)->size(), 6u);
  EXPECT_TRUE(snapshot->Scan("nothing", "", 10)->empty());
}

TEST_F(EventLogTest, ReplaceModelsReplacesEveryModelAndKeepsEvents) {
  ASSERT_TRUE(log_->Commit(FirstBatch()).ok());
  ASSERT_TRUE(log_->ReplaceModels({{"program\0p"s, "summary"}, {"consortium\0z"s, "z"}}).ok());
  EXPECT_EQ(*log_->DumpModels(), (Models{{"consortium\0z"s, "z"}, {"program\0p"s, "summary"}}));
  EXPECT_EQ(*log_->LastPosition(), 3u);

  ASSERT_TRUE(log_->ReplaceModels({}).ok());
  EXPECT_TRUE(log_->DumpModels()->empty());
}

TEST_F(EventLogTest, ReplaceModelsKeepsAKeyThatWasAlreadyThere) {
  ASSERT_TRUE(log_->ReplaceModels({{"k", "old"}}).ok());
  ASSERT_TRUE(log_->ReplaceModels({{"k", "new"}}).ok());
  EXPECT_EQ(*log_->DumpModels(), (Models{{"k", "new"}}));
}

}  // namespace
}  // namespace alliance::storage
