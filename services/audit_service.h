// AuditService: the gRPC adapter for auditors (proto/alliance/v1/audit.proto):
// the log streamed in order and filtered, one stream read either way, signed
// tree heads, RFC 9162 proofs and a verification of the whole log. It reads
// the event log and its audit tree (storage/event_log.h) and never waits for
// the decider or the committer.
//
// ReadLog reads a page of events at a time, and the next only when gRPC has
// taken the last message of the page (flow control), so a slow reader of a
// long log holds one page. VerifyLog runs on a thread of its own (it reads
// the whole log), at most kVerifyLogConcurrentMax at once, and streams its
// progress as fast as the client takes it, dropping progress it has not.
#ifndef ALLIANCE_SERVICES_AUDIT_SERVICE_H_
#define ALLIANCE_SERVICES_AUDIT_SERVICE_H_

#include <memory>

#include "alliance/v1/audit.grpc.pb.h"
#include "proto/audit/tree_head.h"
#include "services/access/caller.h"
#include "services/ledger/ledger.h"
#include "services/subscriptions.h"

namespace alliance {

// ReadLog's page: the events it holds in memory per call at most.
inline constexpr size_t kReadLogPageEvents = 256;
// ReadStream's page sizes: 0 means the default; more is cut to the maximum.
inline constexpr int kReadStreamDefault = 100;
inline constexpr int kReadStreamMax = 1000;
// Verifications at once: each reads the whole log on a thread of its own.
inline constexpr int kVerifyLogConcurrentMax = 2;

// The verifications running (VerifyLog), counted so that there are at most
// kVerifyLogConcurrentMax and that the service ends after the last.
class VerificationCount;

class AuditService final : public v1::AuditService::CallbackService {
 public:
  // `ledger`, `signer` and `callers` must outlive the service. Every
  // method is for the roles that read every consortium (authority.h).
  AuditService(Ledger* ledger, const TreeHeadSigner* signer, const Callers* callers);
  // Waits for the verifications still running, which stop at their next
  // progress report once their calls have ended.
  ~AuditService() override;

  grpc::ServerWriteReactor<v1::LoggedEvent>* ReadLog(grpc::CallbackServerContext* context,
                                                     const v1::ReadLogRequest* request) override;
  grpc::ServerUnaryReactor* ReadStream(grpc::CallbackServerContext* context,
                                       const v1::ReadStreamRequest* request,
                                       v1::ReadStreamResponse* reply) override;
  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) override;
  grpc::ServerUnaryReactor* GetTreeHead(grpc::CallbackServerContext* context,
                                        const v1::GetTreeHeadRequest* request,
                                        v1::SignedTreeHead* reply) override;
  grpc::ServerUnaryReactor* GetPublicKey(grpc::CallbackServerContext* context,
                                         const v1::GetPublicKeyRequest* request,
                                         v1::TreeHeadKey* reply) override;
  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext* context,
                                              const v1::GetInclusionProofRequest* request,
                                              v1::InclusionProof* reply) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext* context,
                                                const v1::GetConsistencyProofRequest* request,
                                                v1::ConsistencyProof* reply) override;
  grpc::ServerWriteReactor<v1::VerifyLogResponse>* VerifyLog(
      grpc::CallbackServerContext* context, const v1::VerifyLogRequest* request) override;

 private:
  Ledger* const ledger_;
  const Callers* const callers_;
  const TreeHeadSigner* const signer_;
  const std::shared_ptr<VerificationCount> verifications_;
  SubscriptionHub subscriptions_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_AUDIT_SERVICE_H_
