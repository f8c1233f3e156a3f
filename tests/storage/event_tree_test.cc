// The audit tree EventLog keeps (FORMAT.md, `tree`): written with every
// batch, the same after a reopen, proofs from it that verify, and a
// verification that names the exact position of every kind of tampering
// done to the store with RocksDB directly.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/event_log.h"
#include "storage/merkle.h"
#include "tests/storage/raw_store.h"
#include "tests/storage/temp_dir.h"

namespace alliance::storage {
namespace {

constexpr uint64_t kEvents = 100;

// FORMAT.md, `tree`: the last leaf index the node (a tile: level 4) may
// cover, then its level.
std::string NodeKey(int level, uint64_t index) {
  return EventKey(((index + 1) << level) - 1) + std::string(1, char(level));
}

v1::EventEnvelope Event(uint64_t position) {
  v1::EventEnvelope envelope;
  envelope.set_global_position(position);
  envelope.set_stream_id("consortium-chungnam");
  envelope.set_stream_version(position);
  envelope.set_event_id(absl::StrCat("cmd-", position));
  envelope.set_event_type("FundsDisbursed");
  envelope.mutable_recorded_at()->set_seconds(1700000000 + static_cast<int64_t>(position));
  v1::FundsDisbursed* funds = envelope.mutable_payload()->mutable_funds_disbursed();
  funds->set_consortium_id("chungnam");
  funds->set_program_year(2024);
  funds->set_amount_krw(1'000'000 * static_cast<int64_t>(position));
  funds->set_payment_reference(absl::StrCat("PAY-", position));
  return envelope;
}

// Appends events up to position `last`, in batches of 1, 2, 3, ... events.
void AppendTo(EventLog& log, uint64_t last) {
  uint64_t next = *log.LastPosition() + 1;
  for (size_t batch_size = 1; next <= last; ++batch_size) {
    CommitBatch batch;
    for (size_t i = 0; i < batch_size && next <= last; ++i, ++next) {
      batch.commands.push_back({absl::StrCat("cmd-", next), std::string(32, 'h'), {Event(next)}});
    }
    ASSERT_TRUE(log.Commit(batch).ok());
  }
}

// RFC 9162's MTH over the leaves, by its definition: the test's own
// recomputation, trusting neither the frontier nor the stored nodes.
MerkleHash Mth(const std::vector<MerkleHash>& leaves, size_t begin, size_t end) {
  if (begin == end) return EmptyTreeRoot();
  if (end - begin == 1) return leaves[begin];
  size_t k = 1;
  while (k * 2 < end - begin) k *= 2;
  return NodeHash(Mth(leaves, begin, begin + k), Mth(leaves, begin + k, end));
}

std::vector<MerkleHash> LeavesOf(EventLog& log) {
  absl::StatusOr<std::vector<StoredEvent>> stored = log.ReadStored(1, 1 << 20);
  EXPECT_TRUE(stored.ok()) << stored.status();
  std::vector<MerkleHash> leaves;
  if (!stored.ok()) return leaves;
  for (const StoredEvent& event : *stored) leaves.push_back(LeafHash(event.bytes));
  return leaves;
}

std::unique_ptr<EventLog> Open(const std::string& path, bool read_only = false) {
  EventLogOptions options;
  options.read_only = read_only;
  absl::StatusOr<std::unique_ptr<EventLog>> log = EventLog::Open(path, options);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? *std::move(log) : nullptr;
}

class EventTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = Open(path_);
    ASSERT_NE(log_, nullptr);
  }

  // The store with kEvents events, closed, for tampering; returns the head
  // it had.
  TreeHead FillAndClose() {
    AppendTo(*log_, kEvents);
    const TreeHead head = log_->CurrentTreeHead();
    log_.reset();
    return head;
  }

  // What verification of the (tampered) store finds, opened read-only as
  // the server serves a store whose tree and log disagree.
  TreeVerification VerifyReadOnly(uint64_t trusted_size = kEvents) {
    std::unique_ptr<EventLog> log = Open(path_, /*read_only=*/true);
    EXPECT_NE(log, nullptr);
    if (log == nullptr) return {};
    absl::StatusOr<TreeVerification> verified = log->VerifyTree(trusted_size, nullptr);
    EXPECT_TRUE(verified.ok()) << verified.status();
    return verified.value_or(TreeVerification{});
  }

  TempDir dir_;
  const std::string path_ = dir_.Sub("store");
  std::unique_ptr<EventLog> log_;
};

TEST_F(EventTreeTest, EveryCommitExtendsTheTreeOverTheStoredBytes) {
  EXPECT_EQ(log_->CurrentTreeHead().tree_size, 0u);
  EXPECT_EQ(log_->CurrentTreeHead().root_hash, EmptyTreeRoot());
  for (uint64_t last : std::vector<uint64_t>{1, 2, 3, 7, 8, 9, 31, 64, kEvents}) {
    AppendTo(*log_, last);
    const std::vector<MerkleHash> leaves = LeavesOf(*log_);
    ASSERT_EQ(leaves.size(), last);
    const TreeHead head = log_->CurrentTreeHead();
    EXPECT_EQ(head.tree_size, last);
    EXPECT_EQ(head.root_hash, Mth(leaves, 0, last)) << "at " << last;
  }
  // Every earlier size's root, from the stored nodes.
  const std::vector<MerkleHash> leaves = LeavesOf(*log_);
  for (uint64_t size = 0; size <= kEvents; ++size) {
    EXPECT_EQ(*log_->TreeRootAt(size), Mth(leaves, 0, size)) << size;
  }
  EXPECT_EQ(log_->TreeRootAt(kEvents + 1).status().code(), absl::StatusCode::kOutOfRange);
  // The stored bytes are the envelope as readers receive it.
  std::vector<StoredEvent> stored = *log_->ReadStored(5, 2);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].global_position, 5u);
  v1::EventEnvelope parsed;
  ASSERT_TRUE(parsed.ParseFromString(stored[0].bytes));
  EXPECT_EQ(parsed.SerializeAsString(), log_->ReadAll(5, 1)->front().SerializeAsString());
}

TEST_F(EventTreeTest, TheHeadSurvivesAReopenAndTheTreeGoesOnFromIt) {
  // Inside a tile, at a tile's end, and one past it.
  for (uint64_t last : std::vector<uint64_t>{37, 48, 49}) {
    AppendTo(*log_, last);
    const TreeHead before = log_->CurrentTreeHead();
    log_.reset();
    log_ = Open(path_);
    ASSERT_NE(log_, nullptr);
    EXPECT_EQ(log_->CurrentTreeHead().tree_size, before.tree_size);
    EXPECT_EQ(log_->CurrentTreeHead().root_hash, before.root_hash) << last;
  }
  AppendTo(*log_, kEvents);
  EXPECT_EQ(log_->CurrentTreeHead().root_hash, Mth(LeavesOf(*log_), 0, kEvents));
}

TEST_F(EventTreeTest, ARefusedCommitLeavesTheTreeAsItWas) {
  AppendTo(*log_, 10);
  const TreeHead before = log_->CurrentTreeHead();
  CommitBatch refused;
  refused.commands.push_back({"cmd-11", std::string(32, 'h'), {Event(11)}});
  refused.model_writes.push_back({"not a model key", "x"});
  ASSERT_FALSE(log_->Commit(refused).ok());
  EXPECT_EQ(log_->CurrentTreeHead().tree_size, before.tree_size);
  EXPECT_EQ(log_->CurrentTreeHead().root_hash, before.root_hash);
  AppendTo(*log_, 20);
  EXPECT_EQ(log_->CurrentTreeHead().root_hash, Mth(LeavesOf(*log_), 0, 20));
}

TEST_F(EventTreeTest, ProofsFromTheStoreVerifyAgainstItsRoots) {
  AppendTo(*log_, kEvents);
  const std::vector<MerkleHash> leaves = LeavesOf(*log_);
  for (uint64_t size = 1; size <= kEvents; ++size) {
    const MerkleHash root = *log_->TreeRootAt(size);
    for (uint64_t leaf = 0; leaf < size; ++leaf) {
      absl::StatusOr<std::vector<MerkleHash>> path = log_->InclusionPath(leaf, size);
      ASSERT_TRUE(path.ok()) << path.status();
      ASSERT_TRUE(VerifyInclusion(leaves[leaf], leaf, size, *path, root).ok())
          << leaf << "/" << size;
    }
    for (uint64_t first = 0; first <= size; ++first) {
      absl::StatusOr<std::vector<MerkleHash>> path = log_->ConsistencyPath(first, size);
      ASSERT_TRUE(path.ok()) << path.status();
      ASSERT_TRUE(VerifyConsistency(first, size, *log_->TreeRootAt(first), root, *path).ok())
          << first << " -> " << size;
    }
  }
  EXPECT_EQ(log_->InclusionPath(0, kEvents + 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log_->InclusionPath(kEvents, kEvents).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->ConsistencyPath(5, kEvents + 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log_->ConsistencyPath(6, 5).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EventTreeTest, ACleanLogVerifiesAtItsRoot) {
  const TreeHead head = FillAndClose();
  log_ = Open(path_);
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  absl::StatusOr<TreeVerification> verified =
      log_->VerifyTree(40, [&](uint64_t done, uint64_t total) {
        progress.push_back({done, total});
        return true;
      });
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->first_bad_position, 0u) << verified->reason;
  EXPECT_EQ(verified->events_verified, kEvents);
  EXPECT_EQ(verified->root_hash, head.root_hash);
  ASSERT_TRUE(verified->root_at_trusted_size.has_value());
  EXPECT_EQ(*verified->root_at_trusted_size, *log_->TreeRootAt(40));
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), std::make_pair(kEvents, kEvents));
}

TEST_F(EventTreeTest, OneByteOfOneEventChangedIsNamed) {
  FillAndClose();
  {
    RawStore raw(path_);
    std::string bytes = *raw.Get("events", EventKey(37));
    bytes[bytes.size() - 3] ^= 0x01;  // inside the payment reference
    raw.Put("events", EventKey(37), bytes);
  }
  const TreeVerification v = VerifyReadOnly();
  EXPECT_EQ(v.first_bad_position, 37u) << v.reason;
  EXPECT_NE(v.reason.find("altered"), std::string::npos) << v.reason;
  EXPECT_EQ(v.events_verified, 36u);
}

TEST_F(EventTreeTest, ADeletedEventIsNamed) {
  FillAndClose();
  RawStore(path_).Delete("events", EventKey(37));
  const TreeVerification v = VerifyReadOnly();
  EXPECT_EQ(v.first_bad_position, 37u) << v.reason;
  EXPECT_NE(v.reason.find("removed"), std::string::npos) << v.reason;
}

TEST_F(EventTreeTest, TwoSwappedEventsAreNamed) {
  FillAndClose();
  {
    RawStore raw(path_);
    const std::string twenty = *raw.Get("events", EventKey(20));
    const std::string thirty = *raw.Get("events", EventKey(30));
    raw.Put("events", EventKey(20), thirty);
    raw.Put("events", EventKey(30), twenty);
  }
  const TreeVerification v = VerifyReadOnly();
  EXPECT_EQ(v.first_bad_position, 20u) << v.reason;
  EXPECT_NE(v.reason.find("recorded at position 30"), std::string::npos) << v.reason;
}

TEST_F(EventTreeTest, ATruncatedTailIsNamedAndTheStoreIsNotWrittenTo) {
  FillAndClose();
  {
    RawStore raw(path_);
    for (uint64_t p = 91; p <= kEvents; ++p) raw.Delete("events", EventKey(p));
  }
  const TreeVerification v = VerifyReadOnly();
  EXPECT_EQ(v.first_bad_position, 91u) << v.reason;
  EXPECT_NE(v.reason.find("removed"), std::string::npos) << v.reason;
  // Appending would overwrite the evidence: the store is not opened to write.
  absl::StatusOr<std::unique_ptr<EventLog>> writer = EventLog::Open(path_, EventLogOptions{});
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), absl::StatusCode::kDataLoss) << writer.status();
  EXPECT_NE(writer.status().message().find("removed"), std::string::npos) << writer.status();
}

// FORMAT.md: 100 events are 7 tiles (6 of 16 leaves, one of 4) and the
// nodes above tiles their appends completed: 3 of 32 leaves, 1 of 64.
TEST_F(EventTreeTest, TheTreeStoresTilesAndTheNodesAboveThem) {
  FillAndClose();
  RawStore raw(path_);
  EXPECT_EQ(raw.Keys("tree").size(), 7u + 3u + 1u);
  EXPECT_EQ(raw.Get("tree", NodeKey(4, 5))->size(), 16u * 32u);
  EXPECT_EQ(raw.Get("tree", NodeKey(4, 6))->size(), 4u * 32u);
  EXPECT_EQ(raw.Get("tree", NodeKey(6, 0))->size(), 32u);
}

TEST_F(EventTreeTest, AChangedLeafInATileIsNamed) {
  FillAndClose();
  {
    // Tile 2 holds the leaves of positions 33..48; position 37 is its fifth.
    RawStore raw(path_);
    std::string tile = *raw.Get("tree", NodeKey(4, 2));
    tile[4 * 32 + 7] ^= 1;
    raw.Put("tree", NodeKey(4, 2), tile);
  }
  const TreeVerification v = VerifyReadOnly();
  EXPECT_EQ(v.first_bad_position, 37u) << v.reason;
}

TEST_F(EventTreeTest, ARemovedTileIsNamedByItsFirstPosition) {
  FillAndClose();
  RawStore(path_).Delete("tree", NodeKey(4, 3));
  const TreeVerification v = VerifyReadOnly();
  EXPECT_EQ(v.first_bad_position, 49u) << v.reason;
  EXPECT_NE(v.reason.find("no leaf"), std::string::npos) << v.reason;
}

TEST_F(EventTreeTest, AShortenedTileIsNamedByItsFirstMissingLeaf) {
  FillAndClose();
  {
    RawStore raw(path_);
    raw.Put("tree", NodeKey(4, 1), raw.Get("tree", NodeKey(4, 1))->substr(0, 10 * 32));
  }
  const TreeVerification v = VerifyReadOnly();
  EXPECT_EQ(v.first_bad_position, 27u) << v.reason;
}

TEST_F(EventTreeTest, ATailCutInsideTheLastTileIsNamed) {
  FillAndClose();
  {
    RawStore raw(path_);
    for (uint64_t p = 99; p <= kEvents; ++p) raw.Delete("events", EventKey(p));
  }
  const TreeVerification v = VerifyReadOnly();
  EXPECT_EQ(v.first_bad_position, 99u) << v.reason;
  EXPECT_NE(v.reason.find("removed"), std::string::npos) << v.reason;
}

TEST_F(EventTreeTest, AChangedInteriorNodeIsNamedByTheFirstPositionUnderIt) {
  FillAndClose();
  // Level 5, index 1: the subtree over positions 33..64.
  RawStore(path_).Put("tree", NodeKey(5, 1), std::string(32, 'x'));
  const TreeVerification v = VerifyReadOnly();
  EXPECT_EQ(v.first_bad_position, 33u) << v.reason;
  EXPECT_NE(v.reason.find("33..64"), std::string::npos) << v.reason;
}

// A store of format 4 has no tree, one of format 5 a tree of every leaf
// and node: opened for writing either gets the tree built from its events,
// the root the events give; opened read-only it says so. Rewriting an event
// and letting the tree be rebuilt is thus invisible to the store alone:
// only a root the auditor kept (a signed head) shows it.
TEST_F(EventTreeTest, AStoreOfAFormatBeforeTheTilesGetsItsTreeBuilt) {
  const TreeHead head = FillAndClose();
  {
    RawStore raw(path_);
    for (const std::string& key : raw.Keys("tree")) raw.Delete("tree", key);
    // Format 5's leaves and nodes of levels 0 to 3, which this one does not
    // store: the build removes them.
    raw.Put("tree", NodeKey(0, 0), std::string(32, 'l'));
    raw.Put("tree", NodeKey(3, 12), std::string(32, 'n'));
    raw.Put("meta", "format_version", "5");
  }
  {
    std::unique_ptr<EventLog> reader = Open(path_, /*read_only=*/true);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(reader->TreeStatus().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(reader->InclusionPath(0, 1).status().code(), absl::StatusCode::kFailedPrecondition);
  }
  log_ = Open(path_);
  ASSERT_NE(log_, nullptr);
  EXPECT_EQ(log_->CurrentTreeHead().tree_size, kEvents);
  EXPECT_EQ(log_->CurrentTreeHead().root_hash, head.root_hash);
  EXPECT_EQ(log_->VerifyTree(kEvents, nullptr)->first_bad_position, 0u);
  log_.reset();
  EXPECT_EQ(*RawStore(path_).Get("meta", "format_version"), "6");
  EXPECT_EQ(RawStore(path_).Keys("tree").size(), 7u + 3u + 1u);

  // History rewritten, tree rebuilt: the store verifies by itself...
  {
    RawStore raw(path_);
    v1::EventEnvelope forged = Event(5);
    forged.mutable_payload()->mutable_funds_disbursed()->set_amount_krw(999);
    raw.Put("events", EventKey(5), forged.SerializeAsString());
    for (const std::string& key : raw.Keys("tree")) raw.Delete("tree", key);
    raw.Put("meta", "format_version", "4");
  }
  log_ = Open(path_);
  ASSERT_NE(log_, nullptr);
  absl::StatusOr<TreeVerification> v = log_->VerifyTree(kEvents, nullptr);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->first_bad_position, 0u);
  // ...but not against the head kept from before.
  EXPECT_NE(*v->root_at_trusted_size, head.root_hash);
}

}  // namespace
}  // namespace alliance::storage
