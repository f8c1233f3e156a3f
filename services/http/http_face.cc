#include "services/http/http_face.h"

#include <httplib.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <future>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "alliance/v1/audit.grpc.pb.h"
#include "alliance/v1/commands.grpc.pb.h"
#include "alliance/v1/http_error.pb.h"
#include "alliance/v1/queries.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "proto/errors/grpc_status.h"
#include "proto/errors/refusal.h"
#include "services/access/refusal_log.h"
#include "services/http/http_error.h"
#include "services/http/serving_certificate.h"
#include "storage/whole_file.h"

namespace alliance {
namespace {

constexpr char kJson[] = "application/json; charset=utf-8";
constexpr char kBearerPrefix[] = "Bearer ";

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  // Zero amounts and counts are figures too: print every field.
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    return "{}";
  }
  return json;
}

// The refusal as AIP-193's JSON error, with its HTTP status (or
// `http_status` where HTTP has a code of its own for the case).
void AnswerError(const grpc::Status& status, httplib::Response& response, int http_status = 0) {
  const v1::HttpError error = http::ToHttpError(status, http_status);
  response.status = error.error().code();
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    response.set_header("WWW-Authenticate", "Bearer realm=\"alliance\"");
  }
  response.set_content(ToJson(error), kJson);
}

// A refusal this face makes itself (before any gRPC method), logged as the
// handlers log theirs.
void AnswerRefusal(const absl::Status& refusal, absl::string_view what, absl::string_view identity,
                   httplib::Response& response, int http_status = 0) {
  LogRefusal(refusal, what, identity, "");
  AnswerError(ToGrpcStatus(refusal), response, http_status);
}

// The identity name in a verified client certificate's URI SANs; nullopt
// without a certificate.
std::optional<std::string> CertificateName(const SSL* ssl) {
  if (ssl == nullptr) return std::nullopt;
  X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  std::vector<std::string> uris;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return std::nullopt;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
  }
  GENERAL_NAMES_free(names);
  return IdentityNameFromUris(uris);
}

class Face {
 public:
  Face(http::Routes routes, std::shared_ptr<grpc::Channel> in_process, IdentityRegistry* identities,
       const Callers* callers, std::string plaintext_identity)
      : routes_(std::move(routes)),
        stub_(std::move(in_process)),
        identities_(identities),
        callers_(callers),
        plaintext_identity_(std::move(plaintext_identity)) {}

  void Serve(const httplib::Request& request, httplib::Response& response) {
    const std::string method = request.method;
    absl::string_view path = request.target;
    path = path.substr(0, path.find('?'));
    std::optional<http::RouteMatch> match = routes_.Match(method, path);
    // What the refusal log names: the gRPC method, never the path (which
    // may hold whatever a caller typed).
    const std::string what =
        match.has_value() ? match->route->grpc_path : absl::StrCat(method, " (no such route)");

    // Who: a verified client certificate, else a bearer token.
    std::string identity;
    if (std::optional<std::string> name = CertificateName(request.ssl)) {
      identity = *name;
    } else if (std::string authorization = request.get_header_value("Authorization");
               absl::StartsWith(authorization, kBearerPrefix)) {
      std::optional<v1::Identity> holder =
          identities_->FindByToken(absl::string_view(authorization).substr(strlen(kBearerPrefix)));
      if (holder.has_value()) identity = holder->name();
    } else {
      identity = plaintext_identity_;
    }
    if (identity.empty()) {
      return AnswerRefusal(
          Refuse(absl::StatusCode::kUnauthenticated, "UNKNOWN_IDENTITY",
                 "a client certificate issued by the service's CA, or an Authorization: Bearer "
                 "token registered for an identity, is required"),
          what, "", response);
    }

    if (!match.has_value()) {
      if (routes_.MatchesOtherMethod(method, path)) {
        // HTTP's own answer, 405, though the status is gRPC's UNIMPLEMENTED.
        AnswerRefusal(Refuse(absl::StatusCode::kUnimplemented, "HTTP_METHOD_NOT_ALLOWED",
                             absl::StrCat(method, " is not served at this path; ",
                                          method == "GET" ? "POST" : "GET", " is")),
                      what, identity, response, /*http_status=*/405);
        response.set_header("Allow", method == "GET" ? "POST" : "GET");
        return;
      }
      return AnswerRefusal(
          Refuse(absl::StatusCode::kNotFound, "ROUTE_NOT_FOUND",
                 absl::StrCat(method, " ", path.substr(0, 80),
                              " is no route of this API (the routes are the google.api.http "
                              "options in proto/alliance/v1/*.proto)")),
          what, identity, response);
    }
    const http::Route& route = *match->route;
    std::unique_ptr<google::protobuf::Message> message(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(route.method->input_type())
            ->New());
    // The query string's parameters only: cpp-httplib also parses a form
    // body into `params`, and the body here is JSON whatever its type says.
    httplib::Params query;
    if (size_t mark = request.target.find('?'); mark != std::string::npos) {
      httplib::detail::parse_query_text(request.target.substr(mark + 1), query);
    }
    if (absl::Status built = http::BuildRequest(*match, request.body, query, message.get());
        !built.ok()) {
      return AnswerRefusal(built, what, identity, response);
    }

    // The gRPC method itself, as `identity`.
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         absl::ToChronoMilliseconds(kHttpCallDeadline));
    context.AddMetadata(kGatewayIdentityHeader, identity);
    context.AddMetadata(kGatewayKeyHeader, callers_->gateway_key());
    const std::string bytes = message->SerializeAsString();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request_buffer(&slice, 1);
    grpc::ByteBuffer reply_buffer;
    std::promise<grpc::Status> done;
    stub_.UnaryCall(&context, route.grpc_path, grpc::StubOptions(), &request_buffer, &reply_buffer,
                    [&done](grpc::Status status) { done.set_value(std::move(status)); });
    const grpc::Status status = done.get_future().get();
    if (!status.ok()) return AnswerError(status, response);  // logged by the handler

    std::unique_ptr<google::protobuf::Message> reply(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(route.method->output_type())
            ->New());
    grpc::ProtoBufferReader reader(&reply_buffer);
    if (!reply->ParseFromZeroCopyStream(&reader)) {
      return AnswerError(grpc::Status(grpc::StatusCode::INTERNAL, "the answer did not parse"),
                         response);
    }
    response.status = 200;
    response.set_content(ToJson(*reply), kJson);
  }

 private:
  const http::Routes routes_;
  grpc::GenericStub stub_;
  IdentityRegistry* const identities_;
  const Callers* const callers_;
  const std::string plaintext_identity_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpFace>> HttpFace::Start(const HttpFaceOptions& options,
                                                          const TransportOptions& transport,
                                                          std::shared_ptr<grpc::Channel> in_process,
                                                          IdentityRegistry* identities,
                                                          const Callers* callers) {
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  absl::StatusOr<http::Routes> routes =
      http::Routes::FromServices({pool->FindServiceByName(v1::CommandService::service_full_name()),
                                  pool->FindServiceByName(v1::QueryService::service_full_name()),
                                  pool->FindServiceByName(v1::AuditService::service_full_name())});
  if (!routes.ok()) return routes.status();
  const std::string listen = options.listen_address;
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http_listen '", listen, "' is not host:port"));
  }
  std::string host = listen.substr(0, colon);
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }

  std::unique_ptr<HttpFace> face(new HttpFace());
  if (transport.plaintext) {
    if (!IsLoopbackAddress(listen)) {
      return absl::InvalidArgumentError("a plaintext HTTP port is served on loopback only");
    }
    spdlog::warn("the JSON/HTTP face on {} is PLAINTEXT: for development only", listen);
    face->server_ = std::make_unique<httplib::Server>();
  } else {
    const TransportOptions files = transport;
    face->certificate_ =
        std::make_unique<ServingCertificate>(transport.certificate_path, transport.key_path);
    if (absl::Status read = face->certificate_->Refresh(); !read.ok()) return read;
    ServingCertificate* certificate = face->certificate_.get();
    auto server = std::make_unique<httplib::SSLServer>([files, certificate](SSL_CTX& context) {
      // The client certificate is asked for and verified when sent, not
      // required: a bearer token may stand in for it.
      STACK_OF(X509_NAME)* authorities = SSL_load_client_CA_file(files.client_ca_path.c_str());
      if (authorities == nullptr ||
          SSL_CTX_load_verify_locations(&context, files.client_ca_path.c_str(), nullptr) != 1) {
        return false;
      }
      SSL_CTX_set_client_CA_list(&context, authorities);
      SSL_CTX_set_verify(&context, SSL_VERIFY_PEER, nullptr);
      SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
      // Browsers resume TLS sessions; with client certificates verified,
      // OpenSSL refuses to resume (a handshake failure) unless the sessions
      // are tied to a context.
      static constexpr unsigned char kSessionContext[] = "alliance-http";
      SSL_CTX_set_session_id_context(&context, kSessionContext, sizeof(kSessionContext) - 1);
      // The certificate and key, re-read when their files change, are
      // installed at each handshake: a renewed pair is served from the next
      // connection on, with no restart (serving_certificate.h).
      SSL_CTX_set_cert_cb(&context, &ServingCertificate::CertCallback, certificate);
      return true;
    });
    if (!server->is_valid()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the JSON/HTTP face cannot use the TLS files ", transport.certificate_path,
                       ", ", transport.key_path, ", ", transport.client_ca_path));
    }
    face->server_ = std::move(server);
  }
  httplib::Server& server = *face->server_;
  const int threads = options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(static_cast<size_t>(options.max_request_bytes));
  server.set_keep_alive_timeout(absl::ToInt64Seconds(kHttpIdleTimeout));
  server.set_keep_alive_max_count(kHttpKeepAliveRequestsMax);
  // An answer is written in pieces (headers, then body): without this,
  // Nagle's algorithm holds the body until the caller's delayed ACK, 40 ms.
  server.set_tcp_nodelay(true);
  server.set_read_timeout(absl::ToInt64Seconds(kHttpIdleTimeout));
  // The page runs only its own files (no inline script, no CDN), is framed
  // by no one, and sends no referrer; answers are not cached (they change).
  server.set_default_headers(
      {{"X-Content-Type-Options", "nosniff"},
       {"Cache-Control", "no-store"},
       {"Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"},
       {"X-Frame-Options", "DENY"},
       {"Referrer-Policy", "no-referrer"}});

  auto served =
      std::make_shared<Face>(*std::move(routes), std::move(in_process), identities, callers,
                             transport.plaintext ? transport.plaintext_identity : "");
  auto handler = [served](const httplib::Request& request, httplib::Response& response) {
    served->Serve(request, response);
  };
  server.Get("/v1/.*", handler);
  server.Post("/v1/.*", handler);
  if (!options.web_root.empty()) {
    server.set_mount_point("/static", options.web_root + "/static");
    // Browsers ask for an icon; there is none, and saying so is not an error.
    server.Get("/favicon.ico",
               [](const httplib::Request&, httplib::Response& response) { response.status = 204; });
    const std::string index = options.web_root + "/index.html";
    server.Get("/", [index](const httplib::Request&, httplib::Response& response) {
      absl::StatusOr<std::string> page = ReadWholeFile(index);
      if (!page.ok()) {
        response.status = 404;
        response.set_content("the status page's files are not installed", "text/plain");
        return;
      }
      response.set_content(*page, "text/html; charset=utf-8");
    });
  }

  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("the JSON/HTTP face cannot listen on ", listen));
  }
  face->address_ = absl::StrCat(listen.substr(0, colon), ":", bound);
  face->listener_ = std::thread([face = face.get()] { face->server_->listen_after_bind(); });
  spdlog::info("JSON/HTTP face serving on {}{}", transport.plaintext ? "http://" : "https://",
               face->address_);
  return face;
}

HttpFace::~HttpFace() { Shutdown(); }

void HttpFace::Shutdown() {
  if (server_ != nullptr) server_->stop();
  if (listener_.joinable()) listener_.join();
}

}  // namespace alliance
