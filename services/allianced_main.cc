// allianced: the Alliance case ledger server.
//
//   allianced --data_dir=var/store --identities=var/identities.textpb
//             --tls_cert=var/pki/server.crt --tls_key=var/pki/server.key
//             --tls_client_ca=var/pki/ca.crt [--authz_policy=var/authz-policy.json]
//             [--listen=127.0.0.1:50051] [--max_request_bytes=4194304]
//             [--rebuild_read_models]
//   allianced ... --plaintext --plaintext_identity=kiat   # loopback, development only
//
// Stops cleanly on SIGTERM or SIGINT: in-flight calls finish, queued commands
// are written and answered, RocksDB is closed. SIGHUP re-reads the identity
// registry and the method policy.
#include <malloc.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "services/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "host:port to serve gRPC on");
ABSL_FLAG(std::string, data_dir, "", "folder of the RocksDB event store (created when missing)");
ABSL_FLAG(int, max_request_bytes, alliance::kMaxRequestBytesDefault,
          "largest request accepted, in bytes");
ABSL_FLAG(std::string, tree_head_key, "",
          "PEM file of the Ed25519 key tree heads are signed with, created when missing "
          "(default: tree-head-key.pem in --data_dir)");
ABSL_FLAG(int, max_concurrent_streams, alliance::kMaxConcurrentStreamsDefault,
          "calls one connection may hold open at once");
ABSL_FLAG(int64_t, memory_quota_bytes, alliance::kMemoryQuotaBytesDefault,
          "memory gRPC may hold for callers' calls and connections, in bytes");
ABSL_FLAG(int64_t, replies_unread_max_bytes, alliance::kRepliesUnreadBytesMaxDefault,
          "answers built but not yet read by their callers, in bytes: past it, event reads and "
          "lists are refused RESOURCE_EXHAUSTED (REPLIES_UNREAD) until callers catch up");
ABSL_FLAG(absl::Duration, min_client_ping_interval, alliance::kMinClientPingIntervalDefault,
          "keepalive enforcement: a client pinging more often without calls is disconnected");
ABSL_FLAG(absl::Duration, max_connection_idle, alliance::kMaxConnectionIdleDefault,
          "a connection without a call for this long is closed");
ABSL_FLAG(std::string, identities, "",
          "the identity registry: alliance.v1.IdentityRegistry in text format, each client "
          "certificate's name with its role (re-read when it changes)");
ABSL_FLAG(std::string, tls_cert, "", "PEM file of the server's certificate (chain)");
ABSL_FLAG(std::string, tls_key, "", "PEM file of the server's private key");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM file of the CA that issues the callers' client certificates");
ABSL_FLAG(std::string, authz_policy, "",
          "gRPC authorization policy (gRFC A43 JSON) of which identity may call which method, "
          "re-read when it changes");
ABSL_FLAG(bool, plaintext, false,
          "serve plaintext instead of TLS: loopback addresses only, for development");
ABSL_FLAG(std::string, plaintext_identity, "",
          "with --plaintext: the registered identity every caller is taken for");
ABSL_FLAG(std::string, http_listen, "",
          "host:port to serve the JSON/HTTP API and the status page on (HTTPS with the TLS "
          "files above; plaintext with --plaintext); empty: not served");
ABSL_FLAG(std::string, web_root, "",
          "folder of the status page's files (default: web/ beside the allianced binary)");
ABSL_FLAG(int, http_threads, alliance::kHttpThreadsDefault,
          "threads answering JSON/HTTP requests (each waits for its call)");
ABSL_FLAG(bool, rebuild_read_models, false,
          "rewrite every read model from the event log before serving");

// Below RocksDB's memtable arena block (1 MiB) and above the chunks a scan of
// the log copies and parses events into (256 KiB), which are allocated many
// times a second.
constexpr int kMmapThresholdBytes = 512 << 10;

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the Alliance case ledger server.\n  allianced --data_dir=DIR --identities=FILE "
      "--tls_cert=PEM --tls_key=PEM --tls_client_ca=PEM [--authz_policy=JSON] "
      "[--listen=HOST:PORT]");
  absl::ParseCommandLine(argc, argv);
  // RocksDB builds each memtable from 1 MiB arena blocks and frees them all
  // when the memtable is flushed. glibc serves blocks that large with mmap at
  // first, but raises its mmap threshold each time one is freed, so that
  // soon they come from the heap, and a flushed memtable's blocks stay
  // resident as free heap that later small allocations pin (25-45 MiB of
  // the resident size at a million events in ledger_bench). A fixed
  // threshold keeps every block at or above it in its own mapping, returned
  // to the system the moment it is freed.
  mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes);
  // Debian's Abseil checks every absl::Mutex (gRPC's locks among them) for
  // lock-order cycles: a graph update on each acquisition, a few per cent of
  // the server's time under load. The tests keep the check; the server does
  // not need it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Diagnostics go to stderr, as a server's should; stdout stays free.
  spdlog::set_default_logger(spdlog::stderr_color_mt("allianced"));

  // Block the stop signals in every thread (gRPC's and RocksDB's inherit the
  // mask), so that only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  // SIGHUP re-reads the identity registry and the method policy at once
  // (each is also re-read on its own within seconds of a change).
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  alliance::ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  options.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  options.memory_quota_bytes = absl::GetFlag(FLAGS_memory_quota_bytes);
  options.replies_unread_max_bytes = absl::GetFlag(FLAGS_replies_unread_max_bytes);
  options.min_client_ping_interval = absl::GetFlag(FLAGS_min_client_ping_interval);
  options.max_connection_idle = absl::GetFlag(FLAGS_max_connection_idle);
  options.tree_head_key_path = absl::GetFlag(FLAGS_tree_head_key);
  options.ledger.rebuild_read_models = absl::GetFlag(FLAGS_rebuild_read_models);
  options.identities_path = absl::GetFlag(FLAGS_identities);
  options.authz_policy_path = absl::GetFlag(FLAGS_authz_policy);
  options.transport.certificate_path = absl::GetFlag(FLAGS_tls_cert);
  options.transport.key_path = absl::GetFlag(FLAGS_tls_key);
  options.transport.client_ca_path = absl::GetFlag(FLAGS_tls_client_ca);
  options.transport.plaintext = absl::GetFlag(FLAGS_plaintext);
  options.transport.plaintext_identity = absl::GetFlag(FLAGS_plaintext_identity);
  options.http.listen_address = absl::GetFlag(FLAGS_http_listen);
  options.http.web_root = absl::GetFlag(FLAGS_web_root);
  if (options.http.web_root.empty()) {
    std::error_code error;
    const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) options.http.web_root = (binary.parent_path() / "web").string();
  }
  options.http.max_request_bytes = options.max_request_bytes;
  options.http.threads = absl::GetFlag(FLAGS_http_threads);
  absl::StatusOr<std::unique_ptr<alliance::AllianceServer>> server =
      alliance::AllianceServer::Start(options);
  if (!server.ok()) {
    spdlog::error("allianced cannot start: {}", server.status().ToString());
    return 1;
  }
  spdlog::info("allianced serving on {} with store {} ({} events recovered)", (*server)->address(),
               options.data_dir, (*server)->ledger().recovered_event_count());

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    (void)(*server)->ReloadAccess();
  }
  spdlog::info("received {}; finishing in-flight calls", strsignal(signal_number));
  (*server)->Shutdown();
  spdlog::info("allianced stopped; store closed");
  return 0;
}
