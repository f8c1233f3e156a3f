// QueryService: the gRPC adapter for status queries and event reads
// (proto/alliance/v1/queries.proto). Status queries read the ledger core's
// published read models (one immutable snapshot a call, no RocksDB read);
// event reads read the log. None waits for the decider or the committer.
// Each caller reads what its role sees (services/domain/authority.h): a get
// of another's consortium is refused, a list leaves them out.
//
// ListConsortia pages by keyset: the page token holds the last consortium id
// returned and a fingerprint of the filters, so pages stay correct while
// events keep arriving (nothing is skipped or repeated because of an insert)
// and a token replayed with other filters is refused.
#ifndef ALLIANCE_SERVICES_QUERY_SERVICE_H_
#define ALLIANCE_SERVICES_QUERY_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "alliance/v1/queries.grpc.pb.h"
#include "services/access/caller.h"
#include "services/ledger/ledger.h"

namespace alliance {

// Page sizes (AIP-158): 0 means the default; larger values are coerced to
// the maximum.
inline constexpr int kListPageSizeDefault = 20;
inline constexpr int kListPageSizeMax = 100;
inline constexpr int kReadEventsDefault = 100;
inline constexpr int kReadEventsMax = 1000;
// Bytes of ReadEvents and ListConsortia answers built but not yet sent
// (callers that do not read hold them in the server), by default: past
// this, those reads are refused RESOURCE_EXHAUSTED (REPLIES_UNREAD) until
// callers catch up. gRPC's ResourceQuota does not count these bytes, and
// without a bound 1,000 callers that never read their pages of 1,000
// events took the server past 1 GiB (issue 15).
inline constexpr int64_t kRepliesUnreadBytesMaxDefault = int64_t{64} << 20;

// The status queries are served raw: each answers with the published bytes
// (PublishedModels), as the commit serialized them for the store, without a
// copy of a message or a serialization per call; ListConsortia assembles
// its response from the consortia's bytes.
//
// ReadEvents is raw too, so that bytes which are not its request are
// refused INVALID_ARGUMENT (MALFORMED_REQUEST) by ParseRawRequest, as every
// other method's are, not answered by gRPC's own deserializer.
class QueryService final : public v1::QueryService::WithRawCallbackMethod_GetConsortium<
                               v1::QueryService::WithRawCallbackMethod_ListConsortia<
                                   v1::QueryService::WithRawCallbackMethod_GetProgramSummary<
                                       v1::QueryService::WithRawCallbackMethod_GetParticipant<
                                           v1::QueryService::WithRawCallbackMethod_ReadEvents<
                                               v1::QueryService::CallbackService>>>>> {
 public:
  // `ledger` and `callers` must outlive the service. Past
  // `replies_unread_max_bytes` of answers not yet sent, event reads and
  // lists are refused (kRepliesUnreadBytesMaxDefault).
  QueryService(Ledger* ledger, const Callers* callers, int64_t replies_unread_max_bytes)
      : ledger_(ledger), callers_(callers), replies_unread_max_bytes_(replies_unread_max_bytes) {}

  grpc::ServerUnaryReactor* GetConsortium(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* ListConsortia(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* GetProgramSummary(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* GetParticipant(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* reply) override;
  grpc::ServerUnaryReactor* ReadEvents(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* reply) override;

 private:
  Ledger* ledger_;
  const Callers* callers_;
  const int64_t replies_unread_max_bytes_;
  // Bytes of answers built and not yet released by gRPC (sent or dropped).
  std::shared_ptr<std::atomic<int64_t>> unsent_reply_bytes_ =
      std::make_shared<std::atomic<int64_t>>(0);
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_QUERY_SERVICE_H_
