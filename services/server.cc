#include "services/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <spdlog/spdlog.h>

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
  if (options.identities_path.empty()) {
    return absl::InvalidArgumentError(
        "no identity registry given: pass --identities (README, \"Identities and roles\")");
  }
  std::unique_ptr<AllianceServer> server(new AllianceServer());
  absl::StatusOr<std::unique_ptr<IdentityRegistry>> identities =
      IdentityRegistry::Open(options.identities_path);
  if (!identities.ok()) return identities.status();
  server->identities_ = *std::move(identities);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentials(options.transport, options.listen_address, server->identities_.get());
  if (!credentials.ok()) return credentials.status();
  if (!options.authz_policy_path.empty()) {
    absl::StatusOr<std::unique_ptr<MethodPolicy>> policy =
        MethodPolicy::Open(options.authz_policy_path);
    if (!policy.ok()) return policy.status();
    server->method_policy_ = *std::move(policy);
  } else {
    spdlog::warn(
        "no method policy (--authz_policy): every registered identity may call every "
        "method; each command and query still checks its role");
  }
  server->callers_ = std::make_unique<Callers>(
      server->identities_.get(), server->method_policy_.get(),
      options.transport.plaintext ? options.transport.plaintext_identity : "");
  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      Ledger::Open(options.data_dir, std::move(options.ledger));
  if (!ledger.ok()) return ledger.status();
  server->ledger_ = std::move(*ledger);
  server->command_service_ =
      std::make_unique<CommandService>(server->ledger_.get(), server->callers_.get());
  server->query_service_ = std::make_unique<QueryService>(
      server->ledger_.get(), server->callers_.get(), options.replies_unread_max_bytes);
  const std::string key_path = options.tree_head_key_path.empty()
                                   ? absl::StrCat(options.data_dir, "/", kTreeHeadKeyFile)
                                   : options.tree_head_key_path;
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> signer =
      TreeHeadSigner::Load(key_path, /*create_if_missing=*/true);
  if (!signer.ok()) return signer.status();
  server->tree_head_signer_ = *std::move(signer);
  server->audit_service_ = std::make_unique<AuditService>(
      server->ledger_.get(), server->tree_head_signer_.get(), server->callers_.get());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options.listen_address, *credentials, &bound_port);
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams);
  grpc::ResourceQuota quota("allianced");
  quota.Resize(static_cast<size_t>(options.memory_quota_bytes));
  builder.SetResourceQuota(quota);
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.min_client_ping_interval)));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, kMaxPingStrikes);
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_IDLE_MS,
      static_cast<int>(absl::ToInt64Milliseconds(options.max_connection_idle)));
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
  if (!options.http.listen_address.empty()) {
    absl::StatusOr<std::unique_ptr<HttpFace>> face =
        HttpFace::Start(options.http, options.transport,
                        server->server_->InProcessChannel(grpc::ChannelArguments()),
                        server->identities_.get(), server->callers_.get());
    if (!face.ok()) return face.status();
    server->http_face_ = *std::move(face);
  }
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

absl::Status AllianceServer::ReloadAccess() {
  absl::Status identities = identities_->Reload();
  absl::Status policy = method_policy_ != nullptr ? method_policy_->Reload() : absl::OkStatus();
  return identities.ok() ? policy : identities;
}

void AllianceServer::Shutdown() {
  if (ledger_ != nullptr) ledger_->SetWritableListener(nullptr);
  // The HTTP face first: its requests are calls of the gRPC server.
  if (http_face_ != nullptr) {
    http_face_->Shutdown();
    http_face_.reset();
  }
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
