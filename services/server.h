// AllianceServer runs the ledger behind gRPC: the command, query and audit
// services, gRPC health checking (grpc.health.v1) and server reflection, on
// one listening address, over mutual TLS: every call is from a registered
// identity (services/access/), allowed its method by the method policy and
// its data by its role (services/domain/authority.h). allianced wraps it in flags and signals; the
// integration tests start it on a temporary folder and an ephemeral port.
//
//   ServerOptions options;
//   options.data_dir = "/tmp/store";
//   options.listen_address = "127.0.0.1:0";   // any free port
//   options.identities_path = "var/identities.textpb";
//   options.authz_policy_path = "var/authz-policy.json";
//   options.transport = {.certificate_path = "var/pki/server.crt",
//                        .key_path = "var/pki/server.key",
//                        .client_ca_path = "var/pki/ca.crt"};
//   absl::StatusOr<std::unique_ptr<AllianceServer>> server = AllianceServer::Start(options);
//   ... connect to (*server)->address() ...
//   (*server)->Shutdown();                      // in-flight calls finish
#ifndef ALLIANCE_SERVICES_SERVER_H_
#define ALLIANCE_SERVICES_SERVER_H_

#include <grpcpp/server.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/audit/tree_head.h"
#include "services/access/caller.h"
#include "services/access/identity_registry.h"
#include "services/access/method_policy.h"
#include "services/access/transport.h"
#include "services/audit_service.h"
#include "services/command_service.h"
#include "services/http/http_face.h"
#include "services/ledger/ledger.h"
#include "services/query_service.h"

namespace alliance {

// Largest request accepted by default. The biggest command, a selection with
// kParticipantsMax participants, is a few KiB; 4 MiB leaves room for batched
// commands without letting one caller pin much memory.
inline constexpr int kMaxRequestBytesDefault = 4 << 20;
// Concurrent calls one connection may hold open (HTTP/2 streams): far above
// an agency system's pipelining, far below what would let one connection
// pin the server's memory with calls it never reads.
inline constexpr int kMaxConcurrentStreamsDefault = 100;
// The memory gRPC may hold for callers (buffers of calls and connections;
// grpc::ResourceQuota): above it, new calls and reads wait or are refused
// RESOURCE_EXHAUSTED instead of growing the process.
inline constexpr int64_t kMemoryQuotaBytesDefault = int64_t{256} << 20;
// Keepalive enforcement: a client pinging more often than this without
// calls is sent GOAWAY after kMaxPingStrikes such pings.
inline constexpr absl::Duration kMinClientPingIntervalDefault = absl::Seconds(30);
inline constexpr int kMaxPingStrikes = 2;
// A connection with no call for this long is closed (GOAWAY): idle
// connections of departed clients are not kept forever.
inline constexpr absl::Duration kMaxConnectionIdleDefault = absl::Minutes(15);
// How long Shutdown lets in-flight calls finish before cancelling them.
inline constexpr absl::Duration kShutdownGrace = absl::Seconds(10);
// The tree-head key's file in the data directory when no path is given.
inline constexpr char kTreeHeadKeyFile[] = "tree-head-key.pem";

struct ServerOptions {
  // host:port; port 0 picks a free one (see AllianceServer::address()).
  std::string listen_address = "127.0.0.1:50051";
  // Folder of the RocksDB store; created when missing.
  std::string data_dir;
  // Limits that protect the service (each an allianced flag).
  int max_request_bytes = kMaxRequestBytesDefault;
  int max_concurrent_streams = kMaxConcurrentStreamsDefault;
  int64_t memory_quota_bytes = kMemoryQuotaBytesDefault;
  int64_t replies_unread_max_bytes = kRepliesUnreadBytesMaxDefault;
  absl::Duration min_client_ping_interval = kMinClientPingIntervalDefault;
  absl::Duration max_connection_idle = kMaxConnectionIdleDefault;
  // The Ed25519 key tree heads are signed with (PEM); created there when
  // missing. Empty: data_dir/kTreeHeadKeyFile.
  std::string tree_head_key_path;
  // Who may call (services/access/): the identity registry (access.proto's
  // IdentityRegistry in text format, required), the TLS files, and the
  // method policy of which identity may call which method (gRPC's
  // authorization policy, gRFC A43's JSON, method_policy.h; "" serves
  // without one, with a warning: the data-level rules still hold).
  std::string identities_path;
  TransportOptions transport;
  std::string authz_policy_path;
  // The JSON/HTTP face and status page (http/http_face.h), on a port of its
  // own with the same TLS files; an empty listen address serves none.
  HttpFaceOptions http;
  LedgerOptions ledger;
};

class AllianceServer {
 public:
  // Opens the ledger and starts serving. Fails with a clear status when the
  // store cannot be opened or the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<AllianceServer>> Start(ServerOptions options);

  // Shutdown()s.
  ~AllianceServer();

  // The address the server listens on, with the port it bound.
  const std::string& address() const { return address_; }
  // The JSON/HTTP face's host:port; "" when it is not served.
  std::string http_address() const { return http_face_ ? http_face_->address() : ""; }

  // Stops taking calls, lets in-flight ones finish (at most kShutdownGrace),
  // drains the ledger core's queue and closes the store. Idempotent.
  void Shutdown();

  Ledger& ledger() { return *ledger_; }
  // The identity registry the server authenticates callers with.
  IdentityRegistry& identities() { return *identities_; }
  // Reads the identity registry and the method policy again now (allianced
  // does on SIGHUP); each keeps its previous version on an error.
  absl::Status ReloadAccess();

 private:
  AllianceServer() = default;
  std::unique_ptr<IdentityRegistry> identities_;
  std::unique_ptr<MethodPolicy> method_policy_;
  std::unique_ptr<Callers> callers_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<CommandService> command_service_;
  std::unique_ptr<QueryService> query_service_;
  std::unique_ptr<TreeHeadSigner> tree_head_signer_;
  std::unique_ptr<AuditService> audit_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<HttpFace> http_face_;
  std::string address_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_SERVER_H_
