#include "services/audit_service.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/time_util.h"
#include "proto/errors/grpc_status.h"
#include "proto/errors/refusal.h"
#include "services/access/refusal_log.h"
#include "services/domain/authority.h"
#include "services/domain/streams.h"
#include "services/log_filter.h"
#include "services/unary_answer.h"
#include "spdlog/spdlog.h"
#include "storage/mutex.h"

namespace alliance {

class VerificationCount {
 public:
  // False when kVerifyLogConcurrentMax are running.
  bool TryStart() {
    MutexLock lock(&mu_);
    if (running_ >= kVerifyLogConcurrentMax) return false;
    ++running_;
    return true;
  }
  void End() {
    MutexLock lock(&mu_);
    --running_;
    ended_.SignalAll();
  }
  void AwaitNone() {
    MutexLock lock(&mu_);
    while (running_ > 0) ended_.Wait(&mu_);
  }

 private:
  Mutex mu_;
  CondVar ended_;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
};

namespace {

// A write reactor that only finishes: a refusal before the first message,
// logged.
template <typename Message>
class Refused final : public grpc::ServerWriteReactor<Message> {
 public:
  Refused(const absl::Status& status, absl::string_view method, absl::string_view identity) {
    LogRefusal(status, method, identity, "");
    this->Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

// The audit service reads every consortium's history: only the roles that
// read every consortium may call it (authority.h), whatever the method
// policy says.
absl::StatusOr<v1::Identity> AdmitAuditor(const Callers& callers,
                                          const grpc::CallbackServerContext& context,
                                          absl::string_view method) {
  absl::StatusOr<v1::Identity> caller = callers.Admit(context, method);
  if (!caller.ok()) return caller.status();
  if (!domain::ReadsEverything(*caller)) {
    return Refuse(absl::StatusCode::kPermissionDenied, "ROLE_MAY_NOT_AUDIT",
                  absl::StrCat("identity \"", caller->name(), "\" (", v1::Role_Name(caller->role()),
                               ") may not read the audit service: auditors, the ministry and "
                               "the managing agency do"),
                  {{"identity", caller->name()}});
  }
  return caller;
}

// Why the tree cannot be read (a store of an older format opened
// read-only), as a refusal.
absl::Status TreeUnavailable(const absl::Status& cause) {
  return Refuse(absl::StatusCode::kFailedPrecondition, "AUDIT_TREE_UNAVAILABLE", cause.message(),
                {});
}

// The storage's answers about tree sizes, as refusals a caller can act on.
absl::Status TreeRefusal(const absl::Status& status, uint64_t tree_size, uint64_t current) {
  if (absl::IsOutOfRange(status)) {
    return Refuse(absl::StatusCode::kOutOfRange, "TREE_SIZE_AHEAD_OF_LOG",
                  absl::StrCat("tree_size ", tree_size, " is past the log's tree of ", current,
                               " events: ask for a size up to ", current),
                  {{"tree_size", absl::StrCat(tree_size)}, {"current", absl::StrCat(current)}});
  }
  if (absl::IsFailedPrecondition(status)) return TreeUnavailable(status);
  return status;
}

v1::LoggedEvent ToLogged(storage::StoredEvent stored, v1::EventEnvelope event) {
  v1::LoggedEvent logged;
  logged.set_global_position(stored.global_position);
  *logged.mutable_event() = std::move(event);
  logged.set_canonical_bytes(std::move(stored.bytes));
  return logged;
}

absl::StatusOr<v1::EventEnvelope> Parse(const storage::StoredEvent& stored) {
  v1::EventEnvelope event;
  if (!event.ParseFromString(stored.bytes) || event.global_position() != stored.global_position) {
    return absl::DataLossError(absl::StrCat("the event stored at position ", stored.global_position,
                                            " is not a valid event of that position"));
  }
  return event;
}

// Streams the log from `next` to `last`, a page at a time, one write in
// flight: the next page is read only when the last message of this one has
// been taken.
class LogStreamer final : public grpc::ServerWriteReactor<v1::LoggedEvent> {
 public:
  LogStreamer(std::shared_ptr<storage::EventLog> log, LogFilter filter, uint64_t first,
              uint64_t last)
      : log_(std::move(log)), filter_(std::move(filter)), next_(first), last_(last) {
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
      return;
    }
    WriteNext();
  }
  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    while (true) {
      if (page_index_ == page_.size()) {
        if (next_ > last_) {
          Finish(grpc::Status::OK);
          return;
        }
        const uint64_t count = std::min<uint64_t>(kReadLogPageEvents, last_ - next_ + 1);
        absl::StatusOr<std::vector<storage::StoredEvent>> page = log_->ReadStored(next_, count);
        if (!page.ok()) {
          Finish(ToGrpcStatus(page.status()));
          return;
        }
        if (page->empty()) {
          Finish(grpc::Status::OK);
          return;
        }
        page_ = *std::move(page);
        page_index_ = 0;
        next_ = page_.back().global_position + 1;
      }
      storage::StoredEvent& stored = page_[page_index_++];
      absl::StatusOr<v1::EventEnvelope> event = Parse(stored);
      if (!event.ok()) {
        Finish(ToGrpcStatus(event.status()));
        return;
      }
      if (!filter_.Matches(*event)) continue;
      message_ = ToLogged(std::move(stored), *std::move(event));
      StartWrite(&message_);
      return;
    }
  }

  const std::shared_ptr<storage::EventLog> log_;
  LogFilter filter_;
  uint64_t next_;
  const uint64_t last_;
  std::vector<storage::StoredEvent> page_;
  size_t page_index_ = 0;
  v1::LoggedEvent message_;
};

// Runs VerifyTree on a thread of its own and streams its progress, then its
// result. The thread and gRPC each hold the reactor; the last to let go
// deletes it, so a client that goes away does not wait for the scan.
class LogVerifier final : public grpc::ServerWriteReactor<v1::VerifyLogResponse> {
 public:
  // REQUIRES: `count` started this verification (TryStart).
  LogVerifier(std::shared_ptr<storage::EventLog> log, v1::VerifyLogRequest request,
              std::shared_ptr<VerificationCount> count)
      : log_(std::move(log)), request_(std::move(request)), count_(std::move(count)) {
    std::thread([this] { Run(); }).detach();
  }

  // The call ended early: the scan stops at its next progress report.
  void OnCancel() override { stop_ = true; }

  void OnWriteDone(bool ok) override {
    std::optional<v1::VerifyLogResponse> next;
    std::optional<grpc::Status> end;
    {
      MutexLock lock(&mu_);
      if (!ok) {
        end = grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading");
      } else if (pending_.has_value() && !finished_) {
        next = std::move(pending_);  // still writing: this thread writes it
        pending_.reset();
      } else if (end_.has_value()) {
        end = end_;
      }
      if (!next.has_value()) writing_ = false;
      if (finished_) return;
      if (end.has_value()) finished_ = true;
    }
    if (end.has_value()) {
      Finish(*end);
    } else if (next.has_value()) {
      Write(*std::move(next));
    }
  }

  void OnDone() override {
    stop_ = true;
    Release();
  }

 private:
  void Run() {
    const uint64_t trusted_size = request_.trusted_tree_size();
    absl::StatusOr<storage::TreeVerification> verified =
        log_->VerifyTree(trusted_size, [this](uint64_t done, uint64_t total) {
          v1::VerifyLogResponse progress;
          progress.mutable_progress()->set_events_verified(done);
          progress.mutable_progress()->set_events_in_log(total);
          Offer(std::move(progress));
          return !stop_.load();
        });
    log_.reset();  // the store may close now
    count_->End();
    if (!verified.ok()) {
      const absl::Status status = absl::IsFailedPrecondition(verified.status())
                                      ? TreeUnavailable(verified.status())
                                      : verified.status();
      FinishWith(ToGrpcStatus(status));
    } else {
      v1::VerifyLogResponse response;
      v1::VerifyResult* result = response.mutable_result();
      result->set_events_verified(verified->events_verified);
      result->set_root_hash(storage::HashBytes(verified->root_hash));
      result->set_first_bad_position(verified->first_bad_position);
      result->set_reason(verified->reason);
      bool verifies = verified->first_bad_position == 0;
      if (verifies && trusted_size > 0) {
        if (!verified->root_at_trusted_size.has_value()) {
          verifies = false;
          result->set_reason(absl::StrCat("the log holds ", verified->events_verified,
                                          " events, fewer than the trusted head's ", trusted_size,
                                          ": events were removed"));
        } else if (storage::HashBytes(*verified->root_at_trusted_size) !=
                   request_.trusted_root_hash()) {
          verifies = false;
          result->set_reason(absl::StrCat(
              "the log's root at the trusted head's size ", trusted_size,
              " is not the trusted root: its history was rewritten and its tree recomputed"));
        }
      }
      result->set_verified(verifies);
      spdlog::info("VerifyLog: {} events, {}", verified->events_verified,
                   verifies ? "verified" : absl::StrCat("not verified: ", result->reason()));
      Offer(std::move(response));
    }
    Release();
  }

  // Writes `message` now when no write is in flight; otherwise keeps it for
  // OnWriteDone, replacing progress not yet written (only the latest
  // matters). The result is written with the call's end.
  void Offer(v1::VerifyLogResponse message) {
    {
      MutexLock lock(&mu_);
      if (finished_) return;
      if (writing_) {
        if (message.has_result() || !pending_.has_value() || !pending_->has_result()) {
          pending_ = std::move(message);
        }
        return;
      }
      writing_ = true;  // claimed: this thread writes
    }
    Write(std::move(message));
  }

  // REQUIRES: the caller set writing_ (no other write is in flight).
  void Write(v1::VerifyLogResponse message) {
    bool last = false;
    {
      MutexLock lock(&mu_);
      current_ = std::move(message);
      last = current_.has_result();
      if (last) finished_ = true;
    }
    if (last) {
      StartWriteAndFinish(&current_, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      StartWrite(&current_);
    }
  }

  // Ends the call with `status` once no write is in flight.
  void FinishWith(const grpc::Status& status) {
    {
      MutexLock lock(&mu_);
      if (finished_) return;
      if (writing_) {
        end_ = status;
        return;
      }
      finished_ = true;
    }
    Finish(status);
  }

  void Release() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  std::shared_ptr<storage::EventLog> log_;  // until the scan ends
  const v1::VerifyLogRequest request_;
  const std::shared_ptr<VerificationCount> count_;
  std::atomic<bool> stop_{false};
  std::atomic<int> refs_{2};  // the thread's and gRPC's (until OnDone)
  Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // Finish called or a write that finishes started: nothing more is written.
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<v1::VerifyLogResponse> pending_ ABSL_GUARDED_BY(mu_);
  // An error end that waits for the write in flight.
  std::optional<grpc::Status> end_ ABSL_GUARDED_BY(mu_);
  // The message of the write in flight; touched only by whoever set writing_.
  v1::VerifyLogResponse current_;
};

}  // namespace

AuditService::AuditService(Ledger* ledger, const TreeHeadSigner* signer, const Callers* callers)
    : ledger_(ledger),
      callers_(callers),
      signer_(signer),
      verifications_(std::make_shared<VerificationCount>()),
      subscriptions_(ledger) {}

AuditService::~AuditService() { verifications_->AwaitNone(); }

grpc::ServerWriteReactor<v1::LoggedEvent>* AuditService::ReadLog(
    grpc::CallbackServerContext* context, const v1::ReadLogRequest* request) {
  constexpr absl::string_view method = "/alliance.v1.AuditService/ReadLog";
  absl::StatusOr<v1::Identity> caller = AdmitAuditor(*callers_, *context, method);
  if (!caller.ok()) return new Refused<v1::LoggedEvent>(caller.status(), method, "");
  std::shared_ptr<const PublishedModels> published = ledger_->Published();
  std::shared_ptr<storage::EventLog> log = ledger_->log();
  absl::StatusOr<uint64_t> end = log->LastPosition();
  if (!end.ok()) return new Refused<v1::LoggedEvent>(end.status(), method, caller->name());
  const uint64_t first = std::max<uint64_t>(request->from_position(), 1);
  const uint64_t last =
      request->to_position() == 0 ? *end : std::min<uint64_t>(request->to_position(), *end);
  if (request->to_position() != 0 && request->to_position() < first) {
    return new Refused<v1::LoggedEvent>(
        InvalidField("to_position", "must not be before from_position"), method, caller->name());
  }
  absl::StatusOr<LogFilter> filter = LogFilter::Of(*request, *published);
  if (!filter.ok()) return new Refused<v1::LoggedEvent>(filter.status(), method, caller->name());
  return new LogStreamer(std::move(log), *std::move(filter), first, last);
}

grpc::ServerUnaryReactor* AuditService::ReadStream(grpc::CallbackServerContext* context,
                                                   const v1::ReadStreamRequest* request,
                                                   v1::ReadStreamResponse* reply) {
  UnaryAnswer answer(context, "/alliance.v1.AuditService/ReadStream");
  absl::StatusOr<v1::Identity> caller =
      AdmitAuditor(*callers_, *context, "/alliance.v1.AuditService/ReadStream");
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  if (request->stream_id().empty()) return answer.Finish(MissingField("stream_id"));
  if (request->stream_id().size() > domain::kStreamIdLengthMax) {
    return answer.Finish(
        InvalidField("stream_id", absl::StrCat("must be at most ", domain::kStreamIdLengthMax,
                                               " bytes: consortium-<id> or program-<id>")));
  }
  if (request->max_count() < 0) {
    return answer.Finish(InvalidField("max_count", "must not be negative"));
  }
  const uint64_t count = request->max_count() == 0 ? kReadStreamDefault
                                                   : std::min(request->max_count(), kReadStreamMax);
  std::shared_ptr<storage::EventLog> log = ledger_->log();
  absl::StatusOr<uint64_t> version = log->StreamVersion(request->stream_id());
  if (!version.ok()) return answer.Finish(version.status());
  if (*version == 0) {
    return answer.Finish(Refuse(absl::StatusCode::kNotFound, "STREAM_NOT_FOUND",
                                absl::StrCat("stream '", request->stream_id(),
                                             "' has no events (streams are named "
                                             "consortium-<id> and program-<id>)"),
                                {{"stream_id", request->stream_id()}}));
  }
  const bool backward = request->direction() == v1::READ_DIRECTION_BACKWARD;
  uint64_t from = 0;
  uint64_t take = 0;
  if (backward) {
    const uint64_t top =
        request->from_version() == 0 ? *version : std::min(request->from_version(), *version);
    from = top >= count ? top - count + 1 : 1;
    take = top - from + 1;
  } else {
    from = std::max<uint64_t>(request->from_version(), 1);
    take = count;
  }
  absl::StatusOr<std::vector<storage::StoredEvent>> stored =
      log->ReadStreamStored(request->stream_id(), from, take);
  if (!stored.ok()) return answer.Finish(stored.status());
  std::vector<v1::LoggedEvent> events;
  for (storage::StoredEvent& event : *stored) {
    absl::StatusOr<v1::EventEnvelope> parsed = Parse(event);
    if (!parsed.ok()) return answer.Finish(parsed.status());
    events.push_back(ToLogged(std::move(event), *std::move(parsed)));
  }
  if (backward) {
    std::reverse(events.begin(), events.end());
    reply->set_next_version(from > 1 ? from - 1 : 0);
  } else if (!events.empty() && events.back().event().stream_version() < *version) {
    reply->set_next_version(events.back().event().stream_version() + 1);
  }
  for (v1::LoggedEvent& event : events) *reply->add_events() = std::move(event);
  reply->set_stream_version(*version);
  return answer.Finish(absl::OkStatus());
}

grpc::ServerWriteReactor<v1::SubscribeResponse>* AuditService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  constexpr absl::string_view method = "/alliance.v1.AuditService/Subscribe";
  absl::StatusOr<v1::Identity> caller = AdmitAuditor(*callers_, *context, method);
  if (!caller.ok()) return new Refused<v1::SubscribeResponse>(caller.status(), method, "");
  absl::StatusOr<grpc::ServerWriteReactor<v1::SubscribeResponse>*> reactor =
      subscriptions_.Subscribe(*request);
  if (!reactor.ok())
    return new Refused<v1::SubscribeResponse>(reactor.status(), method, caller->name());
  return *reactor;
}

grpc::ServerUnaryReactor* AuditService::GetTreeHead(grpc::CallbackServerContext* context,
                                                    const v1::GetTreeHeadRequest* /*request*/,
                                                    v1::SignedTreeHead* reply) {
  UnaryAnswer answer(context, "/alliance.v1.AuditService/GetTreeHead");
  absl::StatusOr<v1::Identity> caller =
      AdmitAuditor(*callers_, *context, "/alliance.v1.AuditService/GetTreeHead");
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  std::shared_ptr<storage::EventLog> log = ledger_->log();
  if (absl::Status tree = log->TreeStatus(); !tree.ok()) {
    return answer.Finish(TreeUnavailable(tree));
  }
  const storage::TreeHead head = log->CurrentTreeHead();
  absl::StatusOr<v1::SignedTreeHead> signed_head =
      signer_->Sign(head.tree_size, storage::HashBytes(head.root_hash), absl::Now());
  if (!signed_head.ok()) return answer.Finish(signed_head.status());
  *reply = *std::move(signed_head);
  return answer.Finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* AuditService::GetPublicKey(grpc::CallbackServerContext* context,
                                                     const v1::GetPublicKeyRequest* /*request*/,
                                                     v1::TreeHeadKey* reply) {
  UnaryAnswer answer(context, "/alliance.v1.AuditService/GetPublicKey");
  absl::StatusOr<v1::Identity> caller =
      AdmitAuditor(*callers_, *context, "/alliance.v1.AuditService/GetPublicKey");
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  *reply = signer_->key();
  return answer.Finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* AuditService::GetInclusionProof(
    grpc::CallbackServerContext* context, const v1::GetInclusionProofRequest* request,
    v1::InclusionProof* reply) {
  UnaryAnswer answer(context, "/alliance.v1.AuditService/GetInclusionProof");
  absl::StatusOr<v1::Identity> caller =
      AdmitAuditor(*callers_, *context, "/alliance.v1.AuditService/GetInclusionProof");
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  std::shared_ptr<storage::EventLog> log = ledger_->log();
  if (absl::Status tree = log->TreeStatus(); !tree.ok()) {
    return answer.Finish(TreeUnavailable(tree));
  }
  const uint64_t current = log->CurrentTreeHead().tree_size;
  const uint64_t tree_size = request->tree_size() == 0 ? current : request->tree_size();
  if (request->leaf_index() >= tree_size) {
    return answer.Finish(
        Refuse(absl::StatusCode::kInvalidArgument, "LEAF_NOT_IN_TREE",
               absl::StrCat("leaf_index ", request->leaf_index(), " is not in a tree of ",
                            tree_size, " events (leaf_index = global_position - 1)"),
               {{"leaf_index", absl::StrCat(request->leaf_index())},
                {"tree_size", absl::StrCat(tree_size)}}));
  }
  absl::StatusOr<std::vector<storage::MerkleHash>> path =
      log->InclusionPath(request->leaf_index(), tree_size);
  if (!path.ok()) return answer.Finish(TreeRefusal(path.status(), tree_size, current));
  absl::StatusOr<std::vector<storage::StoredEvent>> stored =
      log->ReadStored(request->leaf_index() + 1, 1);
  if (!stored.ok()) return answer.Finish(stored.status());
  if (stored->empty()) {
    return answer.Finish(absl::DataLossError(
        absl::StrCat("the tree has leaf ", request->leaf_index(), " but the log no event for it")));
  }
  absl::StatusOr<v1::EventEnvelope> event = Parse(stored->front());
  if (!event.ok()) return answer.Finish(event.status());
  reply->set_leaf_index(request->leaf_index());
  reply->set_tree_size(tree_size);
  for (const storage::MerkleHash& hash : *path) reply->add_inclusion_path(storage::HashBytes(hash));
  *reply->mutable_event() = ToLogged(std::move(stored->front()), *std::move(event));
  return answer.Finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* AuditService::GetConsistencyProof(
    grpc::CallbackServerContext* context, const v1::GetConsistencyProofRequest* request,
    v1::ConsistencyProof* reply) {
  UnaryAnswer answer(context, "/alliance.v1.AuditService/GetConsistencyProof");
  absl::StatusOr<v1::Identity> caller =
      AdmitAuditor(*callers_, *context, "/alliance.v1.AuditService/GetConsistencyProof");
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  std::shared_ptr<storage::EventLog> log = ledger_->log();
  if (absl::Status tree = log->TreeStatus(); !tree.ok()) {
    return answer.Finish(TreeUnavailable(tree));
  }
  const uint64_t current = log->CurrentTreeHead().tree_size;
  const uint64_t second = request->second() == 0 ? current : request->second();
  if (request->first() > second) {
    return answer.Finish(
        Refuse(absl::StatusCode::kInvalidArgument, "FIRST_AFTER_SECOND",
               absl::StrCat("first (", request->first(), ") must not be larger than second (",
                            second, ")"),
               {{"first", absl::StrCat(request->first())}, {"second", absl::StrCat(second)}}));
  }
  absl::StatusOr<std::vector<storage::MerkleHash>> path =
      log->ConsistencyPath(request->first(), second);
  if (!path.ok()) return answer.Finish(TreeRefusal(path.status(), second, current));
  reply->set_first(request->first());
  reply->set_second(second);
  for (const storage::MerkleHash& hash : *path) {
    reply->add_consistency_path(storage::HashBytes(hash));
  }
  return answer.Finish(absl::OkStatus());
}

grpc::ServerWriteReactor<v1::VerifyLogResponse>* AuditService::VerifyLog(
    grpc::CallbackServerContext* context, const v1::VerifyLogRequest* request) {
  constexpr absl::string_view method = "/alliance.v1.AuditService/VerifyLog";
  absl::StatusOr<v1::Identity> caller = AdmitAuditor(*callers_, *context, method);
  if (!caller.ok()) return new Refused<v1::VerifyLogResponse>(caller.status(), method, "");
  if (request->trusted_tree_size() > 0 &&
      request->trusted_root_hash().size() != storage::kMerkleHashBytes) {
    return new Refused<v1::VerifyLogResponse>(
        InvalidField("trusted_root_hash", "must be the 32 bytes of the trusted head's root"),
        method, caller->name());
  }
  if (!verifications_->TryStart()) {
    return new Refused<v1::VerifyLogResponse>(
        Refuse(absl::StatusCode::kResourceExhausted, "VERIFY_BUSY",
               absl::StrCat(kVerifyLogConcurrentMax,
                            " verifications are running; retry when one has finished"),
               {}),
        method, caller->name());
  }
  return new LogVerifier(ledger_->log(), *request, verifications_);
}

}  // namespace alliance
