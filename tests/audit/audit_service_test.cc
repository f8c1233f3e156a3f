// AuditService over a real gRPC channel, on a real store: the log streamed
// and filtered, streams read both ways, signed tree heads and proofs checked
// as a client checks them (proto/audit/tree_head.h, storage/merkle.h), and
// verification of a clean and of a tampered store.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alliance/v1/audit.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "proto/audit/tree_head.h"
#include "storage/merkle.h"
#include "tests/service/test_requests.h"
#include "tests/service/test_server.h"
#include "tests/storage/raw_store.h"

namespace alliance::testing {
namespace {

constexpr char kProgram2025[] = "alliance-2025";
constexpr char kDaegu[] = "daegu-robotics";

storage::MerkleHash Hash(const std::string& bytes) {
  std::optional<storage::MerkleHash> hash = storage::HashFromBytes(bytes);
  EXPECT_TRUE(hash.has_value()) << bytes.size() << " bytes";
  return hash.value_or(storage::MerkleHash{});
}

std::vector<storage::MerkleHash> Hashes(const google::protobuf::RepeatedPtrField<std::string>& in) {
  std::vector<storage::MerkleHash> out;
  for (const std::string& bytes : in) out.push_back(Hash(bytes));
  return out;
}

// A subscriber on a thread of its own: what it received, until stopped.
class Subscriber {
 public:
  Subscriber(v1::AuditService::Stub* audit, v1::SubscribeRequest request) {
    // Every call needs a deadline; a subscriber is stopped long before.
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(10));
    thread_ = std::thread([this, audit, request] {
      std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
          audit->Subscribe(&context_, request);
      v1::SubscribeResponse response;
      while (reader->Read(&response)) {
        std::lock_guard<std::mutex> lock(mu_);
        if (response.has_event()) {
          events_.push_back(response.event());
          reached_ = response.event().global_position();
        } else {
          ++checkpoints_;
          reached_ = std::max(reached_, response.checkpoint().position());
        }
        changed_.notify_all();
      }
      status_ = reader->Finish();
    });
  }
  ~Subscriber() { Stop(); }

  // Waits until a message at or past `position` arrived; false after 20 s.
  bool WaitFor(uint64_t position) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return reached_ >= position; });
  }
  bool WaitForCheckpoints(int count) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return checkpoints_ >= count; });
  }
  void Stop() {
    if (!thread_.joinable()) return;
    context_.TryCancel();
    thread_.join();
  }
  std::vector<v1::LoggedEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  uint64_t reached() {
    std::lock_guard<std::mutex> lock(mu_);
    return reached_;
  }
  int checkpoints() {
    std::lock_guard<std::mutex> lock(mu_);
    return checkpoints_;
  }

 private:
  grpc::ClientContext context_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<v1::LoggedEvent> events_;
  uint64_t reached_ = 0;
  int checkpoints_ = 0;
  grpc::Status status_;
};

// The positions of `events`, which must run from `first` one by one.
void ExpectConsecutive(const std::vector<v1::LoggedEvent>& events, uint64_t first, uint64_t last) {
  ASSERT_EQ(events.size(), last - first + 1) << "from " << first << " to " << last;
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].global_position(), first + i) << "a gap or a duplicate at " << i;
  }
}

class AuditServiceTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Connect();
  }

  void Connect() { audit_ = v1::AuditService::NewStub(channel()); }

  void RestartServer() {
    audit_.reset();
    Restart();
    Connect();
  }

  // The 2023 program with payments, and a 2025 program with one consortium.
  void SeedTwoPrograms() {
    Seed2023();
    for (int i = 0; i < 5; ++i) MustSend(DisburseRequest(kChungnam, 2023, 1'000'000 + i));
    MustSend(DisburseRequest(kUlsan, 2023, 2'000'000));
    MustSend(ProgramRequest(kProgram2025, Rules2025()));
    MustSend(RoundRequest(2025, 3, kProgram2025));
    MustSend(OtherSelectionRequest(kDaegu, kProgram2025, 2025, "KR-27"));
  }

  std::vector<v1::LoggedEvent> ReadLog(const v1::ReadLogRequest& request,
                                       grpc::Status* status_out = nullptr) {
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    std::unique_ptr<grpc::ClientReader<v1::LoggedEvent>> reader =
        audit_->ReadLog(&context, request);
    std::vector<v1::LoggedEvent> events;
    v1::LoggedEvent event;
    while (reader->Read(&event)) events.push_back(event);
    grpc::Status status = reader->Finish();
    if (status_out != nullptr) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << Describe(status);
    }
    return events;
  }

  v1::SignedTreeHead Head() {
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    v1::SignedTreeHead head;
    grpc::Status status = audit_->GetTreeHead(&context, v1::GetTreeHeadRequest(), &head);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return head;
  }

  v1::TreeHeadKey Key() {
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    v1::TreeHeadKey key;
    grpc::Status status = audit_->GetPublicKey(&context, v1::GetPublicKeyRequest(), &key);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return key;
  }

  // The VerifyLog stream: its progress messages and its result.
  v1::VerifyResult Verify(const v1::VerifyLogRequest& request, grpc::Status* status_out = nullptr,
                          int* progress_messages = nullptr) {
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    auto reader = audit_->VerifyLog(&context, request);
    v1::VerifyLogResponse response;
    v1::VerifyResult result;
    int progress = 0;
    while (reader->Read(&response)) {
      if (response.has_result()) result = response.result();
      if (response.has_progress()) ++progress;
    }
    grpc::Status status = reader->Finish();
    if (status_out != nullptr) {
      *status_out = status;
    } else {
      EXPECT_TRUE(status.ok()) << Describe(status);
    }
    if (progress_messages != nullptr) *progress_messages = progress;
    return result;
  }

  // `writers` threads each making `payments` payments at once.
  void PayConcurrently(int writers, int payments) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&, w] {
        const char* consortium = w % 2 == 0 ? kChungnam : kUlsan;
        for (int i = 0; i < payments; ++i) {
          if (!Send(DisburseRequest(consortium, 2024, 1'000 + w * 1'000 + i)).ok()) ++failures;
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
  }

  uint64_t LastPosition() { return Head().tree_size(); }

  std::unique_ptr<v1::AuditService::Stub> audit_;
};

TEST_F(AuditServiceTest, AnEmptyRequestStreamsTheWholeLogAsStored) {
  SeedTwoPrograms();
  const std::vector<v1::EventEnvelope> all = ReadAllEvents();
  const std::vector<v1::LoggedEvent> logged = ReadLog(v1::ReadLogRequest());
  ASSERT_EQ(logged.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(logged[i].global_position(), i + 1);
    EXPECT_EQ(SerializeDeterministic(logged[i].event()), SerializeDeterministic(all[i]));
    // canonical_bytes are the event, as the store keeps it.
    v1::EventEnvelope parsed;
    ASSERT_TRUE(parsed.ParseFromString(logged[i].canonical_bytes()));
    EXPECT_EQ(SerializeDeterministic(parsed), SerializeDeterministic(all[i]));
  }
  // A window of positions.
  v1::ReadLogRequest window;
  window.set_from_position(3);
  window.set_to_position(5);
  std::vector<v1::LoggedEvent> three = ReadLog(window);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three.front().global_position(), 3u);
  EXPECT_EQ(three.back().global_position(), 5u);
}

TEST_F(AuditServiceTest, ReadLogFiltersByProgramConsortiumTypeAndTime) {
  SeedTwoPrograms();
  const std::vector<v1::EventEnvelope> all = ReadAllEvents();

  v1::ReadLogRequest by_program;
  by_program.set_program_id(kProgram2025);
  std::set<std::string> streams;
  for (const v1::LoggedEvent& event : ReadLog(by_program))
    streams.insert(event.event().stream_id());
  EXPECT_EQ(streams, (std::set<std::string>{"program-alliance-2025", "consortium-daegu-robotics"}));
  by_program.set_program_id(kProgramId);
  size_t in_2023 = 0;
  for (const v1::LoggedEvent& event : ReadLog(by_program)) {
    EXPECT_NE(event.event().stream_id(), "consortium-daegu-robotics");
    EXPECT_NE(event.event().stream_id(), "program-alliance-2025");
    ++in_2023;
  }
  EXPECT_EQ(in_2023, all.size() - 3);  // all but 2025's program, round and selection

  v1::ReadLogRequest by_consortium;
  by_consortium.set_consortium_id(kChungnam);
  by_consortium.add_event_types("FundsDisbursed");
  std::vector<v1::LoggedEvent> payments = ReadLog(by_consortium);
  ASSERT_EQ(payments.size(), 5u);
  for (const v1::LoggedEvent& event : payments) {
    EXPECT_EQ(event.event().stream_id(), std::string("consortium-") + kChungnam);
    EXPECT_EQ(event.event().event_type(), "FundsDisbursed");
  }

  // Recorded from the second payment's time (inclusive) to the fourth's
  // (exclusive).
  v1::ReadLogRequest by_time = by_consortium;
  *by_time.mutable_recorded_from() = payments[1].event().recorded_at();
  *by_time.mutable_recorded_before() = payments[3].event().recorded_at();
  std::vector<v1::LoggedEvent> window = ReadLog(by_time);
  for (const v1::LoggedEvent& event : window) {
    EXPECT_GE(event.global_position(), payments[1].global_position());
    EXPECT_LT(event.global_position(), payments[3].global_position());
  }
  EXPECT_FALSE(window.empty());

  grpc::Status status;
  v1::ReadLogRequest backwards;
  backwards.set_from_position(5);
  backwards.set_to_position(4);
  ReadLog(backwards, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(status), "to_position");
  v1::ReadLogRequest empty_range = by_time;
  *empty_range.mutable_recorded_before() = empty_range.recorded_from();
  ReadLog(empty_range, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(AuditServiceTest, ReadStreamGoesEitherWayAndAnUnknownStreamIsNotFound) {
  SeedTwoPrograms();
  const std::string stream = std::string("consortium-") + kChungnam;
  const std::vector<v1::EventEnvelope> expected = ReadAllEvents(stream);
  ASSERT_GT(expected.size(), 4u);

  v1::ReadStreamRequest forward;
  forward.set_stream_id(stream);
  forward.set_max_count(3);
  v1::ReadStreamResponse page;
  {
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    ASSERT_TRUE(audit_->ReadStream(&context, forward, &page).ok());
  }
  ASSERT_EQ(page.events_size(), 3);
  EXPECT_EQ(page.events(0).event().stream_version(), 1u);
  EXPECT_EQ(page.next_version(), 4u);
  EXPECT_EQ(page.stream_version(), expected.size());

  v1::ReadStreamRequest backward = forward;
  backward.set_direction(v1::READ_DIRECTION_BACKWARD);
  {
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    ASSERT_TRUE(audit_->ReadStream(&context, backward, &page).ok());
  }
  ASSERT_EQ(page.events_size(), 3);
  EXPECT_EQ(page.events(0).event().stream_version(), expected.size());
  EXPECT_EQ(page.events(2).event().stream_version(), expected.size() - 2);
  EXPECT_EQ(page.next_version(), expected.size() - 3);
  EXPECT_EQ(SerializeDeterministic(page.events(0).event()),
            SerializeDeterministic(expected.back()));

  v1::ReadStreamRequest unknown;
  unknown.set_stream_id("consortium-chungnam-future-vehicle");  // one letter short
  grpc::ClientContext context;
  SetDeadline(&context, kLongCallDeadline);
  grpc::Status status = audit_->ReadStream(&context, unknown, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "STREAM_NOT_FOUND");
}

TEST_F(AuditServiceTest, SignedHeadsAndProofsVerifyAsAClientChecksThem) {
  SeedTwoPrograms();
  const v1::TreeHeadKey key = Key();
  const v1::SignedTreeHead first = Head();
  ASSERT_TRUE(VerifyTreeHead(first, key).ok());
  const std::vector<v1::LoggedEvent> logged = ReadLog(v1::ReadLogRequest());
  ASSERT_EQ(first.tree_size(), logged.size());

  // Every event is in the head's tree, hashed from its canonical bytes.
  for (const v1::LoggedEvent& event : logged) {
    v1::GetInclusionProofRequest request;
    request.set_leaf_index(event.global_position() - 1);
    request.set_tree_size(first.tree_size());
    v1::InclusionProof proof;
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    ASSERT_TRUE(audit_->GetInclusionProof(&context, request, &proof).ok());
    EXPECT_EQ(proof.event().canonical_bytes(), event.canonical_bytes());
    EXPECT_TRUE(storage::VerifyInclusion(storage::LeafHash(event.canonical_bytes()),
                                         proof.leaf_index(), proof.tree_size(),
                                         Hashes(proof.inclusion_path()), Hash(first.root_hash()))
                    .ok())
        << event.global_position();
  }

  // The log grows: the new head extends the first.
  MustSend(DisburseRequest(kGyeongnam, 2023, 7'000'000));
  const v1::SignedTreeHead second = Head();
  ASSERT_TRUE(VerifyTreeHead(second, key).ok());
  EXPECT_EQ(second.tree_size(), first.tree_size() + 1);
  v1::GetConsistencyProofRequest request;
  request.set_first(first.tree_size());
  v1::ConsistencyProof proof;
  {
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    ASSERT_TRUE(audit_->GetConsistencyProof(&context, request, &proof).ok());
  }
  EXPECT_EQ(proof.second(), second.tree_size());
  EXPECT_TRUE(storage::VerifyConsistency(first.tree_size(), second.tree_size(),
                                         Hash(first.root_hash()), Hash(second.root_hash()),
                                         Hashes(proof.consistency_path()))
                  .ok());

  // Sizes past the log, a leaf outside the tree, sizes the wrong way round.
  grpc::Status status;
  {
    v1::GetInclusionProofRequest past;
    past.set_leaf_index(0);
    past.set_tree_size(second.tree_size() + 1);
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    v1::InclusionProof ignored;
    status = audit_->GetInclusionProof(&context, past, &ignored);
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(ReasonOf(status), "TREE_SIZE_AHEAD_OF_LOG");
  {
    v1::GetInclusionProofRequest outside;
    outside.set_leaf_index(second.tree_size());
    v1::InclusionProof ignored;
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    status = audit_->GetInclusionProof(&context, outside, &ignored);
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "LEAF_NOT_IN_TREE");
  {
    v1::GetConsistencyProofRequest wrong_way;
    wrong_way.set_first(5);
    wrong_way.set_second(4);
    v1::ConsistencyProof ignored;
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    status = audit_->GetConsistencyProof(&context, wrong_way, &ignored);
  }
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "FIRST_AFTER_SECOND");
}

TEST_F(AuditServiceTest, TheSigningKeyAndTheTreeSurviveARestart) {
  Seed2023();
  const v1::TreeHeadKey key = Key();
  const v1::SignedTreeHead before = Head();
  RestartServer();
  EXPECT_EQ(Key().key_id(), key.key_id());
  const v1::SignedTreeHead after = Head();
  EXPECT_TRUE(VerifyTreeHead(after, key).ok());
  EXPECT_EQ(after.tree_size(), before.tree_size());
  EXPECT_EQ(after.root_hash(), before.root_hash());
}

TEST_F(AuditServiceTest, VerifyLogStreamsProgressAndVerifiesACleanLogAgainstATrustedHead) {
  SeedTwoPrograms();
  const v1::SignedTreeHead head = Head();
  MustSend(DisburseRequest(kGyeongnam, 2023, 7'000'000));
  v1::VerifyLogRequest request;
  request.set_trusted_tree_size(head.tree_size());
  request.set_trusted_root_hash(head.root_hash());
  int progress = 0;
  v1::VerifyResult result = Verify(request, nullptr, &progress);
  EXPECT_TRUE(result.verified()) << result.reason();
  EXPECT_EQ(result.first_bad_position(), 0u);
  EXPECT_EQ(result.events_verified(), head.tree_size() + 1);
  EXPECT_EQ(result.root_hash(), Head().root_hash());
  EXPECT_GE(progress, 1);

  // A root the log never had at that size.
  request.mutable_trusted_root_hash()->front() ^= 1;
  result = Verify(request);
  EXPECT_FALSE(result.verified());
  EXPECT_EQ(result.first_bad_position(), 0u);
  EXPECT_NE(result.reason().find("rewritten"), std::string::npos) << result.reason();

  grpc::Status status;
  request.set_trusted_root_hash("short");
  Verify(request, &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(status), "trusted_root_hash");
}

TEST_F(AuditServiceTest, AnEventAlteredInTheStoreIsNamedByItsPosition) {
  SeedTwoPrograms();
  const v1::SignedTreeHead head = Head();
  StopServer();
  {
    storage::RawStore raw(data_dir());
    std::string bytes = *raw.Get("events", storage::EventKey(9));
    bytes.back() ^= 0x01;
    raw.Put("events", storage::EventKey(9), bytes);
  }
  StartServer();
  Connect();
  v1::VerifyLogRequest request;
  request.set_trusted_tree_size(head.tree_size());
  request.set_trusted_root_hash(head.root_hash());
  v1::VerifyResult result = Verify(request);
  EXPECT_FALSE(result.verified());
  EXPECT_EQ(result.first_bad_position(), 9u) << result.reason();
}

TEST_F(AuditServiceTest, AStoreWithItsTailCutOffIsServedReadOnlyAndNamesTheCut) {
  SeedTwoPrograms();
  const v1::SignedTreeHead head = Head();
  ASSERT_GT(head.tree_size(), 10u);
  StopServer();
  {
    storage::RawStore raw(data_dir());
    for (uint64_t p = head.tree_size() - 2; p <= head.tree_size(); ++p) {
      raw.Delete("events", storage::EventKey(p));
    }
  }
  StartServer();
  Connect();
  v1::VerifyResult result = Verify(v1::VerifyLogRequest());
  EXPECT_FALSE(result.verified());
  EXPECT_EQ(result.first_bad_position(), head.tree_size() - 2) << result.reason();
  EXPECT_NE(result.reason().find("removed"), std::string::npos) << result.reason();
  // Nothing more is written over the evidence.
  grpc::Status status = Send(DisburseRequest(kGyeongnam, 2023, 7'000'000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(status);
}

TEST_F(AuditServiceTest, SubscribersCatchUpAndGoLiveWithNoGapAndNoDuplicate) {
  SeedTwoPrograms();
  const uint64_t seeded = LastPosition();
  v1::SubscribeRequest from_start;
  v1::SubscribeRequest from_middle;
  from_middle.set_from_position(seeded / 2);
  v1::SubscribeRequest from_end;
  from_end.set_from_position(seeded + 1);
  Subscriber a(audit_.get(), from_start);
  Subscriber b(audit_.get(), from_middle);
  Subscriber c(audit_.get(), from_end);
  PayConcurrently(/*writers=*/4, /*payments=*/40);
  const uint64_t last = LastPosition();
  ASSERT_EQ(last, seeded + 160);
  for (Subscriber* subscriber : {&a, &b, &c}) ASSERT_TRUE(subscriber->WaitFor(last));
  a.Stop();
  b.Stop();
  c.Stop();
  ExpectConsecutive(a.events(), 1, last);
  ExpectConsecutive(b.events(), seeded / 2, last);
  ExpectConsecutive(c.events(), seeded + 1, last);
  // What they received is the log as stored.
  const std::vector<v1::LoggedEvent> log = ReadLog(v1::ReadLogRequest());
  for (const v1::LoggedEvent& event : a.events()) {
    EXPECT_EQ(event.canonical_bytes(), log[event.global_position() - 1].canonical_bytes());
  }
}

TEST_F(AuditServiceTest, ASubscriberThatReconnectsContinuesExactlyWhereItStopped) {
  SeedTwoPrograms();
  std::vector<v1::LoggedEvent> received;
  std::atomic<bool> writing{true};
  std::thread writers([&] {
    PayConcurrently(/*writers=*/2, /*payments=*/60);
    writing = false;
  });
  // Reconnect five times while the writers write, each time from the last
  // position received + 1.
  for (int round = 0; round < 5; ++round) {
    v1::SubscribeRequest request;
    request.set_from_position(received.empty() ? 1 : received.back().global_position() + 1);
    Subscriber subscriber(audit_.get(), request);
    ASSERT_TRUE(subscriber.WaitFor(request.from_position() + 5));
    subscriber.Stop();
    for (const v1::LoggedEvent& event : subscriber.events()) received.push_back(event);
  }
  writers.join();
  v1::SubscribeRequest rest;
  rest.set_from_position(received.back().global_position() + 1);
  const uint64_t last = LastPosition();
  if (rest.from_position() <= last) {
    Subscriber subscriber(audit_.get(), rest);
    ASSERT_TRUE(subscriber.WaitFor(last));
    subscriber.Stop();
    for (const v1::LoggedEvent& event : subscriber.events()) received.push_back(event);
  }
  ExpectConsecutive(received, 1, last);
}

TEST_F(AuditServiceTest, AQuietSubscriptionGetsCheckpointsAndAFilteredOneOnlyItsEvents) {
  SeedTwoPrograms();
  const uint64_t seeded = LastPosition();
  v1::SubscribeRequest quiet;
  quiet.set_from_position(seeded + 1);
  quiet.set_checkpoint_interval_ms(100);
  Subscriber idle(audit_.get(), quiet);
  ASSERT_TRUE(idle.WaitForCheckpoints(2));
  EXPECT_EQ(idle.reached(), seeded);
  EXPECT_TRUE(idle.events().empty());

  v1::SubscribeRequest ulsan_only;
  ulsan_only.set_consortium_id(kUlsan);
  ulsan_only.add_event_types("FundsDisbursed");
  ulsan_only.set_checkpoint_interval_ms(100);
  Subscriber filtered(audit_.get(), ulsan_only);
  PayConcurrently(/*writers=*/2, /*payments=*/10);  // writer 1 pays Ulsan
  const uint64_t last = LastPosition();
  ASSERT_TRUE(filtered.WaitFor(last));  // a checkpoint reaches the end
  filtered.Stop();
  std::vector<v1::LoggedEvent> events = filtered.events();
  EXPECT_EQ(events.size(), 1u + 10u);  // Seed's payment to Ulsan, then ten
  for (const v1::LoggedEvent& event : events) {
    EXPECT_EQ(event.event().stream_id(), std::string("consortium-") + kUlsan);
    EXPECT_EQ(event.event().event_type(), "FundsDisbursed");
  }
}

// A subscriber that does not read while the log grows holds nothing of the
// server's but its page: when it reads, it gets everything, in order.
TEST_F(AuditServiceTest, ASlowSubscriberFallsBehindAndThenReadsEverything) {
  SeedTwoPrograms();
  grpc::ClientContext context;
  SetDeadline(&context, kLongCallDeadline);
  v1::SubscribeRequest request;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      audit_->Subscribe(&context, request);
  v1::SubscribeResponse first;
  ASSERT_TRUE(reader->Read(&first));
  PayConcurrently(/*writers=*/4, /*payments=*/100);
  const uint64_t last = LastPosition();
  std::vector<v1::LoggedEvent> events = {first.event()};
  v1::SubscribeResponse response;
  while (events.back().global_position() < last && reader->Read(&response)) {
    if (response.has_event()) events.push_back(response.event());
  }
  context.TryCancel();
  reader->Finish();
  ExpectConsecutive(events, 1, last);
}

}  // namespace
}  // namespace alliance::testing
