// The ledger core: the queue, the decider, the committer, the state they
// decide against, the batch in flight, and recovery. ledger.h draws the path;
// this file follows it from Submit to done.
#include "services/ledger/ledger.h"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cassert>
#include <deque>
#include <filesystem>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "proto/errors/refusal.h"
#include "services/domain/authority.h"
#include "services/domain/fold.h"
#include "services/domain/ledger_state.h"
#include "services/ledger/stored_models.h"
#include "storage/mutex.h"

namespace alliance {
namespace {

void SetTimestamp(absl::Time time, google::protobuf::Timestamp* timestamp) {
  const int64_t seconds = absl::ToUnixSeconds(time);  // rounds toward the past
  timestamp->set_seconds(seconds);
  timestamp->set_nanos(
      static_cast<int32_t>((time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
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

// Which batch's write failed, for a command answered STORE_WRITE_FAILED.
enum class FailedBatch {
  // Its own: it may or may not be in the log.
  kHoldingTheCommand,
  // The one before: it was decided against events that may never reach
  // the log, and not written.
  kBeforeTheCommand,
};

absl::Status StoreWriteFailed(const absl::Status& cause, FailedBatch batch) {
  const bool own = batch == FailedBatch::kHoldingTheCommand;
  return Refuse(
      absl::StatusCode::kUnavailable, "STORE_WRITE_FAILED",
      absl::StrCat(
          "the event store could not make the batch ", own ? "holding" : "before",
          " this command durable (", cause.message(), "); ",
          own ? "whether this command was recorded is unknown" : "this command was not recorded",
          "; retrying with the same event id is safe: it is recorded once or "
          "answered as replayed"));
}

absl::Status StoreUnwritable(const absl::Status& cause) {
  return Refuse(absl::StatusCode::kUnavailable, "STORE_UNWRITABLE",
                absl::StrCat("the event store cannot be written now (", cause.message(),
                             "); nothing was recorded; reads go on, and writes resume without a "
                             "restart once the store can be written: retry later with the same "
                             "event id"));
}

absl::Status EventIdReused(absl::string_view event_id, uint64_t global_position) {
  return Refuse(
      absl::StatusCode::kAlreadyExists, "EVENT_ID_REUSED",
      absl::StrCat(
          "event id ", event_id,
          " was already used, for a different command or by another caller (global position ",
          global_position, ")"),
      {{"event_id", std::string(event_id)}, {"global_position", absl::StrCat(global_position)}});
}

std::string ExpectedVersionText(const v1::ExpectedVersion& expected) {
  return expected.kind() == v1::ExpectedVersion::KIND_EXACT ? absl::StrCat(expected.version())
                                                            : "0";
}

absl::Status CheckExpectedVersion(absl::string_view stream_id, const v1::ExpectedVersion& expected,
                                  uint64_t version) {
  std::string wanted;
  switch (expected.kind()) {
    case v1::ExpectedVersion::KIND_NO_STREAM:
      if (version == 0) return absl::OkStatus();
      wanted = "no stream";
      break;
    case v1::ExpectedVersion::KIND_EXACT:
      if (version == expected.version()) return absl::OkStatus();
      wanted = expected.version() == 0 ? "no stream" : absl::StrCat("version ", expected.version());
      break;
    default:  // KIND_ANY
      return absl::OkStatus();
  }
  return Refuse(absl::StatusCode::kAborted, "WRONG_EXPECTED_VERSION",
                absl::StrCat("stream ", stream_id, " is at version ", version,
                             "; the command expected ", wanted),
                {{"stream_id", std::string(stream_id)},
                 {"expected_version", ExpectedVersionText(expected)},
                 {"actual_version", absl::StrCat(version)}});
}

// SHA-256 of the command's content: the RPC name, the caller's identity and
// the request serialized deterministically, without the event id and
// expected version (a retry may state its expectation differently and is
// still the same command). With the caller in it, another caller sending
// the same id and body is refused EVENT_ID_REUSED, never handed the first
// caller's result.
std::string Fingerprint(const domain::CommandSpec& spec, absl::string_view caller,
                        const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> content(request.New());
  content->CopyFrom(request);
  v1::CommandMeta* meta = spec.mutable_meta(content.get());
  meta->clear_event_id();
  meta->clear_expected_version();
  std::string bytes(spec.name);
  bytes.push_back('\0');
  bytes.append(caller.data(), caller.size());
  bytes.push_back('\0');
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    content->SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// Checks what decide returned: a programming error in the rules, not bad
// input, but answered rather than asserted so one bad rule fails one command.
absl::Status CheckDecidedEvents(absl::string_view event_id, const std::vector<v1::Event>& events) {
  if (events.empty() || events.size() > domain::kCommandEventsMax) {
    return absl::InternalError(
        absl::StrCat("the rules decided ", events.size(), " events for command ", event_id,
                     "; a command appends 1 to ", domain::kCommandEventsMax));
  }
  for (const v1::Event& event : events) {
    if (domain::EventTypeName(event).empty()) {
      return absl::InternalError(
          absl::StrCat("the rules decided an event with no kind for command ", event_id));
    }
  }
  return absl::OkStatus();
}

// The published snapshot of a whole state (start-up, recovery).
std::shared_ptr<const PublishedModels> PublishAll(const domain::LedgerState& state,
                                                  uint64_t position) {
  auto programs = std::make_shared<ModelsById<std::string>>();
  auto consortia = std::make_shared<ModelsById<PublishedConsortium>>();
  auto participants = std::make_shared<ModelsById<std::string>>();
  for (const auto& [id, model] : state.programs) {
    programs->emplace(id,
                      std::make_shared<const std::string>(domain::SerializeDeterministic(model)));
  }
  for (const auto& [id, model] : state.consortia) {
    consortia->emplace(id, std::make_shared<const PublishedConsortium>(PublishedConsortium::Of(
                               model, domain::SerializeDeterministic(model))));
  }
  for (const auto& [id, model] : state.participants) {
    participants->emplace(
        id, std::make_shared<const std::string>(domain::SerializeDeterministic(model)));
  }
  auto published = std::make_shared<PublishedModels>();
  published->position = position;
  published->programs = std::move(programs);
  published->consortia = std::move(consortia);
  published->participants = std::move(participants);
  return published;
}

// `models` with `changes` (id, model) applied: a new map when there are any,
// else `models` itself, shared.
template <typename Model>
std::shared_ptr<const ModelsById<Model>> Updated(
    const std::shared_ptr<const ModelsById<Model>>& models,
    const std::vector<std::pair<std::string, std::shared_ptr<const Model>>>& changes) {
  if (changes.empty()) return models;
  auto updated = std::make_shared<ModelsById<Model>>(*models);
  for (const auto& [id, model] : changes) (*updated)[id] = model;
  return updated;
}

// The first multiple of `every` after `position`.
uint64_t NextCheckpointAfter(uint64_t position, uint64_t every) {
  return (position / every + 1) * every;
}

// The state the store's read models give, and the log's last position.
struct LoadedState {
  domain::LedgerState state;
  uint64_t last_position = 0;
};
absl::StatusOr<LoadedState> LoadState(storage::EventLog& log) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> models = log.DumpModels();
  if (!models.ok()) return models.status();
  absl::StatusOr<domain::LedgerState> state = StateFromModels(*models);
  if (!state.ok()) return state.status();
  absl::StatusOr<uint64_t> last = log.LastPosition();
  if (!last.ok()) return last.status();
  return LoadedState{*std::move(state), *last};
}

}  // namespace

// The decider and committer threads and everything they share.
class Ledger::Pipeline final : private domain::RuleIndexReader {
 public:
  Pipeline(std::shared_ptr<storage::EventLog> log, Reopen reopen, LedgerOptions options,
           LoadedState loaded, absl::Status unwritable)
      : log_(log.get()),
        shared_log_(std::move(log)),
        reopen_(std::move(reopen)),
        options_(std::move(options)),
        state_(std::move(loaded.state)),
        next_position_(loaded.last_position + 1),
        next_checkpoint_at_(NextCheckpointAfter(loaded.last_position, options_.checkpoint_events)),
        published_(PublishAll(state_, loaded.last_position)),
        writable_(unwritable.ok()),
        unwritable_cause_(std::move(unwritable)) {
    state_.committed = this;
    committer_ = std::thread([this] { RunCommitter(); });
    decider_ = std::thread([this] { RunDecider(); });
  }

  ~Pipeline() { Stop(); }

  void Submit(Command command) {
    assert(command.spec != nullptr && command.request != nullptr && command.done != nullptr);
    assert(command.request->GetDescriptor() == command.spec->request_type);
    // The fingerprint is computed here, on the caller's thread (a gRPC
    // thread), not on the one decider thread every command passes through.
    std::string request_sha256 =
        Fingerprint(*command.spec, command.caller.name(), *command.request);
    absl::Status refusal;
    {
      MutexLock lock(&mu_);
      if (stopping_) {
        refusal = ShuttingDown();
      } else if (!writable_) {
        refusal = StoreUnwritable(unwritable_cause_);
      } else if (queue_.size() >= options_.queue_capacity) {
        refusal = QueueFull(options_.queue_capacity);
      } else {
        queue_.push_back(Queued{std::move(command), std::move(request_sha256)});
        work_.Signal();
        return;
      }
    }
    command.done(refusal);  // outside the lock: done may do anything quick
  }

  void Stop() {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
      work_.Signal();
    }
    // Serializes concurrent Stop()s so only one joins.
    MutexLock join_lock(&join_mu_);
    if (decider_.joinable()) decider_.join();  // ends after the last flight landed
    if (committer_.joinable()) {
      {
        MutexLock lock(&flight_mu_);
        committer_stopping_ = true;
        flight_changed_.SignalAll();
      }
      committer_.join();
    }
  }

  size_t QueueDepth() {
    MutexLock lock(&mu_);
    return queue_.size();
  }

  std::shared_ptr<const PublishedModels> Published() const { return published_.load(); }

  std::shared_ptr<storage::EventLog> Log() const { return shared_log_.load(); }

  bool writable() {
    MutexLock lock(&mu_);
    return writable_;
  }

  void SetWritableListener(std::function<void(bool)> listener) {
    MutexLock lock(&listener_mu_);
    listener_ = std::move(listener);
    if (listener_) listener_(writable());
  }

  void SetCommitListener(std::function<void(uint64_t)> listener) {
    MutexLock lock(&listener_mu_);
    commit_listener_ = std::move(listener);
    if (commit_listener_) commit_listener_(published_.load()->position);
  }

 private:
  // What happens to one command of a batch.
  struct Entry {
    Command command;
    enum class Outcome {
      kFinal,                 // `answer` stands whatever the commit does
      kAccepted,              // `answer` holds its result once the commit succeeds
      kReplayOfStaged,        // same id and content as entry `original` of this batch
      kRefusedAfterAccepted,  // a refusal decided against commands of this
                              // batch: stands only if the commit succeeds
    };
    Outcome outcome = Outcome::kFinal;
    absl::StatusOr<AppendResult> answer = absl::UnknownError("not decided");
    size_t original = 0;
    std::string request_sha256;
  };

  // What the batch adds to the tail, taken over once it is handed on.
  struct Staged {
    uint64_t next_position = 0;
    absl::flat_hash_map<std::string, uint64_t> stream_versions;
    absl::flat_hash_map<std::string, size_t> event_ids;  // -> index in the batch
  };

  // A batch handed to the committer: written, synced, published, answered.
  struct Flight {
    std::vector<Entry> batch;
    storage::CommitBatch commit;
    uint64_t last_position = 0;
    // The read models the batch changed, as it left them, by id, as
    // PublishedModels holds them.
    std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> programs;
    std::vector<std::pair<std::string, std::shared_ptr<const PublishedConsortium>>> consortia;
    std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> participants;
  };

  // A command of the flight, remembered by the decider until the flight is
  // known durable, so that a retry in the next batch is recognised.
  struct UnconfirmedCommand {
    std::string request_sha256;
    AppendResult result;
  };

  // domain::RuleIndexReader: the entries of the flight being written first
  // (the decider decides as if they were on disk), then the store's.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const override {
    if (auto it = unconfirmed_rule_entries_.find(key); it != unconfirmed_rule_entries_.end()) {
      return it->second;
    }
    return log_->GetRuleEntry(key);
  }

  // ---- The decider thread -------------------------------------------------

  void RunDecider() {
    for (;;) {
      std::vector<Entry> batch;
      bool stopping = false;
      bool writable = false;
      {
        MutexLock lock(&mu_);
        // An unwritable store is asked to resume every retry interval, even
        // when no command waits.
        while (queue_.empty() && !stopping_ && writable_) work_.Wait(&mu_);
        if (queue_.empty() && !stopping_ && !writable_) {
          work_.WaitFor(&mu_, options_.store_retry_interval);
        }
        while (!queue_.empty() && batch.size() < options_.batch_commands_max) {
          Entry& entry = batch.emplace_back();
          entry.command = std::move(queue_.front().command);
          entry.request_sha256 = std::move(queue_.front().request_sha256);
          queue_.pop_front();
        }
        stopping = stopping_;
        writable = writable_;
      }
      if (!writable) {
        writable = TryResume();
        if (!writable) {
          absl::Status cause = UnwritableCause();
          for (Entry& entry : batch) entry.command.done(StoreUnwritable(cause));
          if (stopping) break;
          continue;
        }
      }
      if (batch.empty()) {
        if (stopping) break;
        continue;
      }
      ProcessBatch(std::move(batch));
    }
    (void)AwaitFlight();  // every answer is given before Stop() returns
  }

  // Decides the batch while the committer writes the previous one, then
  // hands it over.
  void ProcessBatch(std::vector<Entry> batch) {
    const absl::Time recorded_at = options_.clock();
    Staged staged;
    staged.next_position = next_position_;
    storage::CommitBatch commit;
    for (size_t i = 0; i < batch.size(); ++i) Decide(batch, i, recorded_at, &staged, &commit);

    // The previous flight must be durable before this batch is written after
    // it, and before its rule-index entries are forgotten.
    if (absl::Status previous = AwaitFlight(); !previous.ok()) {
      // Decided against events that may never reach the log: not written.
      for (Entry& entry : batch)
        entry.command.done(StoreWriteFailed(previous, FailedBatch::kBeforeTheCommand));
      // The committer marked the store unwritable; the state is reloaded
      // once it resumes.
      return;
    }
    unconfirmed_.clear();
    unconfirmed_stream_versions_.clear();
    unconfirmed_rule_entries_.clear();
    if (commit.commands.empty()) {
      // Nothing to write: every answer is a refusal or a replay of what is
      // durable, final now.
      for (Entry& entry : batch) entry.command.done(std::move(entry.answer));
      return;
    }

    Flight flight;
    TakeChanges(&flight, &commit);
    next_position_ = staged.next_position;
    flight.last_position = staged.next_position - 1;
    unconfirmed_stream_versions_ = std::move(staged.stream_versions);
    for (const auto& [event_id, index] : staged.event_ids) {
      unconfirmed_[event_id] =
          UnconfirmedCommand{batch[index].request_sha256, batch[index].answer.value()};
    }
    if (flight.last_position >= next_checkpoint_at_) {
      commit.checkpoint = storage::ModelCheckpoint{flight.last_position, AllModels(state_)};
      next_checkpoint_at_ = NextCheckpointAfter(flight.last_position, options_.checkpoint_events);
    }
    flight.batch = std::move(batch);
    flight.commit = std::move(commit);
    Launch(std::move(flight));
  }

  // Moves the read models and rule-index entries the batch changed into the
  // flight and its commit; the entries stay readable (unconfirmed) until the
  // flight is durable.
  void TakeChanges(Flight* flight, storage::CommitBatch* commit) {
    StoredModels entries = ModelEntries(state_, changed_);
    // The bytes the store gets are the bytes queries get.
    auto bytes_of = [&entries](ModelKind kind, const std::string& id) {
      const std::string* bytes = FindModelEntry(entries, kind, id);
      assert(bytes != nullptr);
      return *bytes;
    };
    for (const std::string& id : changed_.program_ids) {
      flight->programs.emplace_back(
          id, std::make_shared<const std::string>(bytes_of(ModelKind::kProgram, id)));
    }
    for (const std::string& id : changed_.consortium_ids) {
      flight->consortia.emplace_back(
          id, std::make_shared<const PublishedConsortium>(PublishedConsortium::Of(
                  state_.consortia.at(id), bytes_of(ModelKind::kConsortium, id))));
    }
    for (const std::string& id : changed_.participant_ids) {
      flight->participants.emplace_back(
          id, std::make_shared<const std::string>(bytes_of(ModelKind::kParticipant, id)));
    }
    for (auto& [key, value] : entries) {
      commit->model_writes.push_back(storage::ModelWrite{std::move(key), std::move(value)});
    }
    for (const auto& [key, value] : state_.pending_rule_entries) {
      commit->rule_writes.push_back(storage::ModelWrite{key, value});
    }
    changed_.clear();
    unconfirmed_rule_entries_ = std::move(state_.pending_rule_entries);
    state_.pending_rule_entries.clear();
  }

  // The steps of ledger.h for command `index` of the batch.
  void Decide(std::vector<Entry>& batch, size_t index, absl::Time recorded_at, Staged* staged,
              storage::CommitBatch* commit) {
    Entry& entry = batch[index];
    const domain::CommandSpec& spec = *entry.command.spec;
    const google::protobuf::Message& request = *entry.command.request;
    const v1::CommandMeta& meta = spec.meta(request);
    const std::string& event_id = meta.event_id();
    // A refusal decided once this batch accepted a command may depend on it.
    const Entry::Outcome refused =
        commit->commands.empty() ? Entry::Outcome::kFinal : Entry::Outcome::kRefusedAfterAccepted;
    const std::string stream_id = spec.stream_id(request);
    if (event_id.empty() || stream_id.empty()) {
      // The services validate before they submit; answered, not asserted.
      entry.answer = MissingField(event_id.empty() ? "meta.event_id" : "stream");
      return;
    }

    // 0. Whether the caller may record it (its row's authority): first, so
    // that a caller learns nothing of the event ids of commands it may not
    // record.
    if (absl::Status allowed = domain::Authorize(spec, state_, request, entry.command.caller);
        !allowed.ok()) {
      entry.outcome = refused;
      entry.answer = allowed;
      return;
    }

    // 1. The event id: a retry, a reused id, or new.
    if (auto it = staged->event_ids.find(event_id); it != staged->event_ids.end()) {
      const Entry& original = batch[it->second];
      if (original.request_sha256 == entry.request_sha256) {
        entry.outcome = Entry::Outcome::kReplayOfStaged;
        entry.original = it->second;
      } else {
        entry.outcome = refused;
        entry.answer = EventIdReused(event_id, original.answer.value().first_global_position);
      }
      return;
    }
    if (auto it = unconfirmed_.find(event_id); it != unconfirmed_.end()) {
      // In the flight being written. This batch is answered only after that
      // flight landed, and all of it fails if the flight did.
      if (it->second.request_sha256 == entry.request_sha256) {
        AppendResult result = it->second.result;
        result.replayed = true;
        entry.answer = std::move(result);
      } else {
        entry.answer = EventIdReused(event_id, it->second.result.first_global_position);
      }
      return;
    }
    absl::StatusOr<std::optional<storage::EventIdRecord>> record = log_->FindEventId(event_id);
    if (!record.ok()) {
      entry.answer = record.status();
      return;
    }
    if (record->has_value()) {
      const storage::EventIdRecord& found = **record;
      entry.answer = found.request_sha256 == entry.request_sha256
                         ? ReplayFromLog(event_id, found)
                         : EventIdReused(event_id, found.first_global_position);
      return;
    }

    // 2. The expected version.
    absl::StatusOr<uint64_t> version = CurrentVersion(stream_id, *staged);
    if (!version.ok()) {
      entry.answer = version.status();
      return;
    }
    if (absl::Status expected = CheckExpectedVersion(stream_id, meta.expected_version(), *version);
        !expected.ok()) {
      entry.outcome = refused;
      entry.answer = expected;
      return;
    }

    // 3. The program's rules.
    absl::StatusOr<std::vector<v1::Event>> events = spec.decide(state_, request, recorded_at);
    if (events.ok()) {
      if (absl::Status valid = CheckDecidedEvents(event_id, *events); !valid.ok()) events = valid;
    }
    if (!events.ok()) {
      entry.outcome = refused;
      entry.answer = events.status();
      return;
    }

    // 4. Envelope, fold, stage.
    storage::CommitBatch::Command command{event_id, entry.request_sha256, {}};
    command.events.reserve(events->size());
    for (size_t i = 0; i < events->size(); ++i) {
      v1::EventEnvelope& envelope = command.events.emplace_back();
      envelope.set_global_position(staged->next_position + i);
      envelope.set_stream_id(stream_id);
      envelope.set_stream_version(*version + 1 + i);
      envelope.set_event_id(i == 0 ? event_id : absl::StrCat(event_id, "#", i));
      envelope.set_event_type(std::string(domain::EventTypeName((*events)[i])));
      SetTimestamp(recorded_at, envelope.mutable_recorded_at());
      envelope.mutable_recorded_by()->set_agency(entry.command.caller.organisation());
      envelope.mutable_recorded_by()->set_principal(entry.command.caller.name());
      envelope.set_correlation_id(meta.correlation_id());
      *envelope.mutable_payload() = std::move((*events)[i]);
    }
    for (const v1::EventEnvelope& envelope : command.events) {
      domain::Fold(envelope, &state_, &changed_);
    }

    AppendResult result;
    result.event_id = event_id;
    result.stream_id = stream_id;
    result.first_stream_version = command.events.front().stream_version();
    result.last_stream_version = command.events.back().stream_version();
    result.first_global_position = command.events.front().global_position();
    result.last_global_position = command.events.back().global_position();
    result.recorded_at = recorded_at;
    staged->next_position += command.events.size();
    staged->stream_versions[stream_id] = result.last_stream_version;
    staged->event_ids[event_id] = index;
    entry.answer = std::move(result);
    entry.outcome = Entry::Outcome::kAccepted;
    commit->commands.push_back(std::move(command));
  }

  // The original result of a command already in the log.
  absl::StatusOr<AppendResult> ReplayFromLog(absl::string_view event_id,
                                             const storage::EventIdRecord& record) {
    assert(record.event_count > 0);
    const uint64_t last_position = record.first_global_position + record.event_count - 1;
    absl::StatusOr<std::vector<v1::EventEnvelope>> first =
        log_->ReadAll(record.first_global_position, 1);
    if (!first.ok()) return first.status();
    absl::StatusOr<std::vector<v1::EventEnvelope>> last = log_->ReadAll(last_position, 1);
    if (!last.ok()) return last.status();
    if (first->empty() || last->empty() || first->front().event_id() != event_id ||
        last->front().global_position() != last_position) {
      return absl::DataLossError(absl::StrCat(
          "event id ", event_id, " is indexed at global positions ", record.first_global_position,
          "..", last_position, ", which do not hold its events"));
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

  // The stream's version as the batch so far left it: this batch's, the
  // flight's, or the committed one (which the log remembers).
  absl::StatusOr<uint64_t> CurrentVersion(const std::string& stream_id, const Staged& staged) {
    if (auto it = staged.stream_versions.find(stream_id); it != staged.stream_versions.end()) {
      return it->second;
    }
    if (auto it = unconfirmed_stream_versions_.find(stream_id);
        it != unconfirmed_stream_versions_.end()) {
      return it->second;
    }
    return log_->StreamVersion(stream_id);
  }

  // After a failed write, or at a start that could not open the store for
  // writing: asks the store to resume and, when it does, reloads the state
  // from it (the failed batch may or may not be there). True once writable.
  bool TryResume() {
    // A flight still being written is answered first; then neither thread
    // uses the log until this returns.
    (void)AwaitFlight();
    if (!log_->read_only()) {
      absl::Status resumed = log_->Resume();
      if (absl::IsFailedPrecondition(resumed) && reopen_ != nullptr) {
        // RocksDB will not resume this writer: a reader takes its place,
        // and the writer closes once no query holds it, so that the store
        // can be opened for writing again (below, now or at a later try).
        absl::StatusOr<std::unique_ptr<storage::EventLog>> reader = reopen_(/*read_only=*/true);
        if (reader.ok()) {
          spdlog::warn("reopening the event store: {}", std::string(resumed.message()));
          Replace(*std::move(reader));
        }
      }
      if (!resumed.ok() && !log_->read_only()) {
        SetUnwritable(resumed);
        return false;
      }
    }
    if (log_->read_only()) {
      // Opened read-only (at a start on a full disk, or above): open it for
      // writing beside the reader, then let the reader go once no query
      // holds it.
      absl::StatusOr<std::unique_ptr<storage::EventLog>> reopened =
          reopen_ != nullptr ? reopen_(/*read_only=*/false)
                             : absl::UnavailableError("the store was opened read-only");
      if (!reopened.ok()) {
        SetUnwritable(reopened.status());
        return false;
      }
      Replace(*std::move(reopened));
      spdlog::info("the event store is open for writing now");
    }
    absl::StatusOr<LoadedState> loaded = LoadState(*log_);
    if (!loaded.ok()) {
      SetUnwritable(loaded.status());
      return false;
    }
    state_ = std::move(loaded->state);
    state_.committed = this;
    changed_.clear();
    next_position_ = loaded->last_position + 1;
    next_checkpoint_at_ = NextCheckpointAfter(loaded->last_position, options_.checkpoint_events);
    unconfirmed_.clear();
    unconfirmed_stream_versions_.clear();
    unconfirmed_rule_entries_.clear();
    published_.store(PublishAll(state_, loaded->last_position));
    NotifyCommit(loaded->last_position);
    spdlog::info("the event store is writable again at position {}; taking commands",
                 loaded->last_position);
    SetWritable();
    return true;
  }

  // Makes `log` the one the decider, the committer and new readers use.
  // REQUIRES: on the decider thread, no flight in progress.
  void Replace(std::unique_ptr<storage::EventLog> log) {
    std::shared_ptr<storage::EventLog> shared(std::move(log));
    log_ = shared.get();
    shared_log_.store(std::move(shared));
  }

  // ---- The hand-over ------------------------------------------------------

  // Hands `flight` to the committer. REQUIRES: no flight in progress.
  void Launch(Flight flight) {
    MutexLock lock(&flight_mu_);
    assert(!flight_.has_value() && !flight_busy_);
    flight_ = std::move(flight);
    flight_busy_ = true;
    flight_changed_.SignalAll();
  }

  // Waits until no flight is in progress; the status of the last one (OK
  // when it was written, or was already reported).
  absl::Status AwaitFlight() {
    MutexLock lock(&flight_mu_);
    while (flight_busy_) flight_changed_.Wait(&flight_mu_);
    return std::exchange(flight_status_, absl::OkStatus());
  }

  // ---- The committer thread -----------------------------------------------

  // Writes each flight (one write, one sync), publishes its read models, then
  // answers its callers. The only thread that calls EventLog::Commit.
  void RunCommitter() {
    for (;;) {
      Flight flight;
      {
        MutexLock lock(&flight_mu_);
        while (!flight_.has_value() && !committer_stopping_) flight_changed_.Wait(&flight_mu_);
        if (!flight_.has_value()) return;
        flight = std::move(*flight_);
        flight_.reset();
      }
      const absl::Status committed = log_->Commit(flight.commit);
      if (committed.ok()) {
        Publish(flight);
      } else {
        spdlog::error(
            "a batch of {} commands could not be made durable: {}; writes stop until "
            "the store resumes",
            flight.commit.commands.size(), std::string(committed.message()));
        // Before any caller hears of it: a retry must find the store
        // refusing, not be decided against the failed batch.
        SetUnwritable(committed);
      }
      // The decider learns the outcome before any caller does: a caller
      // that retries at once must not be decided against a failed batch.
      {
        MutexLock lock(&flight_mu_);
        flight_status_ = committed;
        flight_busy_ = false;
        flight_changed_.SignalAll();
      }
      Answer(flight.batch, committed);
    }
  }

  // Swaps in a snapshot holding the flight's read models.
  void Publish(const Flight& flight) {
    std::shared_ptr<const PublishedModels> current = published_.load();
    auto next = std::make_shared<PublishedModels>(*current);
    next->position = flight.last_position;
    next->programs = Updated(current->programs, flight.programs);
    next->consortia = Updated(current->consortia, flight.consortia);
    next->participants = Updated(current->participants, flight.participants);
    published_.store(std::shared_ptr<const PublishedModels>(std::move(next)));
    NotifyCommit(flight.last_position);
  }

  void NotifyCommit(uint64_t last_position) {
    MutexLock lock(&listener_mu_);
    if (commit_listener_) commit_listener_(last_position);
  }

  // Calls every command's `done` once, after the commit (or its failure).
  static void Answer(std::vector<Entry>& batch, const absl::Status& committed) {
    for (Entry& entry : batch) {
      absl::StatusOr<AppendResult> answer;
      switch (entry.outcome) {
        case Entry::Outcome::kFinal:
          answer = std::move(entry.answer);
          break;
        case Entry::Outcome::kAccepted:
        case Entry::Outcome::kRefusedAfterAccepted:
          answer = committed.ok() ? std::move(entry.answer)
                                  : StoreWriteFailed(committed, FailedBatch::kHoldingTheCommand);
          break;
        case Entry::Outcome::kReplayOfStaged:
          if (committed.ok()) {
            AppendResult result = batch[entry.original].answer.value();
            result.replayed = true;
            answer = std::move(result);
          } else {
            answer = StoreWriteFailed(committed, FailedBatch::kHoldingTheCommand);
          }
          break;
      }
      entry.command.done(std::move(answer));
    }
  }

  // ---- Writability --------------------------------------------------------

  void SetUnwritable(const absl::Status& cause) {
    bool changed = false;
    {
      MutexLock lock(&mu_);
      changed = writable_;
      writable_ = false;
      unwritable_cause_ = cause;
      // The decider may be waiting for a command, which an unwritable
      // ledger no longer queues: it must start asking the store to resume.
      work_.Signal();
    }
    if (changed) NotifyListener(false);
  }

  void SetWritable() {
    bool changed = false;
    {
      MutexLock lock(&mu_);
      changed = !writable_;
      writable_ = true;
      unwritable_cause_ = absl::OkStatus();
    }
    if (changed) NotifyListener(true);
  }

  absl::Status UnwritableCause() {
    MutexLock lock(&mu_);
    return unwritable_cause_;
  }

  void NotifyListener(bool writable) {
    MutexLock lock(&listener_mu_);
    if (listener_) listener_(writable);
  }

  // The log the decider and the committer use; replaced (by TryResume, while
  // neither uses it) only when a store opened read-only is reopened for
  // writing. Readers take shared_log_, which keeps the instance they read
  // alive until they are done.
  storage::EventLog* log_;
  std::atomic<std::shared_ptr<storage::EventLog>> shared_log_;
  const Reopen reopen_;
  const LedgerOptions options_;

  // Touched by the decider thread only: the state as decided (including the
  // flight being written), the next position, and the flight's commands,
  // stream versions and rule-index entries, which may not be durable yet:
  // until the flight lands the decider decides as if they were, and they
  // are forgotten once it has.
  domain::LedgerState state_;
  domain::ChangedModels changed_;
  uint64_t next_position_;
  // The position at or past which the next batch carries a checkpoint.
  uint64_t next_checkpoint_at_;
  absl::flat_hash_map<std::string, UnconfirmedCommand> unconfirmed_;
  absl::flat_hash_map<std::string, uint64_t> unconfirmed_stream_versions_;
  absl::btree_map<std::string, std::string> unconfirmed_rule_entries_;

  // Written by the committer (and by recovery on the decider while no flight
  // is in progress), read by any thread.
  std::atomic<std::shared_ptr<const PublishedModels>> published_;

  Mutex mu_;
  CondVar work_;  // a command queued, Stop() called
  // A submitted command and its fingerprint (Fingerprint).
  struct Queued {
    Command command;
    std::string request_sha256;
  };
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool writable_ ABSL_GUARDED_BY(mu_);
  absl::Status unwritable_cause_ ABSL_GUARDED_BY(mu_);

  Mutex join_mu_;

  Mutex listener_mu_;
  std::function<void(bool)> listener_ ABSL_GUARDED_BY(listener_mu_);
  std::function<void(uint64_t)> commit_listener_ ABSL_GUARDED_BY(listener_mu_);

  // The hand-over between the decider and the committer: at most one flight
  // at a time, so the decider is at most one batch ahead of the disk.
  Mutex flight_mu_;
  CondVar flight_changed_;
  std::optional<Flight> flight_ ABSL_GUARDED_BY(flight_mu_);  // handed over, not yet taken
  bool flight_busy_ ABSL_GUARDED_BY(flight_mu_) = false;      // handed over, not yet answered
  absl::Status flight_status_ ABSL_GUARDED_BY(flight_mu_);    // of the last flight, until read
  bool committer_stopping_ ABSL_GUARDED_BY(flight_mu_) = false;

  // Started by the constructor's body, once every member exists.
  std::thread committer_;
  std::thread decider_;
};

absl::StatusOr<FoldedLog> FoldLog(storage::EventLog& log, bool with_rule_entries) {
  // A fold from scratch that reads nothing but the events: the rule-index
  // entries stay pending (no committed reader), so RuleEntries gives every
  // one of them as the appends wrote them.
  domain::LedgerState state;
  state.fold_rule_entries = with_rule_entries;
  domain::ChangedModels changed;
  absl::Status status = log.ForEachEvent(1, [&](const v1::EventEnvelope& event) {
    domain::Fold(event, &state, &changed);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  FoldedLog folded;
  folded.models = AllModels(state);
  if (with_rule_entries) folded.rule_entries = domain::RuleEntries(state);
  return folded;
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(const std::string& data_dir,
                                                     LedgerOptions options) {
  // "Created when missing" includes its parents: RocksDB makes only the last
  // folder of the path.
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the data directory ", data_dir, ": ", error.message()));
  }
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(data_dir, options.store);
  if (!log.ok() && !options.store.read_only &&
      (absl::IsResourceExhausted(log.status()) || absl::IsDataLoss(log.status()))) {
    // Opening for writing writes (a new WAL, a MANIFEST), which a full disk
    // refuses; a store whose audit tree and log disagree is not written to,
    // so that the evidence stays. A store that can be read is served
    // read-only meanwhile, its audit included. Only for those: a store
    // locked by another server must not be served beside it.
    storage::EventLogOptions read_only = options.store;
    read_only.read_only = true;
    absl::StatusOr<std::unique_ptr<storage::EventLog>> reader =
        storage::EventLog::Open(data_dir, read_only);
    if (!reader.ok()) return log.status();
    spdlog::warn("the store in {} cannot be opened for writing ({}); opened read-only", data_dir,
                 std::string(log.status().message()));
    log = std::move(reader);
  }
  if (!log.ok()) return log.status();
  Reopen reopen = [data_dir, store = options.store](bool read_only) {
    storage::EventLogOptions options = store;
    options.read_only = read_only;
    return storage::EventLog::Open(data_dir, options);
  };
  return Open(*std::move(log), std::move(reopen), std::move(options));
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(std::unique_ptr<storage::EventLog> log,
                                                     LedgerOptions options) {
  return Open(std::move(log), nullptr, std::move(options));
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(std::unique_ptr<storage::EventLog> log,
                                                     Reopen reopen, LedgerOptions options) {
  if (options.queue_capacity == 0 || options.batch_commands_max == 0 ||
      options.checkpoint_events == 0 || options.clock == nullptr) {
    return absl::InvalidArgumentError(
        "ledger options need queue_capacity, batch_commands_max and checkpoint_events > 0 and a "
        "clock");
  }
  std::unique_ptr<Ledger> ledger(new Ledger());
  const absl::Status writable = log->WritableStatus();
  if (!writable.ok()) {
    spdlog::warn(
        "the store is open read-only ({}); serving reads, refusing writes until it can "
        "be written",
        std::string(writable.message()));
  }

  // A store of an older format lacks models or the rule index the rules
  // read: the ledger would accept a reused payment reference. Rebuild both
  // first. Asked to, rebuild the read models (the rule index, like the
  // stream and event-id indexes, is written with its events).
  const bool outdated = log->ModelsOutdated();
  if (outdated && !writable.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the store's read models must be rebuilt (an older format, or a rebuild that "
                     "did not finish), which needs a writable store: ",
                     writable.message()));
  }
  if ((options.rebuild_read_models && writable.ok()) || outdated) {
    absl::StatusOr<FoldedLog> folded = FoldLog(*log, /*with_rule_entries=*/outdated);
    if (!folded.ok()) return folded.status();
    if (absl::Status status =
            log->ReplaceModels(folded->models, outdated ? &folded->rule_entries : nullptr);
        !status.ok()) {
      return status;
    }
    spdlog::info(
        "rebuilt {} read-model entries{} from the log{}", folded->models.size(),
        outdated ? absl::StrCat(" and ", folded->rule_entries.size(), " rule-index entries") : "",
        outdated ? " (the store's format predated them)" : "");
  }

  // The read models are committed with their events, so they stand at the
  // log's tail: the state is loaded from them, not refolded from the log.
  absl::StatusOr<LoadedState> loaded = LoadState(*log);
  if (!loaded.ok()) return loaded.status();
  ledger->recovered_event_count_ = loaded->last_position;
  ledger->pipeline_ = std::make_unique<Pipeline>(std::move(log), std::move(reopen),
                                                 std::move(options), *std::move(loaded), writable);
  return ledger;
}

Ledger::~Ledger() { Stop(); }

void Ledger::Submit(Command command) { pipeline_->Submit(std::move(command)); }

std::shared_ptr<const PublishedModels> Ledger::Published() const { return pipeline_->Published(); }

bool Ledger::writable() const { return pipeline_->writable(); }

void Ledger::SetWritableListener(std::function<void(bool)> listener) {
  pipeline_->SetWritableListener(std::move(listener));
}

void Ledger::SetCommitListener(std::function<void(uint64_t)> listener) {
  pipeline_->SetCommitListener(std::move(listener));
}

void Ledger::Stop() {
  if (pipeline_) pipeline_->Stop();
}

size_t Ledger::QueueDepth() const { return pipeline_->QueueDepth(); }

std::shared_ptr<storage::EventLog> Ledger::log() const { return pipeline_->Log(); }

}  // namespace alliance
