// StalledConnection: a caller that asks and never reads. One TLS connection
// (OpenSSL, presenting a client certificate) that speaks just enough HTTP/2
// to start gRPC calls (the connection preface, SETTINGS and their
// acknowledgement, then a HEADERS and a DATA frame a call) and after that
// never reads the socket again. The server's answers then stay in the
// server: the connection's flow-control window (64 KiB) is never reopened,
// as a stalled or hostile client leaves it. gRPC's own client cannot play
// this part, since its transport reads the connection whether or not the
// application reads its calls.
//
//   absl::StatusOr<std::unique_ptr<StalledConnection>> connection =
//       StalledConnection::Open(port, {ca, certificate, key});
//   (*connection)->StartCall("/alliance.v1.QueryService/ReadEvents", bytes, absl::Seconds(60));
//
// The server is reached on 127.0.0.1 and its certificate is verified for
// "localhost" against `ca`. Not thread-safe; the destructor closes the
// connection without a goodbye, as a vanished client would.
#ifndef ALLIANCE_TESTS_SUPPORT_STALLED_CALLER_H_
#define ALLIANCE_TESTS_SUPPORT_STALLED_CALLER_H_

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace alliance::testing {

struct ClientCertificateFiles {
  std::string ca_path;           // PEM: the CA the server's certificate is checked with
  std::string certificate_path;  // PEM: the client's certificate
  std::string key_path;          // PEM: its private key
};

class StalledConnection {
 public:
  // Connects to 127.0.0.1:`port`, completes the TLS handshake (ALPN h2) and
  // the HTTP/2 settings exchange. UNAVAILABLE when any of it fails, with
  // OpenSSL's reason.
  static absl::StatusOr<std::unique_ptr<StalledConnection>> Open(
      int port, const ClientCertificateFiles& files);

  StalledConnection(const StalledConnection&) = delete;
  StalledConnection& operator=(const StalledConnection&) = delete;
  ~StalledConnection();

  // Starts a call of `method` ("/package.Service/Method") with `request`
  // (the serialized message) and a grpc-timeout of `timeout` (whole
  // seconds), and ends its request stream. The answer is never read.
  absl::Status StartCall(absl::string_view method, absl::string_view request,
                         absl::Duration timeout);

  // The SETTINGS_MAX_CONCURRENT_STREAMS the server announced (0 if none).
  uint32_t max_concurrent_streams() const { return max_concurrent_streams_; }

 private:
  StalledConnection() = default;
  absl::Status Handshake(int port, const ClientCertificateFiles& files);
  absl::Status ExchangeSettings();
  absl::Status Write(absl::string_view bytes);
  absl::Status ReadExactly(size_t size, std::string* bytes);

  int fd_ = -1;
  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  uint32_t next_stream_id_ = 1;  // client streams are odd
  uint32_t max_concurrent_streams_ = 0;
};

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SUPPORT_STALLED_CALLER_H_
