// allianced: the Alliance case ledger server.
//
//   allianced --data_dir=var/store [--listen=127.0.0.1:50051]
//             [--max_request_bytes=4194304] [--rebuild_read_models]
//
// Stops cleanly on SIGTERM or SIGINT: in-flight calls finish, queued commands
// are written and answered, RocksDB is closed.
#include <malloc.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
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
ABSL_FLAG(bool, rebuild_read_models, false,
          "rewrite every read model from the event log before serving");

// Below RocksDB's memtable arena block (1 MiB) and above the chunks a scan of
// the log copies and parses events into (256 KiB), which are allocated many
// times a second.
constexpr int kMmapThresholdBytes = 512 << 10;

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the Alliance case ledger server.\n  allianced --data_dir=DIR [--listen=HOST:PORT]");
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
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  alliance::ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  options.tree_head_key_path = absl::GetFlag(FLAGS_tree_head_key);
  options.ledger.rebuild_read_models = absl::GetFlag(FLAGS_rebuild_read_models);
  absl::StatusOr<std::unique_ptr<alliance::AllianceServer>> server =
      alliance::AllianceServer::Start(options);
  if (!server.ok()) {
    spdlog::error("allianced cannot start: {}", server.status().ToString());
    return 1;
  }
  spdlog::info("allianced serving on {} with store {} ({} events recovered)", (*server)->address(),
               options.data_dir, (*server)->ledger().recovered_event_count());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received {}; finishing in-flight calls", strsignal(signal_number));
  (*server)->Shutdown();
  spdlog::info("allianced stopped; store closed");
  return 0;
}
