// AllianceServer runs the ledger behind gRPC: the command, query and audit
// services, gRPC health checking (grpc.health.v1) and server reflection, on
// one listening address. allianced wraps it in flags and signals; the
// integration tests start it on a temporary folder and an ephemeral port.
//
//   ServerOptions options;
//   options.data_dir = "/tmp/store";
//   options.listen_address = "127.0.0.1:0";   // any free port
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
#include "services/audit_service.h"
#include "services/command_service.h"
#include "services/ledger/ledger.h"
#include "services/query_service.h"

namespace alliance {

// Largest request accepted by default. The biggest command, a selection with
// kParticipantsMax participants, is a few KiB; 4 MiB leaves room for batched
// commands without letting one caller pin much memory.
inline constexpr int kMaxRequestBytesDefault = 4 << 20;
// How long Shutdown lets in-flight calls finish before cancelling them.
inline constexpr absl::Duration kShutdownGrace = absl::Seconds(10);
// The tree-head key's file in the data directory when no path is given.
inline constexpr char kTreeHeadKeyFile[] = "tree-head-key.pem";

struct ServerOptions {
  // host:port; port 0 picks a free one (see AllianceServer::address()).
  std::string listen_address = "127.0.0.1:50051";
  // Folder of the RocksDB store; created when missing.
  std::string data_dir;
  int max_request_bytes = kMaxRequestBytesDefault;
  // The Ed25519 key tree heads are signed with (PEM); created there when
  // missing. Empty: data_dir/kTreeHeadKeyFile.
  std::string tree_head_key_path;
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

  // Stops taking calls, lets in-flight ones finish (at most kShutdownGrace),
  // drains the ledger core's queue and closes the store. Idempotent.
  void Shutdown();

  Ledger& ledger() { return *ledger_; }

 private:
  AllianceServer() = default;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<CommandService> command_service_;
  std::unique_ptr<QueryService> query_service_;
  std::unique_ptr<TreeHeadSigner> tree_head_signer_;
  std::unique_ptr<AuditService> audit_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_SERVER_H_
