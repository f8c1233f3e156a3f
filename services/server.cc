#include "services/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/commands.grpc.pb.h"

namespace alliance {

absl::StatusOr<std::unique_ptr<AllianceServer>> AllianceServer::Start(ServerOptions options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("no data directory given: pass --data_dir");
  }
  std::unique_ptr<AllianceServer> server(new AllianceServer());
  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      Ledger::Open(options.data_dir, std::move(options.ledger));
  if (!ledger.ok()) return ledger.status();
  server->ledger_ = std::move(*ledger);
  server->command_service_ = std::make_unique<CommandService>(server->ledger_.get());
  server->query_service_ = std::make_unique<QueryService>(server->ledger_.get());
  const std::string key_path = options.tree_head_key_path.empty()
                                   ? absl::StrCat(options.data_dir, "/", kTreeHeadKeyFile)
                                   : options.tree_head_key_path;
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> signer =
      TreeHeadSigner::Load(key_path, /*create_if_missing=*/true);
  if (!signer.ok()) return signer.status();
  server->tree_head_signer_ = *std::move(signer);
  server->audit_service_ =
      std::make_unique<AuditService>(server->ledger_.get(), server->tree_head_signer_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &bound_port);
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  builder.RegisterService(server->command_service_.get());
  builder.RegisterService(server->query_service_.get());
  builder.RegisterService(server->audit_service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || bound_port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen_address,
                                               ": the address is in use or not local"));
  }
  absl::string_view host = options.listen_address;
  host = host.substr(0, host.rfind(':'));
  server->address_ = absl::StrCat(host, ":", bound_port);
  // Health follows the store: while it cannot be written the server as a
  // whole and its CommandService are NOT_SERVING, and its QueryService and
  // AuditService, which read on, are SERVING.
  if (grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService()) {
    health->SetServingStatus(std::string(v1::QueryService::service_full_name()), true);
    health->SetServingStatus(std::string(v1::AuditService::service_full_name()), true);
    server->ledger_->SetWritableListener([health](bool writable) {
      health->SetServingStatus(writable);
      health->SetServingStatus(std::string(v1::QueryService::service_full_name()), true);
      health->SetServingStatus(std::string(v1::AuditService::service_full_name()), true);
      health->SetServingStatus(std::string(v1::CommandService::service_full_name()), writable);
    });
  }
  return server;
}

AllianceServer::~AllianceServer() { Shutdown(); }

void AllianceServer::Shutdown() {
  if (ledger_ != nullptr) ledger_->SetWritableListener(nullptr);
  if (server_ != nullptr) {
    if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
      health->SetServingStatus(false);
    }
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(absl::ToInt64Milliseconds(kShutdownGrace)));
    server_.reset();
  }
  // Every call has finished. The audit service first: its subscriptions
  // listen to the ledger. Then answer whatever is still queued and close.
  audit_service_.reset();
  tree_head_signer_.reset();
  if (ledger_ != nullptr) {
    ledger_->Stop();
    ledger_.reset();
  }
}

}  // namespace alliance
