// The Appender: a decider thread and a committer thread, a bounded queue,
// group commit. See appender.h for the algorithm; this file follows it step
// by step.
#include "storage/appender.h"

#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "storage/refusal.h"

namespace alliance::storage {
namespace {

constexpr size_t kSha256Bytes = 32;
// Stream versions remembered between batches. The ledger has a few hundred
// streams; past this the cache is dropped and refilled from the log, so a
// flood of new streams cannot grow memory without bound.
constexpr size_t kStreamVersionCacheMax = 1 << 16;

// The name of the message set in the event's oneof `kind` ("FundsDisbursed"),
// or "" when none is set.
std::string EventTypeName(const v1::Event& event) {
  static const google::protobuf::OneofDescriptor* const kind =
      v1::Event::descriptor()->FindOneofByName("kind");
  assert(kind != nullptr);
  const google::protobuf::FieldDescriptor* field =
      v1::Event::GetReflection()->GetOneofFieldDescriptor(event, kind);
  if (field == nullptr) return "";
  assert(field->message_type() != nullptr);  // every member of `kind` is a message
  return field->message_type()->name();
}

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* timestamp) {
  const int64_t seconds = absl::ToUnixSeconds(time);  // rounds toward the past
  timestamp->set_seconds(seconds);
  timestamp->set_nanos(
      static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

std::string ExpectedVersionText(const ExpectedVersion& expected) {
  return expected.kind == ExpectedVersion::Kind::kExact ? absl::StrCat(expected.version) : "0";
}

absl::Status ShuttingDown() {
  return Refuse(absl::StatusCode::kUnavailable, "SHUTTING_DOWN",
                "the ledger is shutting down and takes no more commands; retry on another server "
                "or after the restart");
}

absl::Status QueueFull(size_t capacity) {
  return Refuse(absl::StatusCode::kResourceExhausted, "APPEND_QUEUE_FULL",
                absl::StrCat("the append queue is full (", capacity,
                             " commands waiting); retry with backoff"),
                {{"queue_capacity", absl::StrCat(capacity)}});
}

absl::Status StoreWriteFailed(const absl::Status& cause) {
  return Refuse(absl::StatusCode::kUnavailable, "STORE_WRITE_FAILED",
                absl::StrCat("the event store could not make the batch durable: ", cause.message(),
                             "; nothing was written, retrying is safe"));
}

absl::Status StoreRecoveryFailed(const absl::Status& cause) {
  return Refuse(absl::StatusCode::kUnavailable, "STORE_RECOVERY_FAILED",
                absl::StrCat("the ledger could not reload its state from the event store: ",
                             cause.message(), "; nothing was written, retrying is safe"));
}

// Refuses a request whose fields the service layer should have checked:
// bad input is answered, never asserted.
absl::Status CheckRequest(const AppendRequest& request) {
  if (request.stream_id.empty()) return MissingField("stream_id");
  if (request.stream_id.find('\0') != std::string::npos) {
    return InvalidField("stream_id", "must not hold a NUL byte");
  }
  if (request.event_id.empty()) return MissingField("event_id");
  if (request.request_sha256.size() != kSha256Bytes) {
    return InvalidField("request_sha256", "must be 32 bytes");
  }
  return absl::OkStatus();
}

}  // namespace

class Appender::Impl {
 public:
  Impl(EventLog* log, StateMachine* state, AppenderOptions options, uint64_t last_position)
      : log_(log), state_(state), options_(std::move(options)), next_position_(last_position + 1) {
    committer_ = std::thread([this] { RunCommitter(); });
    thread_ = std::thread([this] { Run(); });
  }

  ~Impl() { Stop(); }

  void Submit(AppendRequest request) {
    assert(request.decide != nullptr);
    assert(request.done != nullptr);
    absl::Status refusal;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        refusal = ShuttingDown();
      } else if (queue_.size() >= options_.queue_capacity) {
        refusal = QueueFull(options_.queue_capacity);
      } else {
        queue_.push_back(std::move(request));
        work_.notify_one();
        return;
      }
    }
    request.done(refusal);  // outside the lock: done may do anything quick
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      work_.notify_one();
    }
    // Serializes concurrent Stop()s so only one joins.
    std::lock_guard<std::mutex> lock(join_mu_);
    if (thread_.joinable()) thread_.join();  // the decider ends after the last flight landed
    if (committer_.joinable()) {
      {
        std::lock_guard<std::mutex> flight_lock(flight_mu_);
        committer_stopping_ = true;
        flight_changed_.notify_all();
      }
      committer_.join();
    }
  }

  size_t QueueDepth() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

 private:
  // What happens to one command of a batch.
  struct Entry {
    AppendRequest request;
    enum class Outcome {
      kAnswered,        // `answer` is final whatever the commit does
      kAccepted,        // `answer` holds its result once the commit succeeds
      kReplayOfStaged,  // same id and content as entry `original` of this batch
    };
    Outcome outcome = Outcome::kAnswered;
    absl::StatusOr<AppendResult> answer = absl::UnknownError("not decided");
    size_t original = 0;
  };

  // What the batch adds to the tail, applied only once it is durable.
  struct Staged {
    uint64_t next_position = 0;
    absl::flat_hash_map<std::string, uint64_t> stream_versions;
    absl::flat_hash_map<std::string, size_t> event_ids;  // -> index in the batch
  };

  // A batch handed to the committer thread: written, synced, then answered.
  struct Flight {
    std::vector<Entry> batch;
    CommitBatch commit;
  };

  // A command of the flight, remembered by the decider until the flight is
  // known durable, so that a retry in the next batch is recognised.
  struct UnconfirmedCommand {
    std::string request_sha256;
    AppendResult result;
  };

  // The decider thread.
  void Run() {
    for (;;) {
      std::vector<Entry> batch = TakeBatch();
      if (batch.empty()) break;  // stopping, and the queue is drained
      ProcessBatch(std::move(batch));
    }
    (void)AwaitFlight();  // every answer is given before Stop() returns
  }

  // Waits for commands and takes up to batch_commands_max of them; empty
  // once Stop() was called and the queue is drained.
  std::vector<Entry> TakeBatch() {
    std::vector<Entry> batch;
    std::unique_lock<std::mutex> lock(mu_);
    work_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    while (!queue_.empty() && batch.size() < options_.batch_commands_max) {
      batch.push_back(Entry{std::move(queue_.front())});
      queue_.pop_front();
    }
    return batch;
  }

  // Decides the batch while the committer writes the previous one (the
  // pipeline: deciding and syncing overlap), then hands it over.
  void ProcessBatch(std::vector<Entry> batch) {
    // A flight that failed since the last batch: the state holds its events,
    // which are not in the log.
    if (absl::Status landed = LandedFlightStatus(); !landed.ok()) recovered_ = false;
    if (!recovered_ || stream_versions_.size() > kStreamVersionCacheMax) {
      // Both read the log's tail, which must not be in flight.
      if (!AwaitFlight().ok()) recovered_ = false;
      unconfirmed_.clear();
      stream_versions_.clear();
    }
    if (!recovered_) {
      absl::Status recovered = RecoverTail();
      if (!recovered.ok()) {
        for (Entry& entry : batch) entry.request.done(StoreRecoveryFailed(recovered));
        return;
      }
    }

    const absl::Time recorded_at = options_.clock();
    Staged staged;
    staged.next_position = next_position_;
    CommitBatch commit;
    for (size_t i = 0; i < batch.size(); ++i) {
      Decide(batch, i, recorded_at, &staged, &commit);
    }

    // The previous flight must be durable before this batch is written after
    // it, and before the state machine hands over this batch's writes.
    if (absl::Status previous = AwaitFlight(); !previous.ok()) {
      // This batch was decided against events that never reached the log.
      for (Entry& entry : batch) entry.request.done(StoreWriteFailed(previous));
      recovered_ = false;
      (void)RecoverTail();  // on failure, retried before the next batch
      return;
    }
    unconfirmed_.clear();
    if (commit.commands.empty()) {
      Answer(batch, absl::OkStatus());
      return;
    }
    state_->TakeModelWrites(&commit.model_writes, &commit.rule_writes);
    // The tail as decided: the next batch continues it while this one is
    // written. A failed write is followed by a recovery (above).
    next_position_ = staged.next_position;
    for (auto& [stream_id, version] : staged.stream_versions) {
      stream_versions_[stream_id] = version;
    }
    for (const auto& [event_id, index] : staged.event_ids) {
      unconfirmed_[event_id] =
          UnconfirmedCommand{batch[index].request.request_sha256, batch[index].answer.value()};
    }
    Launch(Flight{std::move(batch), std::move(commit)});
  }

  // Hands `flight` to the committer. REQUIRES: no flight in progress.
  void Launch(Flight flight) {
    std::lock_guard<std::mutex> lock(flight_mu_);
    assert(!flight_.has_value() && !flight_busy_);
    flight_ = std::move(flight);
    flight_busy_ = true;
    flight_changed_.notify_all();
  }

  // Waits until no flight is in progress; the status of the last one (OK
  // when it was written, or was already reported).
  absl::Status AwaitFlight() {
    std::unique_lock<std::mutex> lock(flight_mu_);
    flight_changed_.wait(lock, [this] { return !flight_busy_; });
    return std::exchange(flight_status_, absl::OkStatus());
  }

  // The status of the last flight if it has landed (reported once), OK when
  // it has not landed yet or was written.
  absl::Status LandedFlightStatus() {
    std::lock_guard<std::mutex> lock(flight_mu_);
    if (flight_busy_) return absl::OkStatus();
    return std::exchange(flight_status_, absl::OkStatus());
  }

  // The committer thread: writes each flight (one write, one sync), then
  // answers its callers. The only thread that calls EventLog::Commit.
  void RunCommitter() {
    for (;;) {
      Flight flight;
      {
        std::unique_lock<std::mutex> lock(flight_mu_);
        flight_changed_.wait(lock, [this] { return flight_.has_value() || committer_stopping_; });
        if (!flight_.has_value()) return;
        flight = std::move(*flight_);
        flight_.reset();
      }
      const absl::Status committed = log_->Commit(flight.commit);
      // The decider learns the outcome before any caller does: a caller that
      // retries at once after a failed write must find the state recovered,
      // not be decided against the failed batch. The next flight, handed
      // over meanwhile, is taken only after these answers.
      {
        std::lock_guard<std::mutex> lock(flight_mu_);
        flight_status_ = committed;
        flight_busy_ = false;
        flight_changed_.notify_all();
      }
      Answer(flight.batch, committed);
    }
  }

  // Steps 1 to 4 of appender.h for command `index`.
  void Decide(std::vector<Entry>& batch, size_t index, absl::Time recorded_at, Staged* staged,
              CommitBatch* commit) {
    Entry& entry = batch[index];
    const AppendRequest& request = entry.request;
    if (absl::Status malformed = CheckRequest(request); !malformed.ok()) {
      entry.answer = malformed;
      return;
    }

    // 1. The event id: a retry, a reused id, or new.
    if (auto it = staged->event_ids.find(request.event_id); it != staged->event_ids.end()) {
      const Entry& original = batch[it->second];
      if (original.request.request_sha256 == request.request_sha256) {
        entry.outcome = Entry::Outcome::kReplayOfStaged;
        entry.original = it->second;
      } else {
        entry.answer =
            EventIdReused(request.event_id, original.answer.value().first_global_position);
      }
      return;
    }
    if (auto it = unconfirmed_.find(request.event_id); it != unconfirmed_.end()) {
      // In the flight being written. This batch is answered only after that
      // flight landed, and all of it fails if the flight did.
      if (it->second.request_sha256 == request.request_sha256) {
        AppendResult result = it->second.result;
        result.replayed = true;
        entry.answer = std::move(result);
      } else {
        entry.answer = EventIdReused(request.event_id, it->second.result.first_global_position);
      }
      return;
    }
    absl::StatusOr<std::optional<EventIdRecord>> record = log_->FindEventId(request.event_id);
    if (!record.ok()) {
      entry.answer = record.status();
      return;
    }
    if (record->has_value()) {
      const EventIdRecord& found = **record;
      entry.answer = found.request_sha256 == request.request_sha256
                         ? ReplayFromLog(request.event_id, found)
                         : EventIdReused(request.event_id, found.first_global_position);
      return;
    }

    // 2. The expected version.
    absl::StatusOr<uint64_t> version = CurrentVersion(request.stream_id, *staged);
    if (!version.ok()) {
      entry.answer = version.status();
      return;
    }
    absl::Status expected = CheckExpectedVersion(request, *version);
    if (!expected.ok()) {
      entry.answer = expected;
      return;
    }

    // 3. The domain's rules.
    absl::StatusOr<std::vector<v1::Event>> events = request.decide(*version);
    if (!events.ok()) {
      entry.answer = events.status();
      return;
    }
    absl::Status valid = CheckDecidedEvents(request, *events);
    if (!valid.ok()) {
      entry.answer = valid;
      return;
    }

    // 4. Envelope, fold, stage.
    CommitBatch::Command command{request.event_id, request.request_sha256, {}};
    command.events.reserve(events->size());
    for (size_t i = 0; i < events->size(); ++i) {
      command.events.push_back(Envelope(request, i, std::move((*events)[i]), *version + 1 + i,
                                        staged->next_position + i, recorded_at));
    }
    for (const v1::EventEnvelope& envelope : command.events) state_->Apply(envelope);

    AppendResult result;
    result.event_id = request.event_id;
    result.stream_id = request.stream_id;
    result.first_stream_version = command.events.front().stream_version();
    result.last_stream_version = command.events.back().stream_version();
    result.first_global_position = command.events.front().global_position();
    result.last_global_position = command.events.back().global_position();
    result.recorded_at = recorded_at;
    staged->next_position += command.events.size();
    staged->stream_versions[request.stream_id] = result.last_stream_version;
    entry.answer = std::move(result);
    entry.outcome = Entry::Outcome::kAccepted;
    staged->event_ids[request.event_id] = index;
    commit->commands.push_back(std::move(command));
  }

  // The envelope of event `i` of the request.
  static v1::EventEnvelope Envelope(const AppendRequest& request, size_t i, v1::Event payload,
                                    uint64_t stream_version, uint64_t global_position,
                                    absl::Time recorded_at) {
    v1::EventEnvelope envelope;
    envelope.set_global_position(global_position);
    envelope.set_stream_id(request.stream_id);
    envelope.set_stream_version(stream_version);
    envelope.set_event_id(i == 0 ? request.event_id : absl::StrCat(request.event_id, "#", i));
    envelope.set_event_type(EventTypeName(payload));
    SetTimestamp(recorded_at, envelope.mutable_recorded_at());
    *envelope.mutable_recorded_by() = request.recorded_by;
    envelope.set_correlation_id(request.correlation_id);
    *envelope.mutable_payload() = std::move(payload);
    return envelope;
  }

  // Checks what `decide` returned: a programming error in the rules, not bad
  // input, but answered rather than asserted so one bad rule fails one command.
  static absl::Status CheckDecidedEvents(const AppendRequest& request,
                                         const std::vector<v1::Event>& events) {
    if (events.empty() || events.size() > kCommandEventsMax) {
      return absl::InternalError(absl::StrCat("the rules decided ", events.size(),
                                              " events for command ", request.event_id,
                                              "; a command appends 1 to ", kCommandEventsMax));
    }
    for (const v1::Event& event : events) {
      if (EventTypeName(event).empty()) {
        return absl::InternalError(
            absl::StrCat("the rules decided an event with no kind for "
                         "command ",
                         request.event_id));
      }
    }
    return absl::OkStatus();
  }

  static absl::Status CheckExpectedVersion(const AppendRequest& request, uint64_t version) {
    const ExpectedVersion& expected = request.expected_version;
    std::string wanted;
    switch (expected.kind) {
      case ExpectedVersion::Kind::kAny:
        return absl::OkStatus();
      case ExpectedVersion::Kind::kNoStream:
        if (version == 0) return absl::OkStatus();
        wanted = "no stream";
        break;
      case ExpectedVersion::Kind::kExact:
        if (version == expected.version) return absl::OkStatus();
        wanted = expected.version == 0 ? "no stream" : absl::StrCat("version ", expected.version);
        break;
    }
    return Refuse(absl::StatusCode::kAborted, "WRONG_EXPECTED_VERSION",
                  absl::StrCat("stream ", request.stream_id, " is at version ", version,
                               "; the command expected ", wanted),
                  {{"stream_id", request.stream_id},
                   {"expected_version", ExpectedVersionText(expected)},
                   {"actual_version", absl::StrCat(version)}});
  }

  static absl::Status EventIdReused(absl::string_view event_id, uint64_t global_position) {
    return Refuse(
        absl::StatusCode::kAlreadyExists, "EVENT_ID_REUSED",
        absl::StrCat("event id ", event_id,
                     " was already used for a different command (global position ", global_position,
                     ")"),
        {{"event_id", std::string(event_id)}, {"global_position", absl::StrCat(global_position)}});
  }

  // The original result of a command already in the log.
  absl::StatusOr<AppendResult> ReplayFromLog(absl::string_view event_id,
                                             const EventIdRecord& record) {
    assert(record.event_count > 0);
    const uint64_t last_position = record.first_global_position + record.event_count - 1;
    absl::StatusOr<std::vector<v1::EventEnvelope>> first =
        log_->ReadAll(record.first_global_position, 1);
    if (!first.ok()) return first.status();
    absl::StatusOr<std::vector<v1::EventEnvelope>> last = log_->ReadAll(last_position, 1);
    if (!last.ok()) return last.status();
    if (first->empty() || last->empty() || first->front().event_id() != event_id ||
        last->front().global_position() != last_position) {
      return absl::DataLossError(absl::StrCat("event id ", event_id,
                                              " is indexed at global "
                                              "positions ",
                                              record.first_global_position, "..", last_position,
                                              ", which do not hold its events"));
    }
    const v1::EventEnvelope& first_event = first->front();
    AppendResult result;
    result.event_id = std::string(event_id);
    result.stream_id = first_event.stream_id();
    result.first_stream_version = first_event.stream_version();
    result.last_stream_version = last->front().stream_version();
    result.first_global_position = record.first_global_position;
    result.last_global_position = last_position;
    result.recorded_at = ToTime(first_event.recorded_at());
    result.replayed = true;
    return result;
  }

  // The stream's version as the batch so far left it.
  absl::StatusOr<uint64_t> CurrentVersion(const std::string& stream_id, const Staged& staged) {
    if (auto it = staged.stream_versions.find(stream_id); it != staged.stream_versions.end()) {
      return it->second;
    }
    if (auto it = stream_versions_.find(stream_id); it != stream_versions_.end()) {
      return it->second;
    }
    absl::StatusOr<uint64_t> version = log_->StreamVersion(stream_id);
    if (version.ok()) stream_versions_[stream_id] = *version;
    return version;
  }

  // Calls every command's `done` once, after the commit (or its failure).
  static void Answer(std::vector<Entry>& batch, const absl::Status& committed) {
    for (Entry& entry : batch) {
      absl::StatusOr<AppendResult> answer;
      switch (entry.outcome) {
        case Entry::Outcome::kAnswered:
          answer = std::move(entry.answer);
          break;
        case Entry::Outcome::kAccepted:
          answer = committed.ok() ? entry.answer : StoreWriteFailed(committed);
          break;
        case Entry::Outcome::kReplayOfStaged:
          if (committed.ok()) {
            AppendResult result = batch[entry.original].answer.value();
            result.replayed = true;
            answer = std::move(result);
          } else {
            answer = StoreWriteFailed(committed);
          }
          break;
      }
      entry.request.done(std::move(answer));
    }
  }

  // Folds the state machine again from the log and relearns the tail.
  absl::Status RecoverTail() {
    stream_versions_.clear();
    unconfirmed_.clear();
    absl::Status status = state_->Recover(*log_);
    if (!status.ok()) return status;
    absl::StatusOr<uint64_t> last = log_->LastPosition();
    if (!last.ok()) return last.status();
    next_position_ = *last + 1;
    recovered_ = true;
    return absl::OkStatus();
  }

  EventLog* const log_;
  StateMachine* const state_;
  const AppenderOptions options_;

  // std::mutex rather than absl::Mutex: Debian's Abseil is built without
  // ThreadSanitizer hooks, so TSan cannot see absl::Mutex's happens-before
  // edges and reports every access it guards as a race. pthread-based locks
  // are intercepted by TSan. The ABSL_GUARDED_BY annotations still say what
  // the mutex guards.
  mutable std::mutex mu_;
  std::condition_variable work_;  // notified when a command is queued or Stop() is called
  std::deque<AppendRequest> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  std::mutex join_mu_;

  // The hand-over between the decider and the committer: at most one flight
  // at a time, so the decider is at most one batch ahead of the disk.
  std::mutex flight_mu_;
  std::condition_variable flight_changed_;
  std::optional<Flight> flight_ ABSL_GUARDED_BY(flight_mu_);  // handed over, not yet taken
  bool flight_busy_ ABSL_GUARDED_BY(flight_mu_) = false;      // handed over, not yet answered
  absl::Status flight_status_ ABSL_GUARDED_BY(flight_mu_);    // of the last flight, until read
  bool committer_stopping_ ABSL_GUARDED_BY(flight_mu_) = false;

  // The tail as decided (including the flight being written), touched by
  // the decider thread only.
  uint64_t next_position_;
  absl::flat_hash_map<std::string, uint64_t> stream_versions_;
  // The commands of the flight being written, by event id.
  absl::flat_hash_map<std::string, UnconfirmedCommand> unconfirmed_;
  // False after a failed commit until the state is folded again from the log.
  bool recovered_ = true;

  // Started by the constructor's body, once every member exists.
  std::thread committer_;
  std::thread thread_;
};

absl::StatusOr<std::unique_ptr<Appender>> Appender::Start(EventLog* log, StateMachine* state,
                                                          AppenderOptions options) {
  assert(log != nullptr);
  assert(state != nullptr);
  if (options.queue_capacity == 0 || options.batch_commands_max == 0 || options.clock == nullptr) {
    return absl::InvalidArgumentError(
        "appender options need queue_capacity > 0, batch_commands_max > 0 and a clock");
  }
  absl::Status recovered = state->Recover(*log);
  if (!recovered.ok()) return recovered;
  absl::StatusOr<uint64_t> last_position = log->LastPosition();
  if (!last_position.ok()) return last_position.status();
  return std::unique_ptr<Appender>(
      new Appender(std::make_unique<Impl>(log, state, std::move(options), *last_position)));
}

Appender::Appender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Appender::~Appender() { impl_->Stop(); }

void Appender::Submit(AppendRequest request) { impl_->Submit(std::move(request)); }

void Appender::Stop() { impl_->Stop(); }

size_t Appender::QueueDepth() const { return impl_->QueueDepth(); }

}  // namespace alliance::storage
