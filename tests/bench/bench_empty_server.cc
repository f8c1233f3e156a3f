// bench_empty_server: the server of ledger_bench's empty-call ceiling, run as
// its own process as allianced is, so that the ceiling pays what a ledger
// call pays for being a call to another process (its own gRPC threads and
// CPU, not shared with the load generator's), and so that its CPU time per
// call can be read from /proc like allianced's.
//
//   bench_empty_server --listen=127.0.0.1:PORT --reply_bytes=N
//
// A separate small executable rather than ledger_bench started again with a
// flag: this process then holds only a gRPC server (no RocksDB, libpq or
// ledger libraries, nothing of the benchmark), so its CPU time is the empty
// call's alone. ledger_bench spawns it with AlliancedProcess, waits for its
// health check to say SERVING, and stops it with SIGTERM (or kills it when
// the run dies).
//
// It is built like allianced's server where that matters per call: the
// callback API (grpc::CallbackService, ServerUnaryReactor), the default
// health service, Abseil's lock-order checks off. gRPC's default largest
// request (4 MiB) is allianced's --max_request_bytes default, so it is not
// set; allianced's reflection service costs nothing per call and is left out.
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "bench.grpc.pb.h"
#include "storage/whole_file.h"
#include "tests/bench/padding.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to serve the Empty service on");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate: serve mutual TLS as allianced does");
ABSL_FLAG(std::string, tls_key, "", "PEM key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "", "PEM CA the client certificates are verified against");
ABSL_FLAG(int, reply_bytes, 0,
          "serialized size of every reply, in bytes (ledger_bench passes the size of the "
          "ledger's DisburseFunds reply)");

namespace alliance::bench {
namespace {

// The largest reply asked for: far above a ledger reply (about 100 bytes),
// far below gRPC's 4 MiB message limit.
constexpr int kReplyBytesMax = 1 << 20;

// After SIGTERM, calls still in flight get this long to finish.
constexpr auto kShutdownGrace = std::chrono::seconds(5);

// Answers at once, on gRPC's callback threads as the ledger's services do,
// with a copy of the padded reply (the ledger too builds a reply a call).
class EmptyService final : public Empty::CallbackService {
 public:
  explicit EmptyService(EmptyResponse reply) : reply_(std::move(reply)) {}

 private:
  grpc::ServerUnaryReactor* Call(grpc::CallbackServerContext* context, const EmptyRequest* request,
                                 EmptyResponse* response) override {
    *response = reply_;
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  const EmptyResponse reply_;
};

int Main() {
  const int reply_bytes = absl::GetFlag(FLAGS_reply_bytes);
  if (reply_bytes < 0 || reply_bytes > kReplyBytesMax) {
    std::fprintf(stderr, "bench_empty_server: --reply_bytes must be 0..%d\n", kReplyBytesMax);
    return 2;
  }
  // Only sigwait below receives the stop signals: block them before gRPC
  // starts its threads, which inherit the mask (as allianced does).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  EmptyResponse reply;
  const size_t padded_bytes = PadTo(reply, static_cast<size_t>(reply_bytes));
  EmptyService service(std::move(reply));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  const std::string listen = absl::GetFlag(FLAGS_listen);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!absl::GetFlag(FLAGS_tls_cert).empty()) {
    // Mutual TLS, as the ledger's calls pay it: the empty call's ceiling is
    // then the same transport's.
    grpc::SslServerCredentialsOptions tls(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = ReadWholeFile(absl::GetFlag(FLAGS_tls_client_ca)).value_or("");
    tls.pem_key_cert_pairs.push_back({ReadWholeFile(absl::GetFlag(FLAGS_tls_key)).value_or(""),
                                      ReadWholeFile(absl::GetFlag(FLAGS_tls_cert)).value_or("")});
    credentials = grpc::SslServerCredentials(tls);
  }
  builder.AddListeningPort(listen, credentials, &bound_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    std::fprintf(stderr, "bench_empty_server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "bench_empty_server: serving on %s, %zu-byte replies\n", listen.c_str(),
               padded_bytes);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  if (grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  return 0;
}

}  // namespace
}  // namespace alliance::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "ledger_bench's empty-call server.\n"
      "  bench_empty_server --listen=HOST:PORT --reply_bytes=N");
  absl::ParseCommandLine(argc, argv);
  // As allianced: Debian's Abseil would otherwise check every absl::Mutex
  // (gRPC's among them) for lock-order cycles on each acquisition.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return alliance::bench::Main();
}
