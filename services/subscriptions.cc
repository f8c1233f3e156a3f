#include "services/subscriptions.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/errors/grpc_status.h"
#include "services/log_filter.h"

namespace alliance {

// One Subscribe call. Owned by the hub's list (and, while it is being
// advanced, by the pump's copy of it); gRPC's OnDone takes it off the list.
// One write at a time: whoever sets writing_ under mu_ writes current_.
class Subscription final : public grpc::ServerWriteReactor<v1::SubscribeResponse> {
 public:
  Subscription(SubscriptionHub* hub, LogFilter filter, uint64_t first_position,
               absl::Duration checkpoint_interval)
      : hub_(hub),
        checkpoint_interval_(checkpoint_interval),
        filter_(std::move(filter)),
        next_(first_position),
        reached_(first_position - 1),
        last_sent_(absl::Now()) {}

  // Starts the next write, if one is due and none is in flight: the next
  // event the filters pass, else a checkpoint when the scan went far or the
  // interval passed. Reads the log up to the published position only.
  void Advance() {
    std::optional<grpc::Status> end;
    {
      MutexLock lock(&mu_);
      if (finished_ || writing_) return;
      end = Next();
      if (!end.has_value() && !writing_) return;  // nothing due
      if (end.has_value()) finished_ = true;
    }
    if (end.has_value()) {
      Finish(*end);
    } else {
      StartWrite(&current_);
    }
  }

  void OnWriteDone(bool ok) override {
    bool finish = false;
    {
      MutexLock lock(&mu_);
      writing_ = false;
      if ((!ok || cancelled_) && !finished_) finished_ = finish = true;
    }
    if (finish) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the subscription ended"));
    } else {
      Advance();
    }
  }

  void OnCancel() override {
    bool finish = false;
    {
      MutexLock lock(&mu_);
      cancelled_ = true;
      if (!writing_ && !finished_) finished_ = finish = true;
    }
    if (finish) Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the subscription ended"));
  }

  void OnDone() override { hub_->Remove(this); }

 private:
  // Sets current_ and writing_ when something is to be written; returns the
  // status to finish with instead on an error.
  std::optional<grpc::Status> Next() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const uint64_t published = hub_->ledger_->Published()->position;
    uint64_t scanned = 0;
    while (true) {
      if (index_ < page_.size()) {
        storage::StoredEvent& stored = page_[index_++];
        v1::EventEnvelope event;
        if (!event.ParseFromString(stored.bytes) ||
            event.global_position() != stored.global_position) {
          return ToGrpcStatus(absl::DataLossError(absl::StrCat(
              "the event stored at position ", stored.global_position, " does not parse")));
        }
        reached_ = stored.global_position;
        if (filter_.Matches(event)) {
          current_.Clear();
          v1::LoggedEvent* logged = current_.mutable_event();
          logged->set_global_position(stored.global_position);
          *logged->mutable_event() = std::move(event);
          logged->set_canonical_bytes(std::move(stored.bytes));
          return Sent();
        }
        if (++scanned >= kSubscriptionScanEventsMax) return Checkpoint();
        continue;
      }
      if (next_ > published) {
        // Caught up: a checkpoint when one is due, else wait for a commit.
        if (absl::Now() - last_sent_ >= checkpoint_interval_) return Checkpoint();
        return std::nullopt;
      }
      const uint64_t count = std::min<uint64_t>(kSubscriptionPageEvents, published - next_ + 1);
      absl::StatusOr<std::vector<storage::StoredEvent>> page =
          hub_->ledger_->log()->ReadStored(next_, count);
      if (!page.ok()) return ToGrpcStatus(page.status());
      if (page->empty()) return std::nullopt;  // published, not yet readable: next time
      page_ = *std::move(page);
      index_ = 0;
      next_ = page_.back().global_position + 1;
    }
  }

  std::optional<grpc::Status> Checkpoint() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    current_.Clear();
    v1::Checkpoint* checkpoint = current_.mutable_checkpoint();
    checkpoint->set_position(reached_);
    const absl::Time now = absl::Now();
    checkpoint->mutable_sent_at()->set_seconds(absl::ToUnixSeconds(now));
    checkpoint->mutable_sent_at()->set_nanos(static_cast<int32_t>(
        (now - absl::FromUnixSeconds(absl::ToUnixSeconds(now))) / absl::Nanoseconds(1)));
    return Sent();
  }

  std::optional<grpc::Status> Sent() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    last_sent_ = absl::Now();
    return std::nullopt;
  }

  SubscriptionHub* const hub_;
  const absl::Duration checkpoint_interval_;
  Mutex mu_;
  LogFilter filter_ ABSL_GUARDED_BY(mu_);
  // The next position to read, and the last one looked at.
  uint64_t next_ ABSL_GUARDED_BY(mu_);
  uint64_t reached_ ABSL_GUARDED_BY(mu_);
  std::vector<storage::StoredEvent> page_ ABSL_GUARDED_BY(mu_);
  size_t index_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_sent_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // The message of the write in flight: set by whoever set writing_.
  v1::SubscribeResponse current_;
};

SubscriptionHub::SubscriptionHub(Ledger* ledger) : ledger_(ledger) {
  ledger_->SetCommitListener([this](uint64_t position) { OnCommit(position); });
  pump_ = std::thread([this] { Pump(); });
}

SubscriptionHub::~SubscriptionHub() {
  ledger_->SetCommitListener(nullptr);
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    wake_.SignalAll();
  }
  pump_.join();
}

absl::StatusOr<grpc::ServerWriteReactor<v1::SubscribeResponse>*> SubscriptionHub::Subscribe(
    const v1::SubscribeRequest& request) {
  v1::ReadLogRequest filters;
  filters.set_program_id(request.program_id());
  filters.set_consortium_id(request.consortium_id());
  *filters.mutable_event_types() = request.event_types();
  absl::StatusOr<LogFilter> filter = LogFilter::Of(filters, *ledger_->Published());
  if (!filter.ok()) return filter.status();
  const absl::Duration interval =
      request.checkpoint_interval_ms() == 0
          ? kCheckpointIntervalDefault
          : std::max(absl::Milliseconds(request.checkpoint_interval_ms()), kCheckpointIntervalMin);
  auto subscription = std::make_shared<Subscription>(
      this, *std::move(filter), std::max<uint64_t>(request.from_position(), 1), interval);
  {
    MutexLock lock(&mu_);
    subscriptions_.push_back(subscription);
  }
  subscription->Advance();
  return subscription.get();
}

size_t SubscriptionHub::size() {
  MutexLock lock(&mu_);
  return subscriptions_.size();
}

void SubscriptionHub::OnCommit(uint64_t position) {
  MutexLock lock(&mu_);
  published_position_ = position;
  wake_.Signal();
}

void SubscriptionHub::Pump() {
  uint64_t seen = 0;
  while (true) {
    std::vector<std::shared_ptr<Subscription>> subscriptions;
    {
      MutexLock lock(&mu_);
      if (!stopping_ && published_position_ == seen) wake_.WaitFor(&mu_, kSubscriptionTick);
      if (stopping_) return;
      seen = published_position_;
      subscriptions = subscriptions_;
    }
    for (const std::shared_ptr<Subscription>& subscription : subscriptions) {
      subscription->Advance();
    }
  }
}

void SubscriptionHub::Remove(const Subscription* subscription) {
  MutexLock lock(&mu_);
  subscriptions_.erase(std::remove_if(subscriptions_.begin(), subscriptions_.end(),
                                      [subscription](const std::shared_ptr<Subscription>& s) {
                                        return s.get() == subscription;
                                      }),
                       subscriptions_.end());
}

}  // namespace alliance
