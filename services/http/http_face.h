// HttpFace: the service's JSON/HTTP face and its status page, served by
// allianced on a port of its own (cpp-httplib, over TLS with the gRPC
// port's certificate and client CA).
//
// Every /v1/ route is a gRPC method's google.api.http rule (routes.h). A
// request is authenticated here (a verified client certificate, as on the
// gRPC port, or for scripts and browsers a bearer token whose SHA-256 the
// identity registry holds), transcoded into the method's request (proto3
// JSON, protobuf's json_util), and sent to the method over the server's
// in-process channel with that identity (caller.h, kGatewayIdentityHeader):
// the same handler, the same command table, the same method policy, the
// same refusal log as a gRPC call. The answer comes back as proto3 JSON; a
// refusal as AIP-193's JSON error ({"error": {code, message, status,
// details}}) with its HTTP code.
//
// "/" serves the status page and "/static/" its files (web_root): public
// files with no data in them; the page reads the API with a token.
//
// The handlers run on cpp-httplib's own threads, which wait for the
// in-process call (for a command, until it is durable): this face trades
// the gRPC port's threading for the simplicity callers of JSON want.
#ifndef ALLIANCE_SERVICES_HTTP_HTTP_FACE_H_
#define ALLIANCE_SERVICES_HTTP_HTTP_FACE_H_

#include <grpcpp/channel.h>

#include <array>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/access/caller.h"
#include "services/access/identity_registry.h"
#include "services/access/transport.h"
#include "services/http/routes.h"
#include "services/http/serving_certificate.h"

namespace httplib {
class Server;
}

namespace alliance {

// Threads answering HTTP requests: each waits for its call.
inline constexpr int kHttpThreadsDefault = 16;
// How long a call of this face may take before it is DEADLINE_EXCEEDED.
inline constexpr absl::Duration kHttpCallDeadline = absl::Seconds(30);
// Idle keep-alive connections are closed after this long, and any after
// this many requests (cpp-httplib's default, 5, would make a caller pay a
// TLS handshake every fifth request).
inline constexpr absl::Duration kHttpIdleTimeout = absl::Seconds(30);
inline constexpr size_t kHttpKeepAliveRequestsMax = 1000;

struct HttpFaceOptions {
  // host:port; port 0 picks a free one (HttpFace::address()).
  std::string listen_address;
  // The status page's files: index.html and static/ (chart.js among them).
  std::string web_root;
  int max_request_bytes = 4 << 20;
  int threads = kHttpThreadsDefault;
};

class HttpFace {
 public:
  // Serves on `options.listen_address` with `transport`'s TLS files (or in
  // plaintext when it says so: loopback only, as for gRPC). Calls go to
  // `in_process` (the gRPC server's in-process channel). `identities` and
  // `callers` must outlive the face.
  static absl::StatusOr<std::unique_ptr<HttpFace>> Start(const HttpFaceOptions& options,
                                                         const TransportOptions& transport,
                                                         std::shared_ptr<grpc::Channel> in_process,
                                                         IdentityRegistry* identities,
                                                         const Callers* callers);
  ~HttpFace();  // Shutdown()s

  // host:port with the bound port.
  const std::string& address() const { return address_; }
  // Stops listening and waits for the requests in flight. Idempotent.
  void Shutdown();

 private:
  HttpFace() = default;

  // The TLS certificate and key, installed at each handshake.
  std::unique_ptr<ServingCertificate> certificate_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  std::string address_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_HTTP_HTTP_FACE_H_
