// Subscriptions (AuditService.Subscribe, proto/alliance/v1/audit.proto):
// the log from a position, then every new event as its batch becomes
// durable.
//
// A subscription always reads the log, a page at a time, up to the position
// the ledger core last published (durable by then): catching up and going
// live are the same loop, so nothing is skipped or repeated across the
// switch, and a slow subscriber falls behind in the log without holding
// anything of the server's but its page. The hub's one pump thread wakes
// the subscriptions that are caught up when a commit publishes more (the
// ledger's commit listener; it only records the position and signals) and
// every kSubscriptionTick to send the checkpoints that are due.
#ifndef ALLIANCE_SERVICES_SUBSCRIPTIONS_H_
#define ALLIANCE_SERVICES_SUBSCRIPTIONS_H_

#include <grpcpp/support/server_callback.h>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "alliance/v1/audit.pb.h"
#include "services/ledger/ledger.h"
#include "storage/mutex.h"

namespace alliance {

// Events a subscription holds in memory at most: its page of the log.
inline constexpr size_t kSubscriptionPageEvents = 256;
// Events one wake-up may pass over without delivering one (its filters
// reject them) before it sends a checkpoint and yields its thread.
inline constexpr uint64_t kSubscriptionScanEventsMax = 4096;
// The checkpoint interval of a quiet subscription, unless it asks for
// another, and the least it may ask for.
inline constexpr absl::Duration kCheckpointIntervalDefault = absl::Seconds(5);
inline constexpr absl::Duration kCheckpointIntervalMin = absl::Milliseconds(100);
// How often the pump looks for checkpoints due, between commits.
inline constexpr absl::Duration kSubscriptionTick = absl::Milliseconds(50);

class Subscription;

class SubscriptionHub {
 public:
  // Listens to `ledger`'s commits (replacing any commit listener) and starts
  // the pump thread. `ledger` must outlive the hub.
  explicit SubscriptionHub(Ledger* ledger);
  // Stops listening and the pump. Every subscription's call must have ended
  // (the server shut down) before.
  ~SubscriptionHub();
  SubscriptionHub(const SubscriptionHub&) = delete;
  SubscriptionHub& operator=(const SubscriptionHub&) = delete;

  // The reactor of one Subscribe call, already delivering; INVALID_ARGUMENT
  // (a refusal naming the field) when its filters are invalid.
  absl::StatusOr<grpc::ServerWriteReactor<v1::SubscribeResponse>*> Subscribe(
      const v1::SubscribeRequest& request);

  // Subscriptions whose calls have not ended.
  size_t size();

 private:
  friend class Subscription;
  void OnCommit(uint64_t position);
  void Pump();
  void Remove(const Subscription* subscription);

  Ledger* const ledger_;
  Mutex mu_;
  CondVar wake_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_ ABSL_GUARDED_BY(mu_);
  uint64_t published_position_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread pump_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_SUBSCRIPTIONS_H_
