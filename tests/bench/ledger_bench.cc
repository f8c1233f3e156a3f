// ledger_bench: the Alliance case ledger's performance benchmark. One run
// measures, on stores it creates:
//
//   ceilings    raw RocksDB synced writes (one ~300-byte value a write at 1,
//               16 and 64 threads; 100 such values a WriteBatch), and an
//               empty gRPC call at 1, 16 and 64 in flight, to
//               bench_empty_server (a process of its own, as allianced is),
//               its request and reply as large as DisburseFunds's
//               (measured after the ledger, whose sizes it takes)
//   the ledger  the real allianced, spawned on a temporary folder, through
//               its API and its rules: DisburseFunds at 1, 16 and 64 in
//               flight, DisburseFundsBatch of 100 payments, GetConsortium
//               while appends run (as fast as they go, and held at a rate
//               both peers reach), the server's memory at 100k and at 1M
//               events, and the read-model rebuild of the 1M-event store
//   the audit   on the same allianced once its log holds 1M events: ReadLog
//               of the whole log, VerifyLog of the whole log, GetConsortium
//               as of random positions and times of it, and one Subscribe
//               from its end while 64 DisburseFunds callers append (the lag
//               from each payment's acknowledgement to its delivery)
//   the peer    PostgreSQL doing the same appends and status queries
//               (--pg; the script tests/bench/run.sh starts one): each
//               payment one call of a plpgsql function that checks the
//               ledger's payment rules and appends (one round trip)
//
// and prints every figure beside its ceiling, the targets met or missed and,
// with --report, writes the Markdown report. It exits 1 when a call fails
// unexpectedly (so the smoke run catches rot), never because of a figure.
//
//   ledger_bench --smoke          # a few seconds, no PostgreSQL: deploy/test.sh
//   tests/bench/run.sh            # the full run, with PostgreSQL, writes REPORT.md
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <httplib.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alliance/v1/audit.grpc.pb.h"
#include "alliance/v1/commands.grpc.pb.h"
#include "alliance/v1/queries.grpc.pb.h"
#include "bench.grpc.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "services/domain/commands.h"
#include "services/domain/regions.h"
#include "services/domain/validation.h"
#include "services/ledger/ledger.h"
#include "storage/event_log.h"
#include "storage/whole_file.h"
#include "tests/bench/padding.h"
#include "tests/support/allianced_process.h"
#include "tests/support/free_port.h"
#include "tests/support/test_access.h"
#include "tests/support/test_participant_id.h"

#ifndef ALLIANCED_PATH
#error "ALLIANCED_PATH must name the allianced binary"
#endif
#ifndef BENCH_EMPTY_SERVER_PATH
#error "BENCH_EMPTY_SERVER_PATH must name the bench_empty_server binary"
#endif

ABSL_FLAG(bool, smoke, false,
          "a tiny run (about 0.3 s a point, a 2,000-event rebuild, no PostgreSQL, no report unless "
          "--report is given) that proves the benchmark still works");
ABSL_FLAG(double, seconds, 5.0, "measured seconds per point (after a short warm-up)");
ABSL_FLAG(std::string, allianced, ALLIANCED_PATH, "the allianced binary to benchmark");
ABSL_FLAG(std::string, empty_server, BENCH_EMPTY_SERVER_PATH,
          "the bench_empty_server binary of the empty-call ceiling");
ABSL_FLAG(std::string, pg, "",
          "libpq connection string of the PostgreSQL peer (e.g. \"host=127.0.0.1 port=5433 "
          "user=postgres dbname=postgres\"); empty: skip the peer");
ABSL_FLAG(std::string, report, "", "write the Markdown report to this path");
ABSL_FLAG(int64_t, rebuild_events, 1'000'000,
          "events in the log whose read models are rebuilt; the server's memory is read at a "
          "tenth of it and at it");
ABSL_FLAG(std::string, keep_store, "",
          "after the run, move the ledger's store (the rebuilt log) to this new folder, for "
          "profiling with --rebuild_store");
ABSL_FLAG(std::string, rebuild_store, "",
          "measure only the read-model rebuild, of the existing store in this folder (e.g. one "
          "kept with --keep_store), and print it: for profiling the rebuild alone");

namespace alliance::bench {
namespace {

using Clock = std::chrono::steady_clock;

// ---- The workload's shape -------------------------------------------------------

// Concurrent callers of every single-event point: one caller, a busy agency
// system, many systems at once.
constexpr int kConcurrencies[] = {1, 16, 64};
// Bytes of a value in the raw RocksDB ceiling and of a PostgreSQL event's
// payload: about what one FundsDisbursed envelope and its indexes weigh.
constexpr size_t kValueBytes = 300;
// Payments per DisburseFundsBatch call, and values per raw WriteBatch.
constexpr int kBatchEvents = 100;
// Batch calls (and raw batch writers) in flight: enough to keep the group
// commit full without queueing thousands of events.
constexpr int kBatchInFlight = 16;
// The query point: this many GetConsortium in flight while this many
// appenders keep the writer busy.
constexpr int kQueryInFlight = 16;
// The two faces compared: this many callers, each waiting for its answer,
// ask GetConsortium over gRPC, then GET /v1/consortia/{id} over HTTPS
// (JSON), with nothing else running.
constexpr int kFaceCallers = 16;
constexpr int kQueryAppenders = 16;
// The held query point: the same, but each peer's kQueryAppenders appenders
// paced to this many appends a second in all, so that the two peers'
// appenders take the same share of the two cores and the queries are
// compared alone. Below what either peer sustains beside the queries in the
// free-running point (in recent runs ours about 5,500 events/s, PostgreSQL's
// function about 3,200 tx/s), so both reach it.
constexpr double kHeldAppendsPerSecond = 2'000;
// A peer whose appends came below this share of kHeldAppendsPerSecond did
// not reach the held rate: the report says so beside its figures.
constexpr double kHeldRateReachedFraction = 0.95;
// Consortia selected into the benchmark's program; payments go round-robin.
constexpr int kConsortiumCount = 64;
// In flight while filling the log (no figure is taken from the fill).
constexpr int kFillInFlight = 64;

// --smoke: long enough to exercise every path, short enough for every test run.
constexpr double kSmokeSeconds = 0.3;
constexpr int64_t kSmokeRebuildEvents = 2'000;
// Each point first runs unmeasured for this fraction of its time (at most
// kWarmupSecondsMax): connections open, caches fill, threads start.
constexpr double kWarmupFraction = 0.2;
constexpr double kWarmupSecondsMax = 1.0;
// The server's memory is read when the log holds 1/kRssCheckpointDivisor of
// --rebuild_events (100k of 1M), and again at --rebuild_events.
constexpr int64_t kRssCheckpointDivisor = 10;

// The audit points, on the log once it holds --rebuild_events. As-of
// queries: this many GetConsortium as of a position, one at a time (the
// latency of one answer from a checkpoint and a fold, not of a queue), at
// positions drawn uniformly from the log after the setup with a fixed seed,
// so that every run asks for the same positions of its log.
constexpr int kAsOfPositionQueries = 200;
// And a few as of a time (a binary search over recorded_at first).
constexpr int kAsOfTimeQueries = 20;
constexpr int kSmokeAsOfPositionQueries = 20;
constexpr int kSmokeAsOfTimeQueries = 5;
constexpr uint64_t kAsOfSeed = 14;  // issue 14's
// The subscription point: appenders as in the single-append point at 64.
constexpr int kSubscriptionWriters = 64;
// The subscriber's checkpoint interval: the least the server allows, so
// that its first checkpoint (nothing is written yet) proves within a tenth
// of a second that the subscription is live before the writers start.
constexpr uint32_t kSubscriptionCheckpointMs = 100;
// How often the server's VmRSS is read while a whole-log call runs: the
// most it reached shows whether the call holds memory per event.
constexpr auto kMemorySampleInterval = std::chrono::milliseconds(50);

// Give-up bounds, never measured: a stuck call or server ends the run.
constexpr auto kCallDeadline = std::chrono::seconds(10);
// A call over the whole log (ReadLog, VerifyLog of 1M events; the
// subscription, which this run ends itself).
constexpr auto kWholeLogDeadline = std::chrono::seconds(600);
constexpr absl::Duration kServingBound = absl::Seconds(60);
// Stopping allianced after a million events: in-flight calls, then RocksDB
// closes (flushing memtables).
constexpr absl::Duration kStopBound = absl::Seconds(120);
// After a point's time is up, its outstanding calls must finish within this.
constexpr double kDrainBoundSeconds = 30;
// A fill of the log (to 1M events) must end within this.
constexpr double kFillSecondsMax = 1'200;
// Operations one point may issue, whatever the clock says.
constexpr uint64_t kOpsPerPointMax = 100'000'000;

// The benchmark's program: rules wide enough for millions of payments, within
// the validation limits (amounts at most kAmountKrwMax = 10^15 KRW). Every
// payment goes through the real rules: one selection round with a slot per
// consortium, and each consortium's agreement for every year of its term
// signed at the annual limit.
constexpr char kProgramId[] = "bench-program";
constexpr int32_t kFirstYear = 2024;
constexpr int32_t kLastYear = 2033;
constexpr int64_t kTotalBudgetKrw = 1'000'000'000'000'000;  // 10^15
// The round's 64 slots x 10^13 stay under the total budget (the round and
// selection rules).
constexpr int64_t kConsortiumLimitKrw = 10'000'000'000'000;
// The real program's five-year term: it sets how many years each consortium's
// status carries, so its read model is as large as a real one.
constexpr int32_t kTermYears = 5;
// The five years' agreements at the annual limit fill the consortium limit
// exactly (the agreement rule): 2 x 10^12 KRW a consortium and year.
constexpr int64_t kAnnualLimitKrw = kConsortiumLimitKrw / kTermYears;
constexpr int32_t kMinMidsized = 2;
constexpr int32_t kHiringTarget = 30;
// 1M payments of 1M KRW over 64 consortia and 5 years: about 3 x 10^9 KRW a
// consortium and year, far below its 2 x 10^12 KRW grant (which 2 x 10^6
// payments to it in one year would reach: 6.4 x 10^8 payments in all).
constexpr int64_t kPaymentAmountKrw = 1'000'000;
// 2024-01-01, 2024-02-01, 2024-03-01, 2024-04-01, 2024-06-01 (UTC).
constexpr int64_t kEstablishedAtSeconds = 1'704'067'200;
constexpr int64_t kRoundOpenedAtSeconds = 1'706'745'600;
constexpr int64_t kSelectedAtSeconds = 1'709'251'200;
constexpr int64_t kSignedAtSeconds = 1'711'929'600;
constexpr int64_t kPaidAtSeconds = 1'717'200'000;
// Regions outside the capital region (the program excludes KR-11, -28, -41):
// the other 14 of the 17 first-level divisions (services/domain/regions.h).
constexpr const char* kRegionCodes[] = {"KR-26", "KR-27", "KR-29", "KR-30", "KR-31",
                                        "KR-50", "KR-42", "KR-43", "KR-44", "KR-45",
                                        "KR-46", "KR-47", "KR-48", "KR-49"};
constexpr char kAgency[] = "KIAT";
constexpr char kPrincipal[] = "ledger-bench";

// The issue's targets: ratios from one run.
constexpr double kSingleVsEmptyTarget = 0.6;
constexpr double kBatchVsRocksTarget = 0.7;
constexpr double kQueryVsEmptyTarget = 0.7;
constexpr double kQueryP99TargetMs = 2.0;
constexpr double kRebuildTargetEventsPerSecond = 1'000'000;
constexpr double kVsPgStatusTarget = 3;
constexpr double kVsPgSummaryTarget = 10;
// Status queries at kQueryInFlight while kQueryAppenders append: at least
// PostgreSQL's status-row lookup in the same point, free-running and held.
constexpr double kQueriesVsPgTarget = 1;
// "Server memory stays flat as the log grows": RSS at --rebuild_events over
// RSS at a tenth of it. 1.2 is our reading of "flat": it leaves room for
// memtables and caches filling, not for memory per event.
constexpr double kRssGrowthMax = 1.2;
// Issue 14: VerifyLog recomputes the whole log's tree (every leaf from the
// stored bytes, every node from the leaves) at least this fast, the
// rebuild's rate: an auditor checks a million events in a second.
constexpr double kVerifyLogTargetEventsPerSecond = 1'000'000;
// Issue 14: a status as of any moment of a long log answers within this at
// the median (a checkpoint read and at most kCheckpointEvents events folded).
constexpr double kAsOfP50TargetMs = 50;

struct Settings {
  double seconds = 5;
  double warmup_seconds = 1;
  // The as-of point's queries (fewer in --smoke).
  int as_of_position_queries = kAsOfPositionQueries;
  int as_of_time_queries = kAsOfTimeQueries;
};
Settings g_settings;

// The server process being measured (allianced or bench_empty_server; one at
// a time) and the run's temporary folder: Die() kills the one and removes
// the other, so a failed run leaves nothing behind.
std::atomic<pid_t> g_server_pid{0};
std::string g_temp_dir;
// SIGINT / SIGTERM arrive here (see Main).
int g_stop_pipe[2] = {-1, -1};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "ledger_bench: FAILED: %s\n", message.c_str());
  std::fflush(stderr);
  if (pid_t pid = g_server_pid.load(); pid > 0) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  std::error_code error;
  if (!g_temp_dir.empty()) std::filesystem::remove_all(g_temp_dir, error);
  // Outstanding calls may still point into this frame's objects: leave now.
  std::_Exit(1);
}

absl::Status ToAbsl(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

// ---- Small helpers ----------------------------------------------------------------

// 1234567 -> "1,234,567".
std::string Grouped(double value) {
  const auto whole = static_cast<int64_t>(value + 0.5);
  std::string digits = absl::StrCat(whole < 0 ? -whole : whole);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return whole < 0 ? "-" + out : out;
}

std::string Ratio(double value) { return absl::StrFormat("%.2fx", value); }
std::string Ms(double value) { return absl::StrFormat("%.2f ms", value); }
std::string Mib(int64_t kib) { return absl::StrFormat("%.1f MiB", kib / 1024.0); }

// A fresh random version-4 UUID in lowercase 8-4-4-4-12 form (what
// meta.event_id requires). Per thread, so no lock on the hot path.
std::string NewUuid() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  uint64_t high = engine();
  uint64_t low = engine();
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", high >> 32, (high >> 16) & 0xffff,
                         high & 0xffff, low >> 48, low & 0xffffffffffffULL);
}

// kValueBytes of pseudo-random (so incompressible) bytes.
std::string RandomValue(uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::string value(kValueBytes, '\0');
  for (char& c : value) c = static_cast<char>(engine());
  return value;
}

google::protobuf::Timestamp Timestamp(int64_t unix_seconds) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(unix_seconds);
  return timestamp;
}

std::string ConsortiumId(int index) { return absl::StrFormat("bench-c%02d", index); }

// Payment number `n`'s reference: unique in the run, as the rules require.
std::string PaymentReference(uint64_t n) { return absl::StrFormat("BENCH-PAY-%012d", n); }

using ::alliance::testing::AlliancedProcess;
using ::alliance::testing::DescribeWaitStatus;
using ::alliance::testing::FreePort;
using ::alliance::testing::TestAccess;

// A file's text ("" when it cannot be read: /proc files of a process gone).
std::string ReadFile(const std::string& path) { return ReadWholeFile(path).value_or(""); }

// The value of "<key>:" in a /proc file of "key: value" lines ("key\t: value"
// in /proc/cpuinfo), "" if absent.
std::string ProcField(const std::string& path, absl::string_view key) {
  std::istringstream lines(ReadFile(path));
  for (std::string line; std::getline(lines, line);) {
    if (!absl::StartsWith(line, key)) continue;
    const size_t colon = line.find_first_not_of(" \t", key.size());
    if (colon == std::string::npos || line[colon] != ':') continue;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

// VmRSS / VmHWM of a process, in KiB.
absl::StatusOr<int64_t> ProcessMemoryKib(pid_t pid, absl::string_view field) {
  const std::string value = ProcField(absl::StrCat("/proc/", pid, "/status"), field);
  int64_t kib = 0;
  if (value.empty() || std::sscanf(value.c_str(), "%ld", &kib) != 1) {
    return absl::InternalError(absl::StrCat("no ", field, " in /proc/", pid, "/status"));
  }
  return kib;
}

// User + system CPU seconds of every thread of a process so far
// (/proc/<pid>/stat fields 14 and 15, in clock ticks).
absl::StatusOr<double> ProcessCpuSeconds(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  // The command name (field 2) is in parentheses and may hold spaces: count
  // fields from the last ')', which is followed by field 3.
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) {
    return absl::InternalError(absl::StrCat("cannot read /proc/", pid, "/stat"));
  }
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  uint64_t utime = 0;
  uint64_t stime = 0;
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number == 14) utime = std::strtoull(field.c_str(), nullptr, 10);
    if (number == 15) stime = std::strtoull(field.c_str(), nullptr, 10);
  }
  if (!fields) return absl::InternalError(absl::StrCat("short /proc/", pid, "/stat"));
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int64_t FolderBytes(const std::string& path) {
  int64_t bytes = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path, error)) {
    if (entry.is_regular_file(error)) bytes += static_cast<int64_t>(entry.file_size(error));
  }
  return bytes;
}

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(base != nullptr && *base ? base : "/tmp", "/ledger-bench-XXXXXX");
    if (char* made = mkdtemp(pattern.data())) path_ = made;
  }
  ~TempDir() {
    std::error_code error;
    if (!path_.empty()) std::filesystem::remove_all(path_, error);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- Load generators ----------------------------------------------------------------

// What one point measured. `latencies_us` is sorted.
struct LoadResult {
  uint64_t ops = 0;
  uint64_t events = 0;
  double seconds = 0;
  std::vector<int64_t> latencies_us;
  // CPU time the server process used during the measured run (user +
  // system, all its threads), when it was measured (a point of allianced
  // alone); negative otherwise. Per event it is the cost of the ledger's own
  // work, far steadier on a shared machine than the rates are.
  double server_cpu_seconds = -1;

  double OpsPerSecond() const { return seconds > 0 ? ops / seconds : 0; }
  double ServerCpuUsPerEvent() const {
    return server_cpu_seconds >= 0 && events > 0 ? server_cpu_seconds * 1e6 / events : -1;
  }
  double EventsPerSecond() const { return seconds > 0 ? events / seconds : 0; }
  double PercentileMs(double quantile) const {
    if (latencies_us.empty()) return 0;
    size_t index = static_cast<size_t>(quantile * latencies_us.size());
    index = std::min(index, latencies_us.size() - 1);
    return latencies_us[index] / 1000.0;
  }
};

LoadResult Summarize(std::vector<std::vector<int64_t>>& latencies, Clock::duration elapsed,
                     uint64_t events_per_op) {
  LoadResult result;
  for (std::vector<int64_t>& part : latencies) {
    result.latencies_us.insert(result.latencies_us.end(), part.begin(), part.end());
  }
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  result.ops = result.latencies_us.size();
  result.events = result.ops * events_per_op;
  result.seconds = std::chrono::duration<double>(elapsed).count();
  return result;
}

Clock::duration Seconds(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// `threads` threads each run `op` for `seconds`: back to back (closed loop),
// or, with `ops_per_second`, paced to that rate in all: thread t issues its
// k-th op no earlier than start + (k * threads + t) / ops_per_second, and at
// once when it is behind that schedule (it catches up, never sleeps late).
// A latency runs from the op's issue, not from its scheduled time. The first
// failure stops every thread and is returned.
using ThreadOp = std::function<absl::Status(int thread, uint64_t seq)>;

absl::StatusOr<LoadResult> RunThreads(int threads, double seconds, uint64_t events_per_op,
                                      const ThreadOp& op,
                                      std::optional<double> ops_per_second = std::nullopt) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point end = start + Seconds(seconds);
  std::vector<std::vector<int64_t>> latencies(threads);
  std::vector<absl::Status> errors(threads);
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (uint64_t seq = 0; seq < kOpsPerPointMax && !failed.load(std::memory_order_relaxed);
           ++seq) {
        if (ops_per_second) {
          const Clock::time_point due =
              start + Seconds(static_cast<double>(seq * threads + t) / *ops_per_second);
          if (due >= end) return;
          if (due > Clock::now()) std::this_thread::sleep_until(due);
        }
        const Clock::time_point started = Clock::now();
        if (started >= end) return;
        absl::Status status = op(t, seq);
        if (!status.ok()) {
          errors[t] = std::move(status);
          failed = true;
          return;
        }
        latencies[t].push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  const Clock::duration elapsed = Clock::now() - start;
  for (absl::Status& error : errors) {
    if (!error.ok()) return error;
  }
  return Summarize(latencies, elapsed, events_per_op);
}

// Starts one asynchronous operation for `slot`; calls `done` exactly once,
// from any thread, with its outcome.
using Done = std::function<void(absl::Status)>;
using StartOp = std::function<void(int slot, Done done)>;

// Keeps `in_flight` asynchronous operations outstanding (each slot starts its
// next one when its last completes) for `seconds` or `ops_max` operations,
// whichever ends first. The first failure stops the loop and is returned.
class ClosedLoop {
 public:
  ClosedLoop(int in_flight, double seconds, uint64_t ops_max, uint64_t events_per_op, StartOp start)
      : in_flight_(in_flight),
        seconds_(seconds),
        ops_max_(ops_max),
        events_per_op_(events_per_op),
        start_(std::move(start)),
        latencies_(in_flight) {}

  absl::StatusOr<LoadResult> Run() {
    start_time_ = Clock::now();
    end_time_ = start_time_ + Seconds(seconds_);
    active_ = in_flight_;
    for (int slot = 0; slot < in_flight_; ++slot) Launch(slot);
    std::unique_lock<std::mutex> lock(mutex_);
    if (!drained_.wait_for(lock, Seconds(seconds_ + kDrainBoundSeconds),
                           [this] { return active_ == 0; })) {
      Die(absl::StrCat("calls still outstanding ", kDrainBoundSeconds,
                       " s after the point ended: the server is stuck"));
    }
    if (!first_error_.ok()) return first_error_;
    return Summarize(latencies_, last_done_ - start_time_, events_per_op_);
  }

 private:
  void Launch(int slot) {
    const Clock::time_point now = Clock::now();
    if (stopping_.load(std::memory_order_relaxed) || now >= end_time_ ||
        issued_.fetch_add(1, std::memory_order_relaxed) >= ops_max_) {
      SlotEnded(absl::OkStatus());
      return;
    }
    start_(slot,
           [this, slot, now](absl::Status status) { Finished(slot, now, std::move(status)); });
  }

  void Finished(int slot, Clock::time_point started, absl::Status status) {
    if (!status.ok()) {
      stopping_ = true;
      SlotEnded(std::move(status));
      return;
    }
    // Only this slot's chain touches its vector: no lock.
    latencies_[slot].push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
    Launch(slot);
  }

  void SlotEnded(absl::Status status) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!status.ok() && first_error_.ok()) first_error_ = std::move(status);
    last_done_ = Clock::now();
    if (--active_ == 0) drained_.notify_all();
  }

  const int in_flight_;
  const double seconds_;
  const uint64_t ops_max_;
  const uint64_t events_per_op_;
  const StartOp start_;
  Clock::time_point start_time_;
  Clock::time_point end_time_;
  std::vector<std::vector<int64_t>> latencies_;  // per slot
  std::atomic<uint64_t> issued_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable drained_;
  int active_ = 0;               // guarded by mutex_
  absl::Status first_error_;     // guarded by mutex_
  Clock::time_point last_done_;  // guarded by mutex_
};

absl::StatusOr<LoadResult> RunLoop(int in_flight, double seconds, uint64_t events_per_op,
                                   StartOp start) {
  return ClosedLoop(in_flight, seconds, kOpsPerPointMax, events_per_op, std::move(start)).Run();
}

// `start` as a ThreadOp: starts the operation (its slot the thread) and waits
// for its Done. For callers that pace themselves on their own threads
// (RunThreads): they wait here, never in a gRPC callback thread.
ThreadOp Blocking(StartOp start) {
  return [start = std::move(start)](int thread, uint64_t) {
    auto outcome = std::make_shared<std::promise<absl::Status>>();
    std::future<absl::Status> done = outcome->get_future();
    start(thread, [outcome](absl::Status status) { outcome->set_value(std::move(status)); });
    return done.get();
  };
}

// Runs `run` unmeasured for the warm-up, then measured. With a `server_pid`,
// also takes the CPU time that process spent in the measured run.
absl::StatusOr<LoadResult> WarmThenMeasure(
    const std::function<absl::StatusOr<LoadResult>(double seconds)>& run, pid_t server_pid = 0) {
  if (absl::StatusOr<LoadResult> warm = run(g_settings.warmup_seconds); !warm.ok()) {
    return warm.status();
  }
  if (server_pid == 0) return run(g_settings.seconds);
  absl::StatusOr<double> cpu_before = ProcessCpuSeconds(server_pid);
  if (!cpu_before.ok()) return cpu_before.status();
  absl::StatusOr<LoadResult> result = run(g_settings.seconds);
  if (!result.ok()) return result;
  absl::StatusOr<double> cpu_after = ProcessCpuSeconds(server_pid);
  if (!cpu_after.ok()) return cpu_after.status();
  result->server_cpu_seconds = *cpu_after - *cpu_before;
  return result;
}

// A query point: queries measured while appends run beside them.
struct QueryPoint {
  LoadResult queries;
  LoadResult appends;  // over the appenders' whole run, warm-up included
  // The server's CPU seconds per second of the measured queries (the cores
  // it used, for the queries and the appends together); negative when not
  // measured.
  double server_cores = -1;
};

// Runs `append` from before the queries' warm-up until after their
// measurement ends, and `query` warmed then measured beside it; with a
// `server_pid`, also the CPU that process used over the measured queries.
absl::StatusOr<QueryPoint> QueriesWhileAppending(
    const std::function<absl::StatusOr<LoadResult>(double seconds)>& append,
    const std::function<absl::StatusOr<LoadResult>(double seconds)>& query, pid_t server_pid = 0) {
  // The appends outlast the queries by a tenth of the measured time.
  constexpr double kAppendsMargin = 1.1;
  absl::StatusOr<LoadResult> appends;
  std::thread appenders(
      [&] { appends = append(g_settings.warmup_seconds + g_settings.seconds * kAppendsMargin); });
  absl::StatusOr<LoadResult> queries = WarmThenMeasure(query, server_pid);
  appenders.join();
  if (!queries.ok()) return queries.status();
  if (!appends.ok()) return appends.status();
  QueryPoint point;
  if (queries->server_cpu_seconds >= 0 && queries->seconds > 0) {
    point.server_cores = queries->server_cpu_seconds / queries->seconds;
    // Per query it would count the appends' CPU too: only the cores used
    // are kept.
    queries->server_cpu_seconds = -1;
  }
  point.queries = *std::move(queries);
  point.appends = *std::move(appends);
  return point;
}

// A unary call made with the callback API: Method(context, request, response,
// on_done).
template <typename Request, typename Response>
using AsyncCall = std::function<void(grpc::ClientContext*, const Request*, Response*,
                                     std::function<void(grpc::Status)>)>;

// A StartOp that makes one `call` with the request `make_request(slot)`,
// a deadline, and (for commands) the recorder headers.
template <typename Request, typename Response>
StartOp UnaryStart(AsyncCall<Request, Response> call, std::function<Request(int slot)> make_request,
                   std::function<void(const Response&)> on_response, bool with_recorder) {
  return [call, make_request, on_response, with_recorder](int slot, Done done) {
    struct Pending {
      grpc::ClientContext context;
      Request request;
      Response response;
    };
    auto* pending = new Pending;
    pending->request = make_request(slot);
    pending->context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    call(&pending->context, &pending->request, &pending->response,
         [pending, done, on_response](grpc::Status status) {
           if (status.ok() && on_response) on_response(pending->response);
           absl::Status outcome = ToAbsl(status);
           delete pending;
           done(std::move(outcome));
         });
  };
}

// A channel over mutual TLS as `identity` of the test PKI, as an agency's
// system would hold one.
std::shared_ptr<grpc::Channel> Connect(const std::string& address,
                                       const std::string& identity = "kiat") {
  return grpc::CreateChannel(address, TestAccess::Get().Credentials(identity));
}

// One line of progress; `unit` names what EventsPerSecond() counts, in the
// plural ("events", "calls").
void PrintPoint(absl::string_view what, const LoadResult& result, absl::string_view unit) {
  std::printf("  %-48s %12s %s/s   p50 %8s   p99 %8s", std::string(what).c_str(),
              Grouped(result.EventsPerSecond()).c_str(), std::string(unit).c_str(),
              Ms(result.PercentileMs(0.5)).c_str(), Ms(result.PercentileMs(0.99)).c_str());
  if (result.ServerCpuUsPerEvent() >= 0) {
    // "events" -> "event", "queries" -> "query".
    const std::string one = absl::EndsWith(unit, "ies")
                                ? absl::StrCat(unit.substr(0, unit.size() - 3), "y")
                                : std::string(absl::StripSuffix(unit, "s"));
    std::printf("   server CPU %5.1f us/%s", result.ServerCpuUsPerEvent(), one.c_str());
  }
  std::printf("\n");
  std::fflush(stdout);
}

// ---- Ceilings --------------------------------------------------------------------------

// Raw RocksDB in its own folder: what the disk and the engine allow, with
// nothing of the ledger in the way.
class RawRocksDb {
 public:
  static absl::StatusOr<std::unique_ptr<RawRocksDb>> Open(const std::string& path) {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(options, path, &db);
    if (!status.ok()) return absl::InternalError("raw RocksDB: " + status.ToString());
    return std::unique_ptr<RawRocksDb>(new RawRocksDb(db));
  }

  // One synced Put of a kValueBytes value.
  absl::Status Put(int thread, uint64_t seq) {
    std::string value = value_;
    std::memcpy(value.data(), &seq, sizeof(seq));
    rocksdb::Status status = db_->Put(Synced(), Key(thread, seq), value);
    return status.ok() ? absl::OkStatus() : absl::InternalError(status.ToString());
  }

  // One synced WriteBatch of kBatchEvents such values.
  absl::Status PutBatch(int thread, uint64_t seq) {
    rocksdb::WriteBatch batch;
    for (int i = 0; i < kBatchEvents; ++i) {
      const uint64_t n = seq * kBatchEvents + i;
      std::string value = value_;
      std::memcpy(value.data(), &n, sizeof(n));
      batch.Put(Key(thread + 1000, n), value);
    }
    rocksdb::Status status = db_->Write(Synced(), &batch);
    return status.ok() ? absl::OkStatus() : absl::InternalError(status.ToString());
  }

 private:
  explicit RawRocksDb(rocksdb::DB* db) : db_(db), value_(RandomValue(1)) {}

  static rocksdb::WriteOptions Synced() {
    rocksdb::WriteOptions options;
    options.sync = true;
    return options;
  }
  static std::string Key(int thread, uint64_t seq) {
    return absl::StrFormat("%04d-%012d", thread, seq);
  }

  std::unique_ptr<rocksdb::DB> db_;
  const std::string value_;
};

// ---- Server processes ---------------------------------------------------------------------

// A server binary (allianced, or bench_empty_server for the empty-call
// ceiling) run as its own process on a free port, its output in
// <log_dir>/<name>.{stdout,stderr}. While it runs, g_server_pid names it for
// Die(); destroying it kills it.
struct Server {
  Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() { g_server_pid = 0; }

  std::string name;  // "allianced", "bench_empty_server": in messages and file names
  std::string address;
  std::string http_address;  // allianced's JSON/HTTP face; "" when not served
  std::unique_ptr<AlliancedProcess> process;
};

// Starts `binary` with `args` and --listen=<a free port>, and waits until its
// health check says SERVING.
absl::StatusOr<std::unique_ptr<Server>> StartServer(
    const std::string& name, const std::string& binary, std::vector<std::string> args,
    const std::string& log_dir,
    AlliancedProcess::Options::Access access = AlliancedProcess::Options::Access::kAllianced) {
  const int port = FreePort();
  if (port == 0) return absl::UnavailableError("no free port on 127.0.0.1");
  auto server = std::make_unique<Server>();
  server->name = name;
  server->address = absl::StrCat("127.0.0.1:", port);
  args.push_back("--listen=" + server->address);
  AlliancedProcess::Options options;
  options.name = name;
  options.access = access;
  absl::StatusOr<std::unique_ptr<AlliancedProcess>> process =
      AlliancedProcess::Start(binary, args, log_dir, options);
  if (!process.ok()) return process.status();
  server->process = *std::move(process);
  g_server_pid = server->process->pid();
  if (absl::Status s = server->process->WaitServing(server->address, absl::Now() + kServingBound);
      !s.ok()) {
    return s;
  }
  return server;
}

// Whether the server still runs and, if not, how it ended: what a failed
// call's report needs (a crash shows as "Socket closed" to the client).
std::string DescribeServer(Server& server) {
  absl::StatusOr<int> wait_status = server.process->Wait(absl::InfinitePast());
  if (!wait_status.ok()) return absl::StrCat(server.name, " is still running");
  g_server_pid = 0;
  return absl::StrCat(server.name, " ", DescribeWaitStatus(*wait_status));
}

// SIGTERM, then waits (bounded) for a clean exit.
absl::Status StopServer(Server& server) {
  if (absl::Status s = server.process->Terminate(); !s.ok()) return s;
  absl::StatusOr<int> wait_status = server.process->Wait(absl::Now() + kStopBound);
  if (!wait_status.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(server.name, " did not stop after SIGTERM"));
  }
  g_server_pid = 0;
  if (WIFEXITED(*wait_status) && WEXITSTATUS(*wait_status) == 0) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat(server.name, " stopped: ", DescribeWaitStatus(*wait_status)));
}

// ---- The ledger, through its API ---------------------------------------------------------

// What one DisburseFunds call of the benchmark weighs: its request and its
// reply, serialized. The empty-call ceiling is sized to them.
struct CallSizes {
  size_t request_bytes = 0;
  size_t reply_bytes = 0;
};

// The benchmark's traffic through the ledger's real commands and rules: a
// program with wide rules, kConsortiumCount consortia, and payments into them.
class LedgerWorkload {
 public:
  // `channel` as KIAT, `ministry` as the ministry.
  LedgerWorkload(std::shared_ptr<grpc::Channel> channel, std::shared_ptr<grpc::Channel> ministry)
      : commands_(v1::CommandService::NewStub(channel)),
        ministry_(v1::CommandService::NewStub(ministry)),
        queries_(v1::QueryService::NewStub(channel)) {}

  // Establishes the program, opens its selection round, selects the
  // consortia and signs each one's agreement for every year of its term.
  absl::Status Setup() {
    v1::EstablishProgramRequest program;
    program.mutable_meta()->set_event_id(NewUuid());
    v1::ProgramEstablished* p = program.mutable_program();
    p->set_program_id(kProgramId);
    p->set_name_ko("성능 측정 사업");
    p->set_name_en("benchmark program");
    p->set_ministry("산업통상자원부");
    p->set_managing_agency("한국산업기술진흥원 (KIAT)");
    v1::ProgramRules* rules = p->mutable_rules();
    rules->set_first_year(kFirstYear);
    rules->set_last_year(kLastYear);
    rules->set_total_budget_krw(kTotalBudgetKrw);
    rules->set_consortium_limit_krw(kConsortiumLimitKrw);
    rules->set_consortium_annual_limit_krw(kAnnualLimitKrw);
    rules->set_consortium_term_years(kTermYears);
    rules->set_min_midsized_enterprises(kMinMidsized);
    for (const char* excluded : {"KR-11", "KR-28", "KR-41"})
      rules->add_excluded_region_codes(excluded);
    rules->set_hiring_target(kHiringTarget);
    *p->mutable_occurred_at() = Timestamp(kEstablishedAtSeconds);
    if (absl::Status s = Command(&v1::CommandService::Stub::EstablishProgram, program); !s.ok()) {
      return s;
    }
    v1::OpenSelectionRoundRequest round;
    round.mutable_meta()->set_event_id(NewUuid());
    round.mutable_round()->set_program_id(kProgramId);
    round.mutable_round()->set_round_year(kFirstYear);
    round.mutable_round()->set_slots(kConsortiumCount);
    *round.mutable_round()->mutable_occurred_at() = Timestamp(kRoundOpenedAtSeconds);
    if (absl::Status s = Command(&v1::CommandService::Stub::OpenSelectionRound, round); !s.ok()) {
      return Context(s, "OpenSelectionRound");
    }
    for (int i = 0; i < kConsortiumCount; ++i) {
      if (absl::Status s = Command(&v1::CommandService::Stub::SelectConsortium, Selection(i));
          !s.ok()) {
        return Context(s, absl::StrCat("SelectConsortium ", ConsortiumId(i)));
      }
    }
    for (int i = 0; i < kConsortiumCount; ++i) {
      for (int32_t year = kFirstYear; year < kFirstYear + kTermYears; ++year) {
        if (absl::Status s = Command(&v1::CommandService::Stub::SignAgreement, Agreement(i, year));
            !s.ok()) {
          return Context(s, absl::StrCat("SignAgreement ", ConsortiumId(i), " ", year));
        }
      }
    }
    return absl::OkStatus();
  }

  // One payment a call: DisburseFunds. `acknowledged`, when given, gets each
  // call's result as it arrives (on a gRPC thread).
  StartOp Singles(std::function<void(const v1::AppendResult&)> acknowledged = nullptr) {
    return UnaryStart<v1::DisburseFundsRequest, v1::AppendResult>(
        [this](auto* context, auto* request, auto* response, auto on_done) {
          commands_->async()->DisburseFunds(context, request, response, std::move(on_done));
        },
        [this](int) { return SingleRequest(); },
        [this, acknowledged = std::move(acknowledged)](const v1::AppendResult& result) {
          Observe(result);
          if (acknowledged) acknowledged(result);
        },
        /*with_recorder=*/true);
  }

  // One more DisburseFunds, as Singles() makes them, and what its request
  // and reply weighed.
  absl::StatusOr<CallSizes> SampleSingle() {
    const v1::DisburseFundsRequest request = SingleRequest();
    v1::AppendResult result;
    if (absl::Status s = Command(&v1::CommandService::Stub::DisburseFunds, request, &result);
        !s.ok()) {
      return Context(s, "DisburseFunds");
    }
    return CallSizes{request.ByteSizeLong(), result.ByteSizeLong()};
  }

  // kBatchEvents payments to one consortium a call: DisburseFundsBatch.
  StartOp Batches() {
    return UnaryStart<v1::DisburseFundsBatchRequest, v1::AppendResult>(
        [this](auto* context, auto* request, auto* response, auto on_done) {
          commands_->async()->DisburseFundsBatch(context, request, response, std::move(on_done));
        },
        [this](int) { return BatchRequest(); },
        [this](const v1::AppendResult& result) { Observe(result); }, /*with_recorder=*/true);
  }

  // GetConsortium, round-robin over the consortia.
  StartOp Queries() {
    return UnaryStart<v1::GetConsortiumRequest, v1::ConsortiumStatus>(
        [this](auto* context, auto* request, auto* response, auto on_done) {
          queries_->async()->GetConsortium(context, request, response, std::move(on_done));
        },
        [this](int) {
          v1::GetConsortiumRequest request;
          request.set_consortium_id(
              ConsortiumId(next_query_.fetch_add(1, std::memory_order_relaxed) % kConsortiumCount));
          return request;
        },
        nullptr, /*with_recorder=*/false);
  }

  // One DisburseFundsBatch: true when the server implements it, false when
  // it answers UNIMPLEMENTED (the RPC is being built), an error otherwise.
  absl::StatusOr<bool> ProbeBatch() {
    absl::Status status = Command(&v1::CommandService::Stub::DisburseFundsBatch, BatchRequest());
    if (status.code() == absl::StatusCode::kUnimplemented) return false;
    if (!status.ok()) return status;
    return true;
  }

  // Global position of the last event the server acknowledged: the log's size.
  uint64_t log_events() const { return log_events_.load(); }

 private:
  // One blocking command call; its reply into `result` when given.
  template <typename Request>
  absl::Status Command(grpc::Status (v1::CommandService::Stub::*method)(grpc::ClientContext*,
                                                                        const Request&,
                                                                        v1::AppendResult*),
                       const Request& request, v1::AppendResult* result = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    v1::AppendResult reply;
    // The ministry establishes, opens and selects; KIAT does the rest (the
    // rows' authority, services/domain/authority.h).
    v1::CommandService::Stub* stub = commands_.get();
    for (const domain::CommandSpec& spec : domain::Commands()) {
      if (spec.request_type == Request::descriptor() && spec.authority.role == v1::ROLE_MINISTRY) {
        stub = ministry_.get();
      }
    }
    grpc::Status status = (stub->*method)(&context, request, &reply);
    if (status.ok()) Observe(reply);
    if (result != nullptr) *result = std::move(reply);
    return ToAbsl(status);
  }

  // The next payment as one DisburseFunds call.
  v1::DisburseFundsRequest SingleRequest() {
    v1::DisburseFundsRequest request;
    request.mutable_meta()->set_event_id(NewUuid());
    const uint64_t n = next_payment_.fetch_add(1, std::memory_order_relaxed);
    *request.mutable_disbursement() = Payment(n % kConsortiumCount, n);
    return request;
  }

  void Observe(const v1::AppendResult& result) {
    uint64_t seen = log_events_.load(std::memory_order_relaxed);
    while (result.global_position() > seen &&
           !log_events_.compare_exchange_weak(seen, result.global_position())) {
    }
  }

  static absl::Status Context(const absl::Status& status, absl::string_view what) {
    return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
  }

  // Participant ids are business registration numbers: a valid one for each
  // made-up organisation ("bench-c07-univ").
  static std::string ParticipantId(const std::string& consortium_id, absl::string_view member) {
    return testing::TestParticipantId(absl::StrCat(consortium_id, "-", member));
  }

  static v1::SelectConsortiumRequest Selection(int index) {
    const std::string id = ConsortiumId(index);
    const domain::Region* region =
        domain::FindRegion(kRegionCodes[index % std::size(kRegionCodes)]);
    if (region == nullptr)
      Die(absl::StrCat("no region ", kRegionCodes[index % std::size(kRegionCodes)]));
    v1::SelectConsortiumRequest request;
    request.mutable_meta()->set_event_id(NewUuid());
    v1::ConsortiumSelected* s = request.mutable_selection();
    s->set_consortium_id(id);
    s->set_program_id(kProgramId);
    s->set_round_year(kFirstYear);
    s->set_region_code(std::string(region->code));
    s->set_region_name_ko(std::string(region->name_ko));
    s->set_field_ko("로봇");
    s->set_field_en("robotics");
    s->set_lead_participant_id(ParticipantId(id, "univ"));
    auto add = [s](const std::string& participant_id, const std::string& name_ko,
                   v1::ParticipantRole role) {
      v1::Participant* participant = s->add_participants();
      participant->set_participant_id(participant_id);
      participant->set_name_ko(name_ko);
      participant->set_role(role);
    };
    add(ParticipantId(id, "univ"), "벤치마크대학교", v1::PARTICIPANT_ROLE_UNIVERSITY);
    add(ParticipantId(id, "ent-1"), "(주)벤치마크일", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
    add(ParticipantId(id, "ent-2"), "(주)벤치마크이", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
    add(ParticipantId(id, "province"), std::string(region->name_ko),
        v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT);
    *s->mutable_occurred_at() = Timestamp(kSelectedAtSeconds);
    return request;
  }

  // Consortium `index`'s agreement for `year`, at the annual limit.
  static v1::SignAgreementRequest Agreement(int index, int32_t year) {
    v1::SignAgreementRequest request;
    request.mutable_meta()->set_event_id(NewUuid());
    v1::AgreementSigned* agreement = request.mutable_agreement();
    agreement->set_consortium_id(ConsortiumId(index));
    agreement->set_program_year(year);
    agreement->set_grant_krw(kAnnualLimitKrw);
    agreement->set_agreement_reference(absl::StrFormat("BENCH-AGR-%d-%02d", year, index));
    *agreement->mutable_occurred_at() = Timestamp(kSignedAtSeconds);
    return request;
  }

  // Payment number `n` (unique in the run, hence a unique reference) to
  // consortium `index`, in one of the term's years.
  static v1::FundsDisbursed Payment(uint64_t index, uint64_t n) {
    v1::FundsDisbursed funds;
    funds.set_consortium_id(ConsortiumId(static_cast<int>(index)));
    funds.set_program_year(kFirstYear + static_cast<int32_t>(n % kTermYears));
    funds.set_amount_krw(kPaymentAmountKrw);
    funds.set_payment_reference(PaymentReference(n));
    *funds.mutable_occurred_at() = Timestamp(kPaidAtSeconds);
    return funds;
  }

  v1::DisburseFundsBatchRequest BatchRequest() {
    v1::DisburseFundsBatchRequest request;
    request.mutable_meta()->set_event_id(NewUuid());
    const uint64_t consortium =
        next_batch_.fetch_add(1, std::memory_order_relaxed) % kConsortiumCount;
    const uint64_t first = next_payment_.fetch_add(kBatchEvents, std::memory_order_relaxed);
    for (int i = 0; i < kBatchEvents; ++i) {
      *request.add_disbursements() = Payment(consortium, first + i);
    }
    return request;
  }

  std::unique_ptr<v1::CommandService::Stub> commands_;
  std::unique_ptr<v1::CommandService::Stub> ministry_;
  std::unique_ptr<v1::QueryService::Stub> queries_;
  std::atomic<uint64_t> next_payment_{0};
  std::atomic<uint64_t> next_batch_{0};
  std::atomic<uint64_t> next_query_{0};
  std::atomic<uint64_t> log_events_{0};
};

// ---- PostgreSQL, the peer -------------------------------------------------------------------

// One libpq connection; the statements of the peer's workload prepared on it.
class PgConnection {
 public:
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& conninfo) {
    PGconn* conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn);
      PQfinish(conn);
      return absl::UnavailableError("PostgreSQL: " + message);
    }
    return std::unique_ptr<PgConnection>(new PgConnection(conn));
  }
  ~PgConnection() { PQfinish(conn_); }

  // Runs one or more statements without parameters.
  absl::Status Exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    absl::Status status = Check(result, sql);
    PQclear(result);
    return status;
  }

  // The first column of the first row of `sql`, "" when no row.
  absl::StatusOr<std::string> Value(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    absl::Status status = Check(result, sql);
    std::string value;
    if (status.ok() && PQntuples(result) > 0) value = PQgetvalue(result, 0, 0);
    PQclear(result);
    if (!status.ok()) return status;
    return value;
  }

  absl::Status Prepare(const std::string& name, const std::string& sql, int params) {
    PGresult* result = PQprepare(conn_, name.c_str(), sql.c_str(), params, nullptr);
    absl::Status status = Check(result, sql);
    PQclear(result);
    return status;
  }

  // Runs a prepared statement; params are text unless `binary` marks them.
  // Returns the first column of the first row, "" when none.
  absl::StatusOr<std::string> Run(const std::string& name, const std::vector<std::string>& params,
                                  const std::vector<int>& binary = {}) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    for (const std::string& param : params) {
      values.push_back(param.data());
      lengths.push_back(static_cast<int>(param.size()));
    }
    std::vector<int> formats = binary;
    formats.resize(params.size(), 0);
    PGresult* result =
        PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(),
                       lengths.data(), formats.data(), /*resultFormat=*/0);
    absl::Status status = Check(result, name);
    std::string value;
    if (status.ok() && PQntuples(result) > 0) value = PQgetvalue(result, 0, 0);
    PQclear(result);
    if (!status.ok()) return status;
    return value;
  }

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}

  absl::Status Check(PGresult* result, absl::string_view what) {
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
    return absl::InternalError(
        absl::StrCat("PostgreSQL (", what, "): ", PQresultErrorMessage(result)));
  }

  PGconn* conn_;
};

// The peer: what a careful PostgreSQL event store does. An append-only
// events table and a status row per consortium (and one per year of its
// term) written in the same transaction: each payment is one call of one
// prepared plpgsql function (one round trip; autocommit makes it its own
// transaction) that checks the ledger's payment rules under a lock of the
// consortium's row, appends the event and updates the status rows. Its
// second variant also updates the program's summary row, as our read models
// do.

// How the report names the peer (and its variant with the summary row).
std::string PgLabel(bool with_summary) {
  return with_summary ? "PG: function call + program summary row (1 round trip, rules checked)"
                      : "PG: function call (1 round trip, rules checked)";
}

// The peer's tables, in a schema of its own, dropped and made anew so that a
// rerun on the same server starts empty. Rows as the ledger's state has
// them: the program's summary, each consortium's term (its status row: the
// stream's version and the running total against the term limit), each year
// of it (the agreement and the total against the annual limit), and the
// events, each payment's reference unique within its consortium's stream.
constexpr char kPgFunctionSchema[] = R"sql(
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS event_store CASCADE;
CREATE SCHEMA event_store;
CREATE TABLE event_store.events (
  position bigserial PRIMARY KEY,
  stream_id text NOT NULL,
  version bigint NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  payment_reference text,
  payload bytea NOT NULL,
  recorded_at timestamptz NOT NULL,
  UNIQUE (stream_id, version),
  UNIQUE (stream_id, payment_reference));
CREATE TABLE event_store.programs (
  program_id text PRIMARY KEY,
  disbursed_krw bigint NOT NULL DEFAULT 0,
  disbursement_count bigint NOT NULL DEFAULT 0);
CREATE TABLE event_store.consortia (
  consortium_id text PRIMARY KEY,
  program_id text NOT NULL REFERENCES event_store.programs,
  stream_id text NOT NULL UNIQUE,
  active boolean NOT NULL,
  term_first_year integer NOT NULL,
  term_last_year integer NOT NULL,
  limit_total_krw bigint NOT NULL,
  disbursed_total_krw bigint NOT NULL DEFAULT 0,
  disbursement_count bigint NOT NULL DEFAULT 0,
  version bigint NOT NULL DEFAULT 0);
CREATE TABLE event_store.consortium_years (
  consortium_id text NOT NULL REFERENCES event_store.consortia,
  program_year integer NOT NULL,
  annual_limit_krw bigint NOT NULL,
  agreement_signed boolean NOT NULL,
  committed_krw bigint NOT NULL,
  disbursed_krw bigint NOT NULL DEFAULT 0,
  disbursement_count bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (consortium_id, program_year));
)sql";

// One payment, atomically: the ledger's rules for it (services/domain/
// decide.cc, CheckDisbursement, in its order), then the event and the status
// rows. A refusal is the result code the ledger would refuse with and writes
// nothing; 'OK' comes with the event's global position and stream version.
// {AMOUNT_KRW_MAX} is the ledger's validation bound (validation.h).
//
// Concurrency: the consortium's row is locked (FOR UPDATE) before anything is
// read, so payments to one consortium run one after another, each seeing
// the totals, version and references its predecessor committed, as the
// ledger's decider sees its stream. Every writer of a consortium's year rows
// holds that lock first, so the year row needs none of its own; the
// program's row, locked by its UPDATE, always comes last: no lock cycle. Two
// concurrent calls with one event id for two consortia are the one race the
// lock does not cover; the UNIQUE constraint catches it (as an error, not a
// result code).
constexpr char kPgAppendFunction[] = R"sql(
CREATE FUNCTION event_store.append_disbursement(
    p_event_id uuid, p_consortium_id text, p_program_year integer, p_amount_krw bigint,
    p_payment_reference text, p_payload bytea, p_with_program_summary boolean,
    OUT result text, OUT global_position bigint, OUT stream_version bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  c event_store.consortia%ROWTYPE;
  y event_store.consortium_years%ROWTYPE;
BEGIN
  IF p_amount_krw <= 0 OR p_amount_krw > {AMOUNT_KRW_MAX} THEN
    result := 'AMOUNT_OUT_OF_RANGE'; RETURN;
  END IF;
  SELECT * INTO c FROM event_store.consortia WHERE consortium_id = p_consortium_id FOR UPDATE;
  IF NOT FOUND THEN
    result := 'CONSORTIUM_NOT_FOUND'; RETURN;
  END IF;
  -- The ledger answers a retried command from its log; this peer refuses it.
  IF EXISTS (SELECT 1 FROM event_store.events WHERE event_id = p_event_id) THEN
    result := 'EVENT_ID_REUSED'; RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM event_store.events
             WHERE stream_id = c.stream_id AND payment_reference = p_payment_reference) THEN
    result := 'PAYMENT_REFERENCE_ALREADY_USED'; RETURN;
  END IF;
  -- The term lies within the program's period (a consortium is selected
  -- only so), so the term alone decides.
  IF p_program_year < c.term_first_year OR p_program_year > c.term_last_year THEN
    result := 'PROGRAM_YEAR_OUTSIDE_TERM'; RETURN;
  END IF;
  IF NOT c.active THEN
    result := 'CONSORTIUM_NOT_ACTIVE'; RETURN;
  END IF;
  SELECT * INTO y FROM event_store.consortium_years
   WHERE consortium_id = p_consortium_id AND program_year = p_program_year;
  IF NOT FOUND OR NOT y.agreement_signed THEN
    result := 'NO_AGREEMENT_FOR_YEAR'; RETURN;
  END IF;
  IF y.disbursed_krw + p_amount_krw > y.annual_limit_krw THEN
    result := 'ANNUAL_LIMIT_EXCEEDED'; RETURN;
  END IF;
  IF c.disbursed_total_krw + p_amount_krw > c.limit_total_krw THEN
    result := 'CONSORTIUM_LIMIT_EXCEEDED'; RETURN;
  END IF;
  IF y.disbursed_krw + p_amount_krw > y.committed_krw THEN
    result := 'COMMITMENT_EXCEEDED'; RETURN;
  END IF;

  stream_version := c.version + 1;
  INSERT INTO event_store.events
    (stream_id, version, event_id, type, payment_reference, payload, recorded_at)
  VALUES (c.stream_id, stream_version, p_event_id, 'FundsDisbursed', p_payment_reference,
          p_payload, now())
  RETURNING position INTO global_position;
  UPDATE event_store.consortium_years
     SET disbursed_krw = disbursed_krw + p_amount_krw,
         disbursement_count = disbursement_count + 1
   WHERE consortium_id = p_consortium_id AND program_year = p_program_year;
  UPDATE event_store.consortia
     SET disbursed_total_krw = disbursed_total_krw + p_amount_krw,
         disbursement_count = disbursement_count + 1,
         version = stream_version
   WHERE consortium_id = p_consortium_id;
  IF p_with_program_summary THEN
    UPDATE event_store.programs
       SET disbursed_krw = disbursed_krw + p_amount_krw,
           disbursement_count = disbursement_count + 1
     WHERE program_id = c.program_id;
  END IF;
  result := 'OK';
END
$fn$)sql";

// The function's answer to an accepted payment.
constexpr char kPgAccepted[] = "OK";

// One call, one round trip. `SELECT * FROM f(...)`, not `SELECT (f(...)).*`,
// which would run the function once per output column.
constexpr char kPgCallAppend[] =
    "SELECT result, global_position, stream_version "
    "FROM event_store.append_disbursement($1, $2, $3, $4, $5, $6, $7)";
constexpr int kPgCallAppendParams = 7;
constexpr char kPgSelectConsortium[] =
    "SELECT disbursed_total_krw, disbursement_count, version FROM event_store.consortia "
    "WHERE consortium_id = $1";

// The rules check's consortium, outside the workload's: limits small enough
// for a few payments to reach each one. Its term is the workload's; the
// first three years are signed at the annual limit, the fourth below it,
// the fifth not at all.
constexpr char kCheckConsortiumId[] = "bench-rules-check";
constexpr int64_t kCheckAnnualLimitKrw = 1'000;
// Below two years at the annual limit, so that the term limit can refuse a
// payment the annual limit lets through.
constexpr int64_t kCheckLimitTotalKrw = 1'500;
// The fourth year's agreement: below its annual limit, so that the
// commitment can refuse a payment both limits let through.
constexpr int64_t kCheckCommittedKrw = 100;

class PgPeer {
 public:
  explicit PgPeer(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  // Creates the tables (dropping old ones) and the function,
  // enters the program and its consortia as the ledger's Setup() does,
  // proves the function refuses what the ledger refuses, and reads the
  // server's settings.
  absl::Status Setup() {
    absl::StatusOr<std::unique_ptr<PgConnection>> admin = PgConnection::Connect(conninfo_);
    if (!admin.ok()) return admin.status();
    PgConnection& conn = **admin;
    if (absl::Status s = conn.Exec(kPgFunctionSchema); !s.ok()) return s;
    if (absl::Status s = conn.Exec(absl::StrReplaceAll(
            kPgAppendFunction, {{"{AMOUNT_KRW_MAX}", absl::StrCat(domain::kAmountKrwMax)}}));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = Seed(conn); !s.ok()) return s;
    if (absl::Status s = CheckRules(conn); !s.ok()) return s;
    for (const char* setting : {"server_version", "synchronous_commit", "fsync"}) {
      absl::StatusOr<std::string> value = conn.Value(absl::StrCat("SHOW ", setting));
      if (!value.ok()) return value.status();
      settings_[setting] = *value;
    }
    return absl::OkStatus();
  }

  // `count` connections, each with the peer's statements prepared.
  absl::StatusOr<std::vector<std::unique_ptr<PgConnection>>> Connections(int count) {
    std::vector<std::unique_ptr<PgConnection>> connections;
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<std::unique_ptr<PgConnection>> conn = PgConnection::Connect(conninfo_);
      if (!conn.ok()) return conn.status();
      if (absl::Status s = Prepare(**conn); !s.ok()) return s;
      connections.push_back(std::move(*conn));
    }
    return connections;
  }

  // One payment (the next in turn) in one transaction, committed with
  // synchronous_commit=on; with `with_summary`, the program's summary row
  // too.
  absl::Status Append(PgConnection& conn, bool with_summary) {
    const uint64_t n = next_payment_.fetch_add(1, std::memory_order_relaxed);
    std::string payload = payload_;
    std::memcpy(payload.data(), &n, sizeof(n));
    const std::string reference = PaymentReference(n);
    absl::StatusOr<std::string> result =
        CallAppend(conn, NewUuid(), ConsortiumId(static_cast<int>(n % kConsortiumCount)),
                   kFirstYear + static_cast<int32_t>(n % kTermYears), kPaymentAmountKrw, reference,
                   payload, with_summary);
    if (!result.ok()) return result.status();
    if (*result == kPgAccepted) return absl::OkStatus();
    // The workload stays within every rule: a refusal means the workload or
    // the function is wrong, and ends the run as a refused ledger call does.
    return absl::FailedPreconditionError(
        absl::StrCat("PostgreSQL refused payment ", reference, ": ", *result));
  }

  // The status row of the next consortium in turn: one prepared SELECT by
  // primary key.
  absl::Status Query(PgConnection& conn) {
    const std::string consortium = ConsortiumId(
        static_cast<int>(next_query_.fetch_add(1, std::memory_order_relaxed) % kConsortiumCount));
    return conn.Run("fn_select_consortium", {consortium}).status();
  }

  const std::map<std::string, std::string>& settings() const { return settings_; }

 private:
  static absl::Status Prepare(PgConnection& conn) {
    for (auto [name, sql, params] : {std::tuple{"fn_append", kPgCallAppend, kPgCallAppendParams},
                                     std::tuple{"fn_select_consortium", kPgSelectConsortium, 1}}) {
      if (absl::Status s = conn.Prepare(name, sql, params); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // The function's result code for one payment (the prepared "fn_append").
  static absl::StatusOr<std::string> CallAppend(PgConnection& conn, const std::string& event_id,
                                                const std::string& consortium_id,
                                                int32_t program_year, int64_t amount_krw,
                                                const std::string& payment_reference,
                                                const std::string& payload, bool with_summary) {
    return conn.Run("fn_append",
                    {event_id, consortium_id, absl::StrCat(program_year), absl::StrCat(amount_krw),
                     payment_reference, payload, with_summary ? "true" : "false"},
                    /*binary=*/{0, 0, 0, 0, 0, 1, 0});
  }

  // The program, its kConsortiumCount consortia (selected, active, the
  // workload's term and limits) and each one's agreement for every year of
  // its term at the annual limit, as LedgerWorkload::Setup() enters them;
  // and the rules check's consortium.
  static absl::Status Seed(PgConnection& conn) {
    const int32_t term_last_year = kFirstYear + kTermYears - 1;
    std::vector<std::string> consortia;
    for (int i = 0; i < kConsortiumCount; ++i) {
      consortia.push_back(absl::StrFormat("('%s', '%s', 'consortium-%s', true, %d, %d, %d)",
                                          ConsortiumId(i), kProgramId, ConsortiumId(i), kFirstYear,
                                          term_last_year, kConsortiumLimitKrw));
    }
    consortia.push_back(absl::StrFormat("('%s', '%s', 'consortium-%s', true, %d, %d, %d)",
                                        kCheckConsortiumId, kProgramId, kCheckConsortiumId,
                                        kFirstYear, term_last_year, kCheckLimitTotalKrw));
    return conn.Exec(absl::StrCat(
        "INSERT INTO event_store.programs (program_id) VALUES ('", kProgramId, "');\n",
        "INSERT INTO event_store.consortia (consortium_id, program_id, stream_id, active, ",
        "term_first_year, term_last_year, limit_total_krw) VALUES\n",
        absl::StrJoin(consortia, ",\n"), ";\n",
        "INSERT INTO event_store.consortium_years (consortium_id, program_year, ",
        "annual_limit_krw, agreement_signed, committed_krw)\n",
        absl::StrFormat("SELECT consortium_id, year, %d, true, %d ", kAnnualLimitKrw,
                        kAnnualLimitKrw),
        "FROM event_store.consortia, generate_series(term_first_year, term_last_year) AS year ",
        "WHERE consortium_id <> '", kCheckConsortiumId, "';\n",
        "INSERT INTO event_store.consortium_years (consortium_id, program_year, ",
        "annual_limit_krw, agreement_signed, committed_krw) VALUES\n",
        absl::StrFormat("('%s', %d, %d, true, %d), ", kCheckConsortiumId, kFirstYear,
                        kCheckAnnualLimitKrw, kCheckAnnualLimitKrw),
        absl::StrFormat("('%s', %d, %d, true, %d), ", kCheckConsortiumId, kFirstYear + 1,
                        kCheckAnnualLimitKrw, kCheckAnnualLimitKrw),
        absl::StrFormat("('%s', %d, %d, true, %d), ", kCheckConsortiumId, kFirstYear + 2,
                        kCheckAnnualLimitKrw, kCheckAnnualLimitKrw),
        absl::StrFormat("('%s', %d, %d, true, %d), ", kCheckConsortiumId, kFirstYear + 3,
                        kCheckAnnualLimitKrw, kCheckCommittedKrw),
        absl::StrFormat("('%s', %d, %d, false, 0);", kCheckConsortiumId, kFirstYear + 4,
                        kCheckAnnualLimitKrw)));
  }

  // Payments to the rules check's consortium, each with the result code the
  // ledger would give: the function must refuse what the ledger refuses and
  // take what it takes, or the run stops before measuring it. Not timed.
  absl::Status CheckRules(PgConnection& admin) {
    if (absl::Status s = Prepare(admin); !s.ok()) return s;
    struct Payment {
      const char* what;
      int32_t program_year;
      int64_t amount_krw;
      const char* reference;
      const char* expected;
    };
    const std::string first_event_id = NewUuid();
    const Payment payments[] = {
        {"a payment within every limit", kFirstYear, 600, "CHECK-1", kPgAccepted},
        {"its reference again", kFirstYear, 1, "CHECK-1", "PAYMENT_REFERENCE_ALREADY_USED"},
        {"600 + 401 over the annual 1,000", kFirstYear, 401, "CHECK-2", "ANNUAL_LIMIT_EXCEEDED"},
        {"600 + 901 over the term's 1,500", kFirstYear + 1, 901, "CHECK-3",
         "CONSORTIUM_LIMIT_EXCEEDED"},
        {"101 over the fourth year's 100 agreed", kFirstYear + 3, 101, "CHECK-4",
         "COMMITMENT_EXCEEDED"},
        {"a year with no agreement", kFirstYear + 4, 1, "CHECK-5", "NO_AGREEMENT_FOR_YEAR"},
        {"the year after the term", kFirstYear + kTermYears, 1, "CHECK-6",
         "PROGRAM_YEAR_OUTSIDE_TERM"},
        {"no amount", kFirstYear, 0, "CHECK-7", "AMOUNT_OUT_OF_RANGE"},
        {"600 + 400: the annual limit exactly", kFirstYear, 400, "CHECK-8", kPgAccepted},
    };
    for (const Payment& payment : payments) {
      absl::StatusOr<std::string> result =
          CallAppend(admin, &payment == &payments[0] ? first_event_id : NewUuid(),
                     kCheckConsortiumId, payment.program_year, payment.amount_krw,
                     payment.reference, payload_, /*with_summary=*/false);
      if (!result.ok()) return result.status();
      if (*result != payment.expected) {
        return absl::InternalError(absl::StrCat("the PostgreSQL function's rules: ", payment.what,
                                                " gave ", *result, ", not ", payment.expected));
      }
    }
    absl::StatusOr<std::string> reused =
        CallAppend(admin, first_event_id, kCheckConsortiumId, kFirstYear + 1, 1, "CHECK-9",
                   payload_, /*with_summary=*/false);
    if (!reused.ok()) return reused.status();
    if (*reused != "EVENT_ID_REUSED") {
      return absl::InternalError(
          absl::StrCat("the PostgreSQL function's rules: a reused event id gave ", *reused));
    }
    // The two accepted payments, and nothing of the refused ones, in the rows.
    absl::StatusOr<std::string> totals = admin.Value(absl::StrCat(
        "SELECT c.disbursed_total_krw || '/' || c.version || '/' || y.disbursed_krw || '/' || "
        "(SELECT count(*) FROM event_store.events e WHERE e.stream_id = c.stream_id) "
        "FROM event_store.consortia c JOIN event_store.consortium_years y USING (consortium_id) "
        "WHERE c.consortium_id = '",
        kCheckConsortiumId, "' AND y.program_year = ", kFirstYear));
    if (!totals.ok()) return totals.status();
    constexpr char kExpectedTotals[] = "1000/2/1000/2";  // KRW, version, year's KRW, events
    if (*totals != kExpectedTotals) {
      return absl::InternalError(absl::StrCat(
          "the PostgreSQL function's rows after the rules check: total / version / year / events "
          "= ",
          *totals, ", not ", kExpectedTotals));
    }
    return absl::OkStatus();
  }

  const std::string conninfo_;
  const std::string payload_ = RandomValue(2);
  std::atomic<uint64_t> next_payment_{0};
  std::atomic<uint64_t> next_query_{0};
  std::map<std::string, std::string> settings_;
};

// ---- Results and the report -------------------------------------------------------------

struct MemoryReading {
  uint64_t events = 0;
  int64_t rss_kib = 0;
};

struct RebuildResult {
  uint64_t events = 0;
  size_t models = 0;
  double fold_seconds = 0;
  double total_seconds = 0;  // fold + ReplaceModels
  // The same with the rule index (what an upgrade from an older format
  // does): not the target's measure, shown beside it.
  size_t rule_entries = 0;
  double full_fold_seconds = 0;
  double full_total_seconds = 0;
  double FullEventsPerSecond() const {
    return full_total_seconds > 0 ? events / full_total_seconds : 0;
  }
  double EventsPerSecond() const { return total_seconds > 0 ? events / total_seconds : 0; }
  double FoldEventsPerSecond() const { return fold_seconds > 0 ? events / fold_seconds : 0; }
};

// A server's VmRSS and VmHWM just before and just after a point (0: not
// read).
struct MemorySpan {
  int64_t rss_before_kib = 0;
  int64_t rss_after_kib = 0;
  int64_t hwm_before_kib = 0;
  int64_t hwm_after_kib = 0;
};

// One call over the whole log (ReadLog, VerifyLog), read to its end.
struct WholeLogCall {
  uint64_t events = 0;
  // ReadLog: the canonical_bytes the client received, summed.
  int64_t canonical_bytes = 0;
  // VerifyLog: the progress messages before the result.
  uint64_t progress_messages = 0;
  double seconds = 0;
  double server_cpu_seconds = 0;
  // allianced's memory around the call, and the most VmRSS read during it
  // (every kMemorySampleInterval).
  MemorySpan memory;
  int64_t rss_max_kib = 0;
  double EventsPerSecond() const { return seconds > 0 ? events / seconds : 0; }
  double MibPerSecond() const {
    return seconds > 0 ? canonical_bytes / (1024.0 * 1024.0) / seconds : 0;
  }
  double ServerCpuUsPerEvent() const { return events > 0 ? server_cpu_seconds * 1e6 / events : 0; }
};

// One Subscribe from the log's end while kSubscriptionWriters append.
struct SubscriptionLag {
  // Per acknowledged payment, the time from its acknowledgement at its
  // caller to the subscriber receiving its event, in microseconds; negative
  // when the event arrived first. Sorted (PercentileMs).
  LoadResult lag;
  LoadResult appends;
  uint64_t appended = 0;    // payments acknowledged
  uint64_t delivered = 0;   // of their events, received once each
  uint64_t duplicated = 0;  // events received again or out of order
  uint64_t before_acknowledged = 0;
  uint64_t checkpoints = 0;
};

// The audit points, on the log once it held --rebuild_events.
struct AuditResults {
  // The log's size when they started, and the setup's events before the
  // first payment (as-of positions are drawn after it).
  uint64_t log_events = 0;
  uint64_t setup_events = 0;
  // Whether the server answers AuditService (GetTreeHead), and as-of
  // queries (a build before issue 14 has neither).
  bool audit_implemented = false;
  bool as_of_implemented = false;
  std::optional<WholeLogCall> read_log;
  std::optional<WholeLogCall> verify_log;
  std::optional<LoadResult> as_of_position;  // sorted latencies, 1 in flight
  std::optional<LoadResult> as_of_time;
  MemorySpan as_of_memory;  // around both as-of points
  std::optional<SubscriptionLag> subscription;
  MemorySpan subscription_memory;
};

// The PostgreSQL peer's figures.
struct PgResults {
  std::map<int, LoadResult> status;   // event + status row(s), by connections
  std::map<int, LoadResult> summary;  // ... + the program's summary row
  std::optional<LoadResult> queries;  // status row SELECT at kQueryInFlight
  std::optional<LoadResult> query_appends;
  // The same with the appends held at kHeldAppendsPerSecond.
  std::optional<LoadResult> held_queries;
  std::optional<LoadResult> held_appends;
};

struct Results {
  std::map<int, LoadResult> rocks_single;  // by threads
  std::optional<LoadResult> rocks_batch;
  // bench_empty_server, by calls in flight; server_cpu_seconds is its CPU.
  std::map<int, LoadResult> empty_call;
  // The same empty call in plaintext: against the above, what mutual TLS
  // costs a call.
  std::map<int, LoadResult> empty_call_plaintext;
  // A DisburseFunds call of the benchmark (sampled after the measured
  // points), and the empty call sized to it.
  CallSizes ledger_call;
  CallSizes empty_call_sizes;
  std::map<int, LoadResult> ours_single;
  bool batch_implemented = false;
  std::optional<LoadResult> ours_batch;
  std::optional<LoadResult> ours_queries;
  std::optional<LoadResult> ours_query_appends;
  // The same with the appends held at kHeldAppendsPerSecond, and the cores
  // allianced used over it (queries and appends together).
  std::optional<LoadResult> ours_held_queries;
  // The same status query through each face, kFaceCallers at once.
  std::optional<LoadResult> face_grpc;
  std::optional<LoadResult> face_https;
  std::optional<LoadResult> ours_held_appends;
  double ours_held_server_cores = -1;
  std::vector<MemoryReading> memory;
  int64_t peak_kib = 0;
  // VmHWM before the audit points: what the row above read in the reports
  // before them.
  int64_t peak_before_audit_kib = 0;
  int64_t store_bytes = 0;
  AuditResults audit;
  RebuildResult rebuild;
  bool pg_ran = false;
  std::map<std::string, std::string> pg_settings;
  PgResults pg_function;
};

// A Markdown table: the first `left_columns` columns are text (left-aligned),
// the rest figures (right-aligned).
class Table {
 public:
  explicit Table(std::vector<std::string> header, size_t left_columns = 1)
      : header_(std::move(header)), left_columns_(left_columns) {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const {
    std::string out = "| " + absl::StrJoin(header_, " | ") + " |\n|";
    for (size_t i = 0; i < header_.size(); ++i) out += i < left_columns_ ? " --- |" : " ---: |";
    out += "\n";
    for (const std::vector<std::string>& row : rows_)
      out += "| " + absl::StrJoin(row, " | ") + " |\n";
    return out;
  }

 private:
  std::vector<std::string> header_;
  size_t left_columns_;
  std::vector<std::vector<std::string>> rows_;
};

std::string RatioOf(double value, double ceiling) {
  return ceiling > 0 ? Ratio(value / ceiling) : "n/a";
}

std::string LatencyCell(const LoadResult& result) {
  return absl::StrCat(Ms(result.PercentileMs(0.5)), " / ", Ms(result.PercentileMs(0.99)));
}

// Whether a held query point's appends reached kHeldAppendsPerSecond (within
// kHeldRateReachedFraction).
bool ReachedHeldRate(const LoadResult& appends) {
  return appends.EventsPerSecond() >= kHeldRateReachedFraction * kHeldAppendsPerSecond;
}

// A held query point's appends: "1,998 events/s", and when they fell short
// "1,712 events/s: did not reach the held rate (2,000/s)". `unit` names
// what an append is ("events", "tx").
std::string HeldAppendsCell(const LoadResult& appends, absl::string_view unit) {
  std::string cell = absl::StrCat(Grouped(appends.EventsPerSecond()), " ", unit, "/s");
  if (!ReachedHeldRate(appends)) {
    absl::StrAppend(&cell, ": did not reach the held rate (", Grouped(kHeldAppendsPerSecond),
                    "/s)");
  }
  return cell;
}

// The server's CPU time per event of the point, "" when not measured.
std::string CpuCell(const LoadResult& result) {
  const double us = result.ServerCpuUsPerEvent();
  return us >= 0 ? absl::StrFormat("%.1f us", us) : "";
}

struct Machine {
  std::string cpu;
  long cpus = 0;
  std::string memory;
  std::string kernel;
  std::string filesystem;
  std::string load_before;
};

Machine DescribeMachine(const std::string& temp_dir) {
  Machine machine;
  machine.cpus = sysconf(_SC_NPROCESSORS_ONLN);
  machine.cpu = ProcField("/proc/cpuinfo", "model name");
  if (machine.cpu.empty()) machine.cpu = "unknown";
  std::string mem = ProcField("/proc/meminfo", "MemTotal");
  int64_t mem_kib = 0;
  if (std::sscanf(mem.c_str(), "%ld", &mem_kib) == 1) {
    machine.memory = absl::StrFormat("%.1f GiB", mem_kib / (1024.0 * 1024.0));
  }
  utsname names{};
  if (uname(&names) == 0) machine.kernel = absl::StrCat(names.sysname, " ", names.release);
  // The mount holding the temp dir: the longest mount point that prefixes it.
  std::istringstream mounts(ReadFile("/proc/mounts"));
  size_t best = 0;
  for (std::string line; std::getline(mounts, line);) {
    std::istringstream fields(line);
    std::string device, mount_point, type;
    fields >> device >> mount_point >> type;
    const bool covers = absl::StartsWith(temp_dir, mount_point) &&
                        (mount_point == "/" || temp_dir.size() == mount_point.size() ||
                         temp_dir[mount_point.size()] == '/');
    if (covers && mount_point.size() >= best) {
      best = mount_point.size();
      machine.filesystem = absl::StrCat(type, " (", device, " on ", mount_point, ")");
    }
  }
  machine.load_before = ReadFile("/proc/loadavg");
  while (!machine.load_before.empty() && machine.load_before.back() == '\n') {
    machine.load_before.pop_back();
  }
  return machine;
}

struct Target {
  std::string what;
  std::string measured;
  std::string goal;
  std::optional<bool> pass;  // nullopt: not measured in this run
};

std::vector<Target> EvaluateTargets(const Results& r) {
  std::vector<Target> targets;
  auto at = [](const std::map<int, LoadResult>& points, int n) -> const LoadResult* {
    auto it = points.find(n);
    return it == points.end() ? nullptr : &it->second;
  };
  const LoadResult* single64 = at(r.ours_single, 64);
  const LoadResult* empty64 = at(r.empty_call, 64);
  const LoadResult* empty16 = at(r.empty_call, 16);
  if (single64 && empty64) {
    const double ratio = single64->EventsPerSecond() / empty64->OpsPerSecond();
    targets.push_back({"single-event synced appends, 64 callers, vs the empty call at 64",
                       Ratio(ratio), absl::StrCat(">= ", Ratio(kSingleVsEmptyTarget)),
                       ratio >= kSingleVsEmptyTarget});
  }
  if (r.rocks_batch) {
    if (r.ours_batch) {
      const double ratio = r.ours_batch->EventsPerSecond() / r.rocks_batch->EventsPerSecond();
      targets.push_back({"100-event batches vs raw RocksDB 100-value synced batches", Ratio(ratio),
                         absl::StrCat(">= ", Ratio(kBatchVsRocksTarget)),
                         ratio >= kBatchVsRocksTarget});
    } else {
      targets.push_back({"100-event batches vs raw RocksDB 100-value synced batches",
                         "n/a (DisburseFundsBatch unimplemented)",
                         absl::StrCat(">= ", Ratio(kBatchVsRocksTarget)), std::nullopt});
    }
  }
  if (r.ours_queries && empty16) {
    const double ratio = r.ours_queries->OpsPerSecond() / empty16->OpsPerSecond();
    targets.push_back({"status queries at 16 while 16 append, vs the empty call at 16",
                       Ratio(ratio), absl::StrCat(">= ", Ratio(kQueryVsEmptyTarget)),
                       ratio >= kQueryVsEmptyTarget});
    const double p99 = r.ours_queries->PercentileMs(0.99);
    targets.push_back({"status query p99 at 16 while appends run", Ms(p99),
                       absl::StrCat("< ", Ms(kQueryP99TargetMs)), p99 < kQueryP99TargetMs});
  }
  targets.push_back({absl::StrCat("read-model rebuild of ", Grouped(r.rebuild.events), " events"),
                     absl::StrCat(Grouped(r.rebuild.EventsPerSecond()), " events/s"),
                     absl::StrCat(">= ", Grouped(kRebuildTargetEventsPerSecond), " events/s"),
                     r.rebuild.EventsPerSecond() >= kRebuildTargetEventsPerSecond});
  if (r.memory.size() == 2 && r.memory[0].rss_kib > 0) {
    const double growth = static_cast<double>(r.memory[1].rss_kib) / r.memory[0].rss_kib;
    targets.push_back(
        {absl::StrCat("server memory flat as the log grows (VmRSS at ", Grouped(r.memory[1].events),
                      " / at ", Grouped(r.memory[0].events), " events)"),
         absl::StrCat(Mib(r.memory[0].rss_kib), " -> ", Mib(r.memory[1].rss_kib), ": ",
                      Ratio(growth)),
         absl::StrCat("<= ", Ratio(kRssGrowthMax)), growth <= kRssGrowthMax});
  }
  // Issue 14's, on the long log: n/a from a server without them.
  const AuditResults& a = r.audit;
  if (a.log_events > 0) {
    const std::string verify =
        absl::StrCat("VerifyLog of the whole log (", Grouped(a.log_events), " events)");
    const std::string verify_goal =
        absl::StrCat(">= ", Grouped(kVerifyLogTargetEventsPerSecond), " events/s");
    if (a.verify_log) {
      const double rate = a.verify_log->EventsPerSecond();
      targets.push_back({verify, absl::StrCat(Grouped(rate), " events/s"), verify_goal,
                         rate >= kVerifyLogTargetEventsPerSecond});
    } else {
      targets.push_back(
          {verify, "n/a (the server has no AuditService)", verify_goal, std::nullopt});
    }
    const std::string as_of = absl::StrCat(
        "status query as of a random position (GetConsortium as_of_position) on a log of ",
        Grouped(a.log_events), " events, p50 at 1 in flight");
    const std::string as_of_goal = absl::StrCat("< ", Ms(kAsOfP50TargetMs));
    if (a.as_of_position) {
      const double p50 = a.as_of_position->PercentileMs(0.5);
      targets.push_back({as_of, Ms(p50), as_of_goal, p50 < kAsOfP50TargetMs});
    } else {
      targets.push_back({as_of, "n/a (the server has no as-of queries)", as_of_goal, std::nullopt});
    }
  }
  const LoadResult* pg_status64 = at(r.pg_function.status, 64);
  const LoadResult* pg_summary64 = at(r.pg_function.summary, 64);
  if (single64 && pg_status64) {
    const double ratio = single64->EventsPerSecond() / pg_status64->OpsPerSecond();
    targets.push_back(
        {"appends at 64 vs PostgreSQL at 64 (function call: rules, event + status rows)",
         Ratio(ratio), absl::StrCat(">= ", Ratio(kVsPgStatusTarget)), ratio >= kVsPgStatusTarget});
  }
  if (single64 && pg_summary64) {
    const double ratio = single64->EventsPerSecond() / pg_summary64->OpsPerSecond();
    targets.push_back(
        {"appends at 64 vs PostgreSQL at 64 (function call: rules, event + status + summary rows)",
         Ratio(ratio), absl::StrCat(">= ", Ratio(kVsPgSummaryTarget)),
         ratio >= kVsPgSummaryTarget});
  }
  // Status queries against PostgreSQL's in the same run: with the appends
  // free-running, and held at one rate for both peers (so that neither
  // peer's appenders take more of the CPU the queries need).
  const std::string queries_vs_pg =
      absl::StrCat("status queries at ", kQueryInFlight, " while ", kQueryAppenders,
                   " append vs PostgreSQL's status-row lookup in the same run");
  const PgResults& pg = r.pg_function;
  if (r.ours_queries && pg.queries) {
    const double ratio = r.ours_queries->OpsPerSecond() / pg.queries->OpsPerSecond();
    targets.push_back({absl::StrCat(queries_vs_pg, " (free-running appends)"), Ratio(ratio),
                       absl::StrCat(">= ", Ratio(kQueriesVsPgTarget)),
                       ratio >= kQueriesVsPgTarget});
  }
  if (r.ours_held_queries && r.ours_held_appends && pg.held_queries && pg.held_appends) {
    const double ratio = r.ours_held_queries->OpsPerSecond() / pg.held_queries->OpsPerSecond();
    std::string measured = Ratio(ratio);
    if (!ReachedHeldRate(*r.ours_held_appends)) {
      absl::StrAppend(&measured, " (ours did not reach the held rate)");
    }
    if (!ReachedHeldRate(*pg.held_appends)) {
      absl::StrAppend(&measured, " (PostgreSQL did not reach the held rate)");
    }
    targets.push_back({absl::StrCat(queries_vs_pg, " (both peers' appends held at ",
                                    Grouped(kHeldAppendsPerSecond), " events/s)"),
                       measured, absl::StrCat(">= ", Ratio(kQueriesVsPgTarget)),
                       ratio >= kQueriesVsPgTarget});
  }
  return targets;
}

// The ledger's own server CPU per event at `n` in flight: allianced's CPU per
// DisburseFunds event minus bench_empty_server's per empty call of the same
// size at the same calls in flight, i.e. what the ledger adds to a gRPC
// call. nullopt when either was not measured.
struct OwnCpu {
  double ledger_us = 0;
  double empty_us = 0;
  double own_us() const { return ledger_us - empty_us; }
};

std::optional<OwnCpu> OwnCpuAt(const Results& r, int n) {
  auto ours = r.ours_single.find(n);
  auto empty = r.empty_call.find(n);
  if (ours == r.ours_single.end() || empty == r.empty_call.end()) return std::nullopt;
  OwnCpu cpu{ours->second.ServerCpuUsPerEvent(), empty->second.ServerCpuUsPerEvent()};
  if (cpu.ledger_us < 0 || cpu.empty_us < 0) return std::nullopt;
  return cpu;
}

// "1 in flight: 300.1 us (460.4 - 160.3); 16 in flight: ...", "" when not
// measured.
std::string OwnCpuSummary(const Results& r) {
  std::vector<std::string> parts;
  for (int n : kConcurrencies) {
    if (std::optional<OwnCpu> cpu = OwnCpuAt(r, n)) {
      parts.push_back(absl::StrFormat("%d in flight: %.1f us (%.1f - %.1f)", n, cpu->own_us(),
                                      cpu->ledger_us, cpu->empty_us));
    }
  }
  return absl::StrJoin(parts, "; ");
}

// "66.4 -> 67.0 MiB".
std::string MemoryChange(int64_t before_kib, int64_t after_kib) {
  return absl::StrFormat("%.1f -> %.1f MiB", before_kib / 1024.0, after_kib / 1024.0);
}

// "VmRSS 66.4 -> 67.0 MiB; VmHWM 75.2 -> 75.2 MiB", "" when not read.
std::string MemoryCell(const MemorySpan& span) {
  if (span.rss_before_kib == 0) return "";
  return absl::StrCat("VmRSS ", MemoryChange(span.rss_before_kib, span.rss_after_kib), "; VmHWM ",
                      MemoryChange(span.hwm_before_kib, span.hwm_after_kib));
}

// The "## Audit" section: the audit points on the long log.
std::string RenderAudit(const AuditResults& a) {
  if (a.log_events == 0) return "";
  std::string out = absl::StrCat("## Audit, on the log of ", Grouped(a.log_events), " events\n\n");
  Table t({"point", "size", "rate", "p50 / p99", "server CPU per event",
           "allianced's memory around the point; notes"});
  if (a.read_log) {
    const WholeLogCall& read = *a.read_log;
    t.Add({"ReadLog, the whole log: one call (empty request), read to its end",
           absl::StrFormat("%s events, %.1f MiB of canonical_bytes", Grouped(read.events),
                           read.canonical_bytes / (1024.0 * 1024.0)),
           absl::StrFormat("%s events/s, %.1f MiB/s", Grouped(read.EventsPerSecond()),
                           read.MibPerSecond()),
           absl::StrFormat("the call: %.2f s", read.seconds),
           absl::StrFormat("%.2f us", read.ServerCpuUsPerEvent()),
           absl::StrCat(MemoryCell(read.memory), "; VmRSS at most ", Mib(read.rss_max_kib),
                        " during it")});
  }
  if (a.verify_log) {
    const WholeLogCall& verify = *a.verify_log;
    t.Add({"VerifyLog, the whole log: one call, the signed head as the trusted head",
           absl::StrCat(Grouped(verify.events),
                        " events; progress messages: ", verify.progress_messages),
           absl::StrCat(Grouped(verify.EventsPerSecond()), " events/s: verified"),
           absl::StrFormat("the call: %.2f s", verify.seconds),
           absl::StrFormat("%.2f us", verify.ServerCpuUsPerEvent()),
           absl::StrCat(MemoryCell(verify.memory), "; VmRSS at most ", Mib(verify.rss_max_kib),
                        " during it")});
  }
  if (!a.audit_implemented) {
    t.Add(
        {"ReadLog, VerifyLog, Subscribe", "", "n/a (the server has no AuditService)", "", "", ""});
  }
  if (a.as_of_position) {
    t.Add(
        {"GetConsortium as_of_position: a random consortium as of a random position, 1 in "
         "flight",
         absl::StrCat(a.as_of_position->ops, " queries"),
         absl::StrCat(Grouped(a.as_of_position->OpsPerSecond()), " queries/s"),
         LatencyCell(*a.as_of_position), "",
         absl::StrCat(MemoryCell(a.as_of_memory), " (over both as-of points)")});
  }
  if (a.as_of_time) {
    t.Add({"GetConsortium as_of_time: a random consortium as of a random time, 1 in flight",
           absl::StrCat(a.as_of_time->ops, " queries"),
           absl::StrCat(Grouped(a.as_of_time->OpsPerSecond()), " queries/s"),
           LatencyCell(*a.as_of_time), "", ""});
  }
  if (!a.as_of_implemented) {
    t.Add({"GetConsortium as of a position or a time", "",
           "n/a (the server ignores as_of_position)", "", "", ""});
  }
  if (a.subscription) {
    const SubscriptionLag& sub = *a.subscription;
    t.Add({absl::StrCat("Subscribe from the log's end while ", kSubscriptionWriters,
                        " DisburseFunds callers append: the lag from each payment's "
                        "acknowledgement to its event's delivery"),
           absl::StrCat(Grouped(sub.delivered), " delivered of ", Grouped(sub.appended),
                        " appended, ", sub.duplicated, " duplicated"),
           absl::StrCat("appends ", Grouped(sub.appends.EventsPerSecond()), " events/s"),
           absl::StrCat("lag ", LatencyCell(sub.lag)), "",
           absl::StrCat(
               Grouped(sub.before_acknowledged), " events (",
               absl::StrFormat("%.0f %%", sub.delivered > 0
                                              ? 100.0 * sub.before_acknowledged / sub.delivered
                                              : 0.0),
               ") delivered before their acknowledgement (a negative lag); ", sub.checkpoints,
               " checkpoints; ", MemoryCell(a.subscription_memory))});
  }
  absl::StrAppend(&out, t.Render(), "\n");
  return out;
}

std::string RenderReport(const Results& r, const Machine& machine, const std::string& command,
                         const std::string& load_after) {
  std::string out = "# Alliance case ledger: performance report\n\n";
  absl::StrAppend(
      &out, "Produced by `tests/bench/run.sh` (`build/tests/bench/ledger_bench`, ",
      "tests/bench/ledger_bench.cc) on ",
      absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::Now(), absl::UTCTimeZone()),
      ". Every figure comes from this one run; each ratio is to the ceiling measured in the same "
      "run on the same machine. ",
      absl::StrFormat("Each point ran %.1f s measured after %.1f s of warm-up. ",
                      g_settings.seconds, g_settings.warmup_seconds),
      "Latencies are per call, as the caller sees them (p50 / p99).\n\n");

  absl::StrAppend(&out, "## Machine\n\n");
  Table m({"", ""}, /*left_columns=*/2);
  m.Add({"CPU", absl::StrCat(machine.cpu, ", ", machine.cpus, " online")});
  m.Add({"memory", machine.memory});
  m.Add({"kernel", machine.kernel});
  m.Add({"stores' file system", machine.filesystem});
  m.Add({"load average before / after",
         absl::StrCat("`", machine.load_before, "` / `", load_after, "`")});
  if (r.pg_ran) {
    m.Add({"PostgreSQL", absl::StrCat(r.pg_settings.at("server_version"), ", synchronous_commit=",
                                      r.pg_settings.at("synchronous_commit"),
                                      ", fsync=", r.pg_settings.at("fsync"))});
  }
  absl::StrAppend(&out, m.Render(), "\n## Command\n\n");
  // tests/bench/run.sh names itself in BENCH_COMMAND; the benchmark's own
  // command line follows (its PostgreSQL port changes every run).
  if (const char* wrapper = std::getenv("BENCH_COMMAND"); wrapper != nullptr && *wrapper) {
    absl::StrAppend(&out, "`", wrapper, "`, which ran:\n\n");
  }
  absl::StrAppend(&out, "```sh\n", command, "\n```\n\n");
  if (const char* revision = std::getenv("BENCH_REVISION"); revision != nullptr && *revision) {
    absl::StrAppend(&out, "The source measured: `", revision, "`.\n\n");
  }

  absl::StrAppend(&out, "## Targets\n\n");
  Table t({"target", "measured", "goal", "result"}, /*left_columns=*/4);
  for (const Target& target : EvaluateTargets(r)) {
    t.Add({target.what, target.measured, target.goal,
           !target.pass ? "n/a" : (*target.pass ? "pass" : "**miss**")});
  }
  absl::StrAppend(&out, t.Render(), "\n");
  if (const std::string own = OwnCpuSummary(r); !own.empty()) {
    absl::StrAppend(&out,
                    "The ledger's own cost, not a target: allianced's server CPU per "
                    "DisburseFunds event minus bench_empty_server's CPU per empty call of the "
                    "same size, at the same calls in flight (ledger - empty): ",
                    own, ".\n\n");
  }

  absl::StrAppend(&out, "## Ceilings\n\n");
  Table c({"ceiling", "concurrency", "rate", "p50 / p99", "server CPU per call"});
  for (const auto& [n, result] : r.rocks_single) {
    c.Add({"raw RocksDB synced Put, 300-byte value", absl::StrCat(n, " threads"),
           absl::StrCat(Grouped(result.OpsPerSecond()), " writes/s"), LatencyCell(result), ""});
  }
  if (r.rocks_batch) {
    c.Add({"raw RocksDB synced WriteBatch of 100 x 300-byte values",
           absl::StrCat(kBatchInFlight, " threads"),
           absl::StrCat(Grouped(r.rocks_batch->EventsPerSecond()), " values/s (",
                        Grouped(r.rocks_batch->OpsPerSecond()), " batches/s)"),
           LatencyCell(*r.rocks_batch), ""});
  }
  for (const auto& [n, result] : r.empty_call) {
    c.Add({absl::StrCat("empty gRPC unary call to bench_empty_server over mutual TLS (a process "
                        "of its own; ",
                        r.empty_call_sizes.request_bytes, "-byte request, ",
                        r.empty_call_sizes.reply_bytes, "-byte reply)"),
           absl::StrCat(n, " in flight"), absl::StrCat(Grouped(result.OpsPerSecond()), " calls/s"),
           LatencyCell(result), CpuCell(result)});
  }
  for (const auto& [n, result] : r.empty_call_plaintext) {
    c.Add({"the same empty call in plaintext", absl::StrCat(n, " in flight"),
           absl::StrCat(Grouped(result.OpsPerSecond()), " calls/s"), LatencyCell(result),
           CpuCell(result)});
  }
  absl::StrAppend(&out, c.Render(), "\n");
  if (!r.empty_call.empty()) {
    absl::StrAppend(
        &out, "The empty call weighs what a DisburseFunds call of this run weighed: its request ",
        r.empty_call_sizes.request_bytes,
        " bytes serialized (DisburseFundsRequest: ", r.ledger_call.request_bytes, "), its reply ",
        r.empty_call_sizes.reply_bytes, " bytes (AppendResult: ", r.ledger_call.reply_bytes,
        "), over mutual TLS with the same kind of certificate and the same deadline. Its server "
        "is a separate process, as allianced is, and answers at once from gRPC's callback API. "
        "It is measured after the ledger's points, whose sizes it takes. Server CPU per call: "
        "the user + system time of every bench_empty_server thread over the point, divided by "
        "the calls.\n\n");
  }
  for (const auto& [n, tls] : r.empty_call) {
    auto plain = r.empty_call_plaintext.find(n);
    if (plain == r.empty_call_plaintext.end()) continue;
    const double tls_us = tls.ServerCpuUsPerEvent();
    const double plain_us = plain->second.ServerCpuUsPerEvent();
    if (tls_us < 0 || plain_us < 0) continue;
    absl::StrAppend(&out, "**What mutual TLS costs a call, ", n, " in flight:** ",
                    absl::StrFormat("%.1f", tls_us - plain_us),
                    " µs of server CPU a call (the empty call: ", absl::StrFormat("%.1f", plain_us),
                    " µs in plaintext, ", absl::StrFormat("%.1f", tls_us), " over mutual TLS; ",
                    Grouped(plain->second.OpsPerSecond()), " against ", Grouped(tls.OpsPerSecond()),
                    " calls/s). Every append and query of the ledger's points below pays it: "
                    "they run over mutual TLS.\n\n");
  }

  absl::StrAppend(&out, "## The ledger over gRPC (allianced, real commands and rules)\n\n");
  Table l({"workload", "concurrency", "rate", "p50 / p99", "vs empty call", "vs raw RocksDB",
           "server CPU per event", "the ledger's own: minus the empty call's CPU per call"});
  for (const auto& [n, result] : r.ours_single) {
    const double empty = r.empty_call.count(n) ? r.empty_call.at(n).OpsPerSecond() : 0;
    const double rocks = r.rocks_single.count(n) ? r.rocks_single.at(n).OpsPerSecond() : 0;
    const std::optional<OwnCpu> own = OwnCpuAt(r, n);
    l.Add({"DisburseFunds, one event a call", absl::StrCat(n, " in flight"),
           absl::StrCat(Grouped(result.EventsPerSecond()), " events/s"), LatencyCell(result),
           RatioOf(result.EventsPerSecond(), empty), RatioOf(result.EventsPerSecond(), rocks),
           CpuCell(result),
           own ? absl::StrFormat("%.1f us (- %.1f us)", own->own_us(), own->empty_us) : ""});
  }
  if (r.ours_batch) {
    l.Add({"DisburseFundsBatch, 100 events a call", absl::StrCat(kBatchInFlight, " in flight"),
           absl::StrCat(Grouped(r.ours_batch->EventsPerSecond()), " events/s (",
                        Grouped(r.ours_batch->OpsPerSecond()), " calls/s)"),
           LatencyCell(*r.ours_batch), "",
           r.rocks_batch
               ? RatioOf(r.ours_batch->EventsPerSecond(), r.rocks_batch->EventsPerSecond())
               : "n/a",
           CpuCell(*r.ours_batch), ""});
  } else {
    l.Add({"DisburseFundsBatch, 100 events a call", absl::StrCat(kBatchInFlight, " in flight"),
           "n/a (DisburseFundsBatch unimplemented)", "", "", "", "", ""});
  }
  if (r.ours_queries && r.ours_query_appends) {
    const double empty16 = r.empty_call.count(16) ? r.empty_call.at(16).OpsPerSecond() : 0;
    l.Add({absl::StrCat("GetConsortium while ", kQueryAppenders, " DisburseFunds callers append"),
           absl::StrCat(kQueryInFlight, " in flight"),
           absl::StrCat(Grouped(r.ours_queries->OpsPerSecond()), " queries/s"),
           LatencyCell(*r.ours_queries), RatioOf(r.ours_queries->OpsPerSecond(), empty16), "", "",
           ""});
    l.Add({"... the appends meanwhile", absl::StrCat(kQueryAppenders, " in flight"),
           absl::StrCat(Grouped(r.ours_query_appends->EventsPerSecond()), " events/s"),
           LatencyCell(*r.ours_query_appends), "", "", "", ""});
  }
  if (r.ours_held_queries && r.ours_held_appends) {
    const double empty16 = r.empty_call.count(16) ? r.empty_call.at(16).OpsPerSecond() : 0;
    l.Add({absl::StrCat("GetConsortium while ", kQueryAppenders,
                        " DisburseFunds callers append, held at ", Grouped(kHeldAppendsPerSecond),
                        " events/s in all"),
           absl::StrCat(kQueryInFlight, " in flight"),
           absl::StrCat(Grouped(r.ours_held_queries->OpsPerSecond()), " queries/s"),
           LatencyCell(*r.ours_held_queries), RatioOf(r.ours_held_queries->OpsPerSecond(), empty16),
           "",
           r.ours_held_server_cores >= 0
               ? absl::StrFormat("allianced over the point: %.2f cores (queries and appends)",
                                 r.ours_held_server_cores)
               : "",
           ""});
    l.Add({"... the held appends meanwhile", absl::StrCat(kQueryAppenders, " callers"),
           HeldAppendsCell(*r.ours_held_appends, "events"), LatencyCell(*r.ours_held_appends), "",
           "", "", ""});
  }
  absl::StrAppend(&out, l.Render(), "\n");

  absl::StrAppend(&out, "## Server memory as the log grows\n\n");
  Table mem({"events in the log", "allianced VmRSS"});
  for (const MemoryReading& reading : r.memory)
    mem.Add({Grouped(reading.events), Mib(reading.rss_kib)});
  if (r.peak_before_audit_kib > 0) {
    mem.Add({"peak (VmHWM) before the audit points", Mib(r.peak_before_audit_kib)});
  }
  mem.Add({"peak (VmHWM) over the whole run", Mib(r.peak_kib)});
  absl::StrAppend(
      &out, mem.Render(),
      absl::StrFormat(
          "\nThe store on disk after the run: %.1f MiB (%s bytes an event).\n\n",
          r.store_bytes / (1024.0 * 1024.0),
          Grouped(r.rebuild.events ? r.store_bytes / static_cast<double>(r.rebuild.events) : 0)));

  absl::StrAppend(&out, RenderAudit(r.audit));

  absl::StrAppend(&out, "## Read-model rebuild\n\n");
  Table rb({"what", "events", "seconds", "events/s", "vs target 1,000,000/s"});
  rb.Add({"fold the log (FoldLog, read models)", Grouped(r.rebuild.events),
          absl::StrFormat("%.2f", r.rebuild.fold_seconds), Grouped(r.rebuild.FoldEventsPerSecond()),
          Ratio(r.rebuild.FoldEventsPerSecond() / kRebuildTargetEventsPerSecond)});
  rb.Add({absl::StrCat("fold + write the ", r.rebuild.models,
                       " read-model entries (ReplaceModels): `--rebuild_read_models`"),
          Grouped(r.rebuild.events), absl::StrFormat("%.2f", r.rebuild.total_seconds),
          Grouped(r.rebuild.EventsPerSecond()),
          Ratio(r.rebuild.EventsPerSecond() / kRebuildTargetEventsPerSecond)});
  rb.Add({absl::StrCat("the same with the ", Grouped(r.rebuild.rule_entries),
                       " rule-index entries: an upgrade from an older format (fold ",
                       absl::StrFormat("%.2f", r.rebuild.full_fold_seconds), " s)"),
          Grouped(r.rebuild.events), absl::StrFormat("%.2f", r.rebuild.full_total_seconds),
          Grouped(r.rebuild.FullEventsPerSecond()),
          Ratio(r.rebuild.FullEventsPerSecond() / kRebuildTargetEventsPerSecond)});
  absl::StrAppend(&out, rb.Render(), "\n");

  absl::StrAppend(&out, "## Side by side with PostgreSQL\n\n");
  if (!r.pg_ran) {
    absl::StrAppend(&out, "Not run (no `--pg`).\n\n");
  } else {
    absl::StrAppend(
        &out,
        "**PG: function call** is the peer every target and ratio against PostgreSQL uses: "
        "each payment is one call of one prepared plpgsql function (one round trip; autocommit "
        "makes it its own transaction) that checks what the ledger checks for a payment (its "
        "reference unused in the consortium, the year in the consortium's term, the consortium "
        "active, the year's agreement signed, the annual limit, the term limit, the agreement's "
        "amount) with the consortium's row locked, then appends the event and updates the "
        "consortium's and the year's status rows. In the \"+ program summary row\" variant "
        "every payment also updates the program's one summary row, as our read models keep "
        "one.\n\n");
    // Appends: a row a peer, a column a number of callers.
    std::vector<std::string> header = {"appends, one payment a call or transaction"};
    for (int n : kConcurrencies) header.push_back(absl::StrCat(n, n == 1 ? " caller" : " callers"));
    Table s(header);
    auto cell = [](const LoadResult& result) {
      return absl::StrCat(Grouped(result.EventsPerSecond()), "/s; ", Ms(result.PercentileMs(0.5)),
                          " / ", Ms(result.PercentileMs(0.99)));
    };
    std::vector<std::string> ours_row = {"ours: DisburseFunds (gRPC, rules checked), events/s"};
    for (int n : kConcurrencies) {
      ours_row.push_back(r.ours_single.count(n) ? cell(r.ours_single.at(n)) : "");
    }
    s.Add(ours_row);
    std::vector<std::vector<std::string>> ratio_rows;
    for (bool with_summary : {false, true}) {
      const std::map<int, LoadResult>& points =
          with_summary ? r.pg_function.summary : r.pg_function.status;
      std::vector<std::string> row = {absl::StrCat(PgLabel(with_summary), ", tx/s")};
      std::vector<std::string> ratio_row = {absl::StrCat("ours / ", PgLabel(with_summary))};
      for (int n : kConcurrencies) {
        auto pg = points.find(n);
        auto ours = r.ours_single.find(n);
        row.push_back(pg == points.end() ? "" : cell(pg->second));
        ratio_row.push_back(
            pg == points.end() || ours == r.ours_single.end()
                ? ""
                : RatioOf(ours->second.EventsPerSecond(), pg->second.EventsPerSecond()));
      }
      s.Add(row);
      ratio_rows.push_back(ratio_row);
    }
    for (std::vector<std::string>& row : ratio_rows) s.Add(std::move(row));
    absl::StrAppend(&out, s.Render(), "\n");

    const PgResults& pg = r.pg_function;
    if (r.ours_queries && r.ours_query_appends) {
      Table q({absl::StrCat("status queries at ", kQueryInFlight, " while ", kQueryAppenders,
                            " append"),
               "queries/s", "p50 / p99", "ours / this", "appends meanwhile"});
      q.Add({"ours: GetConsortium (gRPC), appends free-running",
             Grouped(r.ours_queries->OpsPerSecond()), LatencyCell(*r.ours_queries), "",
             absl::StrCat(Grouped(r.ours_query_appends->EventsPerSecond()), " events/s")});
      if (pg.queries && pg.query_appends) {
        q.Add(
            {"PG: function call: SELECT the consortium's row by primary key, while function "
             "calls append free-running",
             Grouped(pg.queries->OpsPerSecond()), LatencyCell(*pg.queries),
             RatioOf(r.ours_queries->OpsPerSecond(), pg.queries->OpsPerSecond()),
             absl::StrCat(Grouped(pg.query_appends->OpsPerSecond()), " tx/s")});
      }
      if (r.ours_held_queries && r.ours_held_appends) {
        const std::string held = Grouped(kHeldAppendsPerSecond);
        q.Add({absl::StrCat("ours: GetConsortium (gRPC), appends held at ", held, " events/s"),
               Grouped(r.ours_held_queries->OpsPerSecond()), LatencyCell(*r.ours_held_queries), "",
               HeldAppendsCell(*r.ours_held_appends, "events")});
        if (pg.held_queries && pg.held_appends) {
          q.Add({absl::StrCat("PG: function call: SELECT the consortium's row by primary key, "
                              "while function calls append held at ",
                              held, " tx/s"),
                 Grouped(pg.held_queries->OpsPerSecond()), LatencyCell(*pg.held_queries),
                 RatioOf(r.ours_held_queries->OpsPerSecond(), pg.held_queries->OpsPerSecond()),
                 HeldAppendsCell(*pg.held_appends, "tx")});
        }
      }
      absl::StrAppend(&out, q.Render(), "\n");
    }
  }

  if (r.face_grpc && r.face_https) {
    Table f({absl::StrCat("one status query, ", kFaceCallers, " callers, nothing else running"),
             "queries/s", "p50 / p99", "server CPU a query", "vs gRPC"});
    f.Add({"GetConsortium over gRPC (mutual TLS, protobuf)", Grouped(r.face_grpc->OpsPerSecond()),
           LatencyCell(*r.face_grpc), CpuCell(*r.face_grpc), ""});
    f.Add({"GET /v1/consortia/{id} over HTTPS (client certificate, JSON)",
           Grouped(r.face_https->OpsPerSecond()), LatencyCell(*r.face_https),
           CpuCell(*r.face_https),
           RatioOf(r.face_https->OpsPerSecond(), r.face_grpc->OpsPerSecond())});
    absl::StrAppend(
        &out, "## The two faces (issue 16)\n\n",
        "The same status query through each face of allianced, in the same run: the JSON/HTTP "
        "face transcodes the request, calls the same gRPC method over the in-process channel "
        "and prints the answer as proto3 JSON (services/http/http_face.h), on cpp-httplib's "
        "threads. Each caller waits for its answer (closed loop) on one kept-alive connection.\n\n",
        f.Render(), "\n");
  }

  absl::StrAppend(
      &out, "## The workload\n\n",
      "- **Ledger**: `allianced` spawned on a fresh store in a temporary folder, reached over "
      "127.0.0.1 with one channel and gRPC's callback client API keeping N calls in flight. One "
      "program (rules as data: 2024..2033, total budget 10^15 KRW, 10^13 KRW per consortium over "
      "its 5-year term and 2 x 10^12 KRW a year, 2 mid-sized enterprises at least) and 64 "
      "consortia (a university lead, two mid-sized enterprises, the local government), selected "
      "through the API, each year's agreement signed at the annual limit. Each payment: "
      "1,000,000 KRW to the next consortium in turn, for a year of its term in turn, a unique "
      "payment reference, a "
      "fresh UUID event id, sent over mutual TLS as KIAT (the program, the round and the "
      "selections as the ministry: each as the role that records it); every one passes "
      "validation, the rules (reference unused, year in term, annual and term limits) and is "
      "acknowledged after its group commit is fsynced. The log is filled (DisburseFundsBatch, "
      "else single calls at 64) to 100k events before the measured points and to the rebuild "
      "size after them.\n",
      "- **Ceilings**: raw RocksDB 7.8 with default options in its own folder on the same file "
      "system, `WriteOptions::sync = true`; the `Empty` service (tests/bench/bench.proto) of "
      "bench_empty_server, a separate process as allianced is, built like allianced's server "
      "(callback API, default health service), called like the ledger: one channel, the callback "
      "client API, the command headers, a request and a reply padded to the sizes of this run's "
      "DisburseFunds request and reply. Measured after the ledger, whose sizes it takes.\n",
      "- **Server CPU per event**: the user + system time of every allianced thread over a "
      "point's measured seconds (`/proc/<pid>/stat`), divided by the events appended: what one "
      "event costs the server (gRPC included, the client not). Steadier than the rates on a "
      "shared machine, so it is the figure to compare two builds by; it still rises when a "
      "slower run makes batches smaller. The same reading of bench_empty_server gives the empty "
      "call's server CPU per call; the ledger's own cost is the difference at the same calls in "
      "flight.\n",
      "- **One caller**: on a virtual machine a lone thread asleep in fdatasync may be woken "
      "only at the next timer tick, so raw RocksDB at 1 thread can read below the ledger at 1 in "
      "flight, whose gRPC threads keep the CPU awake. The 1-caller ratios are the least "
      "meaningful; the targets use 16 and 64.\n",
      "- **Rebuild**: after allianced stopped, in-process, on the store it left: "
      "`alliance::FoldLog(log, false)` then `log.ReplaceModels(models)` (the read models, what "
      "`--rebuild_read_models` does; the rule index is the log's own index, written with its "
      "events like the stream and event-id indexes), measured first; then `FoldLog(log, true)` "
      "and `ReplaceModels(models, &rule_entries)` (both, what opening a store of an older "
      "format does).\n",
      absl::StrCat(
          "- **Audit, on the long log**: on the same allianced once the log holds the rebuild "
          "size, before it stops, nothing else running unless said. *ReadLog*: one call with an "
          "empty request (the whole log as it stands), read to its end with the synchronous "
          "client API; every position checked in order and the count against the log. Its rate "
          "is events over the call's wall time, MiB/s the `canonical_bytes` received; "
          "allianced's CPU over the call per event; its VmRSS and VmHWM just before and after "
          "the call and the most VmRSS read every ",
          std::chrono::milliseconds(kMemorySampleInterval).count(),
          " ms during it. *VerifyLog*: one call with the head GetTreeHead signed as the trusted "
          "head (size and root), its progress read, its result required to say verified for "
          "every event (the run fails otherwise); its rate is events verified over the call's "
          "wall time. *As of*: ",
          g_settings.as_of_position_queries,
          " GetConsortium calls one at a time, each of a random one of the ", kConsortiumCount,
          " consortia as of a position drawn uniformly from the first after the setup's events "
          "to the last (std::mt19937_64 seeded ",
          kAsOfSeed, ", the same positions every run of the same size); then ",
          g_settings.as_of_time_queries,
          " as of a time drawn uniformly from the setup's end to the point's start. The server "
          "answers each from the newest read-model checkpoint at or before the position (one "
          "every ",
          Grouped(kCheckpointEvents),
          " events) and a fold of the events after it. *Subscription lag*: one "
          "Subscribe on a connection of its own from the log's last position + 1 (checkpoints "
          "every ",
          kSubscriptionCheckpointMs,
          " ms; its first checkpoint awaited before anything is written), while ",
          kSubscriptionWriters,
          " DisburseFunds callers append as in the single-append point for the point's "
          "seconds. A payment's lag runs from its acknowledgement reaching its caller (the "
          "callback-API completion) to the subscriber's synchronous Read returning its event, "
          "matched by global position; negative when the event came first. Every acknowledged "
          "payment's event must be delivered exactly once and nothing else (the run fails "
          "otherwise). A server without the audit API or as-of queries (a build before issue "
          "14, found by GetTreeHead answering UNIMPLEMENTED and by GetConsortium as of a "
          "position past the log not answering OUT_OF_RANGE) shows them as n/a.\n"),
      "- **PostgreSQL**: a private server started by tests/bench/run.sh (initdb in a temporary "
      "folder, 127.0.0.1, fsync=on, synchronous_commit=on, otherwise defaults), one connection a "
      "thread, statements prepared (PQprepare / PQexecPrepared), the payments the ledger gets "
      "(1,000,000 KRW to the next of 64 consortia in turn, a year of the term, a unique "
      "reference, a fresh UUID, a 300-byte bytea payload). *Function call* (the peer of the "
      "targets): `SELECT * FROM event_store.append_disbursement(...)`, one round trip in "
      "autocommit. The function locks the consortium's row (`SELECT ... FOR UPDATE`), refuses "
      "with a result code (writing nothing) what the ledger refuses: a reused event id, a "
      "payment reference already used in the consortium, a year outside its term, an inactive "
      "consortium, a year with no agreement, the year's total over the annual limit (2 x 10^12 "
      "KRW), the term's total over the consortium limit (10^13 KRW), the year's total over its "
      "agreement; otherwise inserts the event (global position bigserial, stream, stream "
      "version; unique on event id, on stream + version and on stream + payment reference), "
      "adds the amount to the year's row and to the consortium's row (its version + 1), and in "
      "the second variant to the program's summary row. Before the measured points it proves "
      "each refusal on a consortium of its own with small limits. Status query: the "
      "consortium's row by primary key (`SELECT disbursed_total_krw, disbursement_count, "
      "version`), prepared.\n",
      "- **Status queries while appending**: ",
      absl::StrCat(
          kQueryInFlight,
          " status queries (GetConsortium; PostgreSQL: the status-row SELECT, a "
          "connection each) of the next consortium in turn kept in flight back to back, while ",
          kQueryAppenders,
          " callers append single payments through the same peer (DisburseFunds; PostgreSQL: "
          "the function call without the summary row, a connection each). The appenders start "
          "before the queries' warm-up and stop a tenth of the measured time after the queries' "
          "measurement; their rate is over their whole run. Two points. *Free-running*: the "
          "appenders closed-loop, as fast as they go; a faster peer's appenders then take more "
          "of the two cores the queries need, so the two peers' queries are not compared alone. "
          "*Held*: the ",
          kQueryAppenders, " appenders paced together to ", Grouped(kHeldAppendsPerSecond),
          " appends a second, below what either peer sustains beside the queries in the "
          "free-running point, so both append at the same rate: appender t of ",
          kQueryAppenders, " issues its k-th append no earlier than (", kQueryAppenders,
          " k + t) / ", Grouped(kHeldAppendsPerSecond),
          " s after the start and at once when behind, and waits for its call to end (the "
          "ledger's appenders are threads of their own, each waiting on its callback-API "
          "call). A peer whose appends came below ",
          absl::StrFormat("%.0f", kHeldRateReachedFraction * 100),
          " % of the held rate is marked as not reaching it. allianced's CPU over the held "
          "point (user + system of every thread, over the queries' measured seconds) is shown "
          "as the cores it used, for the queries and the appends together.\n"));
  return out;
}

// ---- The run -------------------------------------------------------------------------------

absl::Status RunCeilings(const std::string& temp_dir, Results& r) {
  std::printf("== ceilings\n");
  absl::StatusOr<std::unique_ptr<RawRocksDb>> rocks = RawRocksDb::Open(temp_dir + "/raw-rocksdb");
  if (!rocks.ok()) return rocks.status();
  for (int n : kConcurrencies) {
    absl::StatusOr<LoadResult> result = WarmThenMeasure([&](double seconds) {
      return RunThreads(n, seconds, 1, [&](int t, uint64_t seq) { return (*rocks)->Put(t, seq); });
    });
    if (!result.ok()) return result.status();
    PrintPoint(absl::StrCat("raw RocksDB synced Put, ", n, " threads"), *result, "writes");
    r.rocks_single[n] = std::move(*result);
  }
  absl::StatusOr<LoadResult> batch = WarmThenMeasure([&](double seconds) {
    return RunThreads(kBatchInFlight, seconds, kBatchEvents,
                      [&](int t, uint64_t seq) { return (*rocks)->PutBatch(t, seq); });
  });
  if (!batch.ok()) return batch.status();
  PrintPoint(absl::StrCat("raw RocksDB synced 100-value batch, ", kBatchInFlight, " thr"), *batch,
             "values");
  r.rocks_batch = std::move(*batch);
  rocks->reset();
  return absl::OkStatus();
}

absl::Status RunEmptyCallPoints(Server& server, bool tls, Results& r);

// The empty-call ceiling: bench_empty_server spawned as allianced is, its
// request and reply padded to r.ledger_call's sizes (so it runs after the
// ledger's points, which measure them), called like DisburseFunds.
absl::Status RunEmptyCall(const std::string& temp_dir, Results& r) {
  std::printf("== ceiling: the empty call (bench_empty_server, %zu-byte request, %zu-byte reply)\n",
              r.ledger_call.request_bytes, r.ledger_call.reply_bytes);
  absl::StatusOr<std::unique_ptr<Server>> server =
      StartServer("bench_empty_server", absl::GetFlag(FLAGS_empty_server),
                  {absl::StrCat("--reply_bytes=", r.ledger_call.reply_bytes)}, temp_dir,
                  AlliancedProcess::Options::Access::kTlsOnly);
  if (!server.ok()) return server.status();
  absl::Status status = RunEmptyCallPoints(**server, /*tls=*/true, r);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat(status.message(), "; ", DescribeServer(**server)));
  }
  if (absl::Status s = StopServer(**server); !s.ok()) return s;
  // Again in plaintext: the difference is what mutual TLS costs a call.
  server = StartServer("bench_empty_server_plaintext", absl::GetFlag(FLAGS_empty_server),
                       {absl::StrCat("--reply_bytes=", r.ledger_call.reply_bytes)}, temp_dir,
                       AlliancedProcess::Options::Access::kNone);
  if (!server.ok()) return server.status();
  status = RunEmptyCallPoints(**server, /*tls=*/false, r);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat(status.message(), "; ", DescribeServer(**server)));
  }
  return StopServer(**server);
}

absl::Status RunEmptyCallPoints(Server& server, bool tls, Results& r) {
  std::unique_ptr<Empty::Stub> stub =
      Empty::NewStub(tls ? Connect(server.address)
                         : grpc::CreateChannel(server.address, grpc::InsecureChannelCredentials()));
  EmptyRequest request;
  r.empty_call_sizes.request_bytes = PadTo(request, r.ledger_call.request_bytes);
  // One call first: the reply must weigh what the ledger's did.
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    EmptyResponse reply;
    if (absl::Status s = ToAbsl(stub->Call(&context, request, &reply)); !s.ok()) return s;
    r.empty_call_sizes.reply_bytes = reply.ByteSizeLong();
    // PadTo may overshoot by a byte on a few sizes (padding.h); more is an error.
    if (r.empty_call_sizes.reply_bytes < r.ledger_call.reply_bytes ||
        r.empty_call_sizes.reply_bytes > r.ledger_call.reply_bytes + 1) {
      return absl::InternalError(absl::StrCat("bench_empty_server replied with ",
                                              r.empty_call_sizes.reply_bytes, " bytes, not ",
                                              r.ledger_call.reply_bytes));
    }
  }
  const StartOp empty_call = UnaryStart<EmptyRequest, EmptyResponse>(
      [&stub](auto* context, auto* request, auto* response, auto on_done) {
        stub->async()->Call(context, request, response, std::move(on_done));
      },
      [&request](int) { return request; }, nullptr, /*with_recorder=*/true);
  for (int n : kConcurrencies) {
    absl::StatusOr<LoadResult> result = WarmThenMeasure(
        [&](double seconds) { return RunLoop(n, seconds, 1, empty_call); }, server.process->pid());
    if (!result.ok()) return result.status();
    PrintPoint(absl::StrCat("empty gRPC call", tls ? "" : ", plaintext", ", ", n, " in flight"),
               *result, "calls");
    (tls ? r.empty_call : r.empty_call_plaintext)[n] = std::move(*result);
  }
  return absl::OkStatus();
}

// Appends until the log holds `target` events (bounded in time and calls).
absl::Status FillTo(LedgerWorkload& workload, uint64_t target, bool batches) {
  const uint64_t have = workload.log_events();
  if (have >= target) return absl::OkStatus();
  const uint64_t per_call = batches ? kBatchEvents : 1;
  const uint64_t calls = (target - have + per_call - 1) / per_call;
  absl::StatusOr<LoadResult> fill =
      ClosedLoop(batches ? kBatchInFlight : kFillInFlight, kFillSecondsMax, calls, per_call,
                 batches ? workload.Batches() : workload.Singles())
          .Run();
  if (!fill.ok()) return fill.status();
  std::printf("  filled the log to %s events (%s events/s)\n",
              Grouped(workload.log_events()).c_str(), Grouped(fill->EventsPerSecond()).c_str());
  std::fflush(stdout);
  if (workload.log_events() < target) {
    return absl::DeadlineExceededError(absl::StrCat("the fill reached only ", workload.log_events(),
                                                    " of ", target, " events in ", kFillSecondsMax,
                                                    " s"));
  }
  return absl::OkStatus();
}

absl::Status ReadMemory(const Server& server, const LedgerWorkload& workload, Results& r) {
  absl::StatusOr<int64_t> rss = ProcessMemoryKib(server.process->pid(), "VmRSS");
  if (!rss.ok()) return rss.status();
  r.memory.push_back({workload.log_events(), *rss});
  std::printf("  allianced VmRSS at %s events: %s\n", Grouped(workload.log_events()).c_str(),
              Mib(*rss).c_str());
  return absl::OkStatus();
}

// ---- The audit points, on the long log ----------------------------------------------------

// A process's VmRSS read every kMemorySampleInterval from construction
// until Stop(), which returns the most it read.
class MemorySampler {
 public:
  explicit MemorySampler(pid_t pid) : pid_(pid), thread_([this] { Run(); }) {}
  ~MemorySampler() { Stop(); }

  int64_t Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    return max_kib_;
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      if (absl::StatusOr<int64_t> rss = ProcessMemoryKib(pid_, "VmRSS"); rss.ok()) {
        max_kib_ = std::max(max_kib_, *rss);
      }
      wake_.wait_for(lock, kMemorySampleInterval, [this] { return stopping_; });
    }
  }

  const pid_t pid_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  int64_t max_kib_ = 0;    // guarded by mutex_; read after the thread ends
  std::thread thread_;     // last: it starts once the members it uses exist
};

// Reads `pid`'s VmRSS and VmHWM into the span's `before` (or `after`) pair.
absl::Status ReadMemorySpan(pid_t pid, bool after, MemorySpan& span) {
  absl::StatusOr<int64_t> rss = ProcessMemoryKib(pid, "VmRSS");
  if (!rss.ok()) return rss.status();
  absl::StatusOr<int64_t> hwm = ProcessMemoryKib(pid, "VmHWM");
  if (!hwm.ok()) return hwm.status();
  (after ? span.rss_after_kib : span.rss_before_kib) = *rss;
  (after ? span.hwm_after_kib : span.hwm_before_kib) = *hwm;
  return absl::OkStatus();
}

// Runs `call` (one call over the whole log; it counts the events and its
// own figures into the WholeLogCall) with `server_pid`'s CPU time and
// memory read around it and its VmRSS sampled during it.
absl::StatusOr<WholeLogCall> MeasureWholeLogCall(
    pid_t server_pid, const std::function<absl::Status(WholeLogCall&)>& call) {
  WholeLogCall result;
  if (absl::Status s = ReadMemorySpan(server_pid, /*after=*/false, result.memory); !s.ok()) {
    return s;
  }
  absl::StatusOr<double> cpu_before = ProcessCpuSeconds(server_pid);
  if (!cpu_before.ok()) return cpu_before.status();
  MemorySampler sampler(server_pid);
  const Clock::time_point start = Clock::now();
  const absl::Status status = call(result);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.rss_max_kib = sampler.Stop();
  if (!status.ok()) return status;
  absl::StatusOr<double> cpu_after = ProcessCpuSeconds(server_pid);
  if (!cpu_after.ok()) return cpu_after.status();
  result.server_cpu_seconds = *cpu_after - *cpu_before;
  if (absl::Status s = ReadMemorySpan(server_pid, /*after=*/true, result.memory); !s.ok()) {
    return s;
  }
  result.rss_max_kib =
      std::max({result.rss_max_kib, result.memory.rss_before_kib, result.memory.rss_after_kib});
  return result;
}

absl::Status Context(const absl::Status& status, absl::string_view what) {
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

// The first bytes of a hash in hex, for a progress line.
std::string HashPrefix(const std::string& hash) {
  constexpr size_t kShownBytes = 8;
  std::string hex;
  for (size_t i = 0; i < hash.size() && i < kShownBytes; ++i) {
    absl::StrAppendFormat(&hex, "%02x", static_cast<unsigned char>(hash[i]));
  }
  return hex;
}

// The audit API and the as-of queries, through the synchronous client API,
// each call waited for on the calling thread.
class AuditWorkload {
 public:
  explicit AuditWorkload(const std::shared_ptr<grpc::Channel>& channel)
      : audit_(v1::AuditService::NewStub(channel)), queries_(v1::QueryService::NewStub(channel)) {}

  // The signed tree head; nullopt when the server has no AuditService (it
  // answers UNIMPLEMENTED: a build before issue 14).
  absl::StatusOr<std::optional<v1::SignedTreeHead>> TreeHead() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    v1::SignedTreeHead head;
    const grpc::Status status = audit_->GetTreeHead(&context, v1::GetTreeHeadRequest(), &head);
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) return std::nullopt;
    if (!status.ok()) return Context(ToAbsl(status), "GetTreeHead");
    return head;
  }

  // Whether the server answers as-of queries: GetConsortium as of the
  // position after the log's last is OUT_OF_RANGE from one that does; a
  // build before them ignores the field (and answers the current status) or
  // does not know the call.
  absl::StatusOr<bool> ProbeAsOf(uint64_t log_events) {
    v1::GetConsortiumRequest request;
    request.set_consortium_id(ConsortiumId(0));
    request.set_as_of_position(log_events + 1);
    const absl::Status status = Consortium(request);
    if (absl::IsOutOfRange(status)) return true;
    if (status.ok() || absl::IsUnimplemented(status)) return false;
    return status;
  }

  // ReadLog with an empty request (the whole log as it stands), read to its
  // end: every position in order, and as many events as the log holds.
  absl::Status ReadLog(uint64_t log_events, WholeLogCall& call) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kWholeLogDeadline);
    std::unique_ptr<grpc::ClientReader<v1::LoggedEvent>> reader =
        audit_->ReadLog(&context, v1::ReadLogRequest());
    v1::LoggedEvent event;
    while (reader->Read(&event)) {
      if (event.global_position() != call.events + 1) {
        context.TryCancel();
        reader->Finish();
        return absl::InternalError(absl::StrCat("ReadLog sent position ", event.global_position(),
                                                " where ", call.events + 1, " was due"));
      }
      ++call.events;
      call.canonical_bytes += static_cast<int64_t>(event.canonical_bytes().size());
    }
    if (absl::Status s = ToAbsl(reader->Finish()); !s.ok()) return Context(s, "ReadLog");
    if (call.events != log_events) {
      return absl::InternalError(absl::StrCat("ReadLog of the whole log sent ", call.events,
                                              " events; the log holds ", log_events));
    }
    return absl::OkStatus();
  }

  // VerifyLog of the whole log with `head` as the trusted head, read to its
  // result, which must say verified for every event.
  absl::Status VerifyLog(uint64_t log_events, const v1::SignedTreeHead& head, WholeLogCall& call) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kWholeLogDeadline);
    v1::VerifyLogRequest request;
    request.set_trusted_tree_size(head.tree_size());
    request.set_trusted_root_hash(head.root_hash());
    std::unique_ptr<grpc::ClientReader<v1::VerifyLogResponse>> reader =
        audit_->VerifyLog(&context, request);
    std::optional<v1::VerifyResult> result;
    v1::VerifyLogResponse response;
    while (reader->Read(&response)) {
      if (response.has_progress()) ++call.progress_messages;
      if (response.has_result()) result = response.result();
    }
    if (absl::Status s = ToAbsl(reader->Finish()); !s.ok()) return Context(s, "VerifyLog");
    if (!result) return absl::InternalError("VerifyLog ended without a result");
    if (!result->verified()) {
      return absl::DataLossError(absl::StrCat("VerifyLog: the log does not verify: first bad ",
                                              "position ", result->first_bad_position(), ": ",
                                              result->reason()));
    }
    if (result->events_verified() != log_events) {
      return absl::InternalError(absl::StrCat("VerifyLog verified ", result->events_verified(),
                                              " events; the log holds ", log_events));
    }
    call.events = result->events_verified();
    root_hash_ = result->root_hash();
    return absl::OkStatus();
  }

  // One GetConsortium (as of what `request` asks); the answer must be the
  // consortium asked for.
  absl::Status Consortium(const v1::GetConsortiumRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    v1::ConsortiumStatus status;
    if (absl::Status s = ToAbsl(queries_->GetConsortium(&context, request, &status)); !s.ok()) {
      return s;
    }
    if (status.consortium_id() != request.consortium_id()) {
      return absl::InternalError(absl::StrCat("GetConsortium of ", request.consortium_id(),
                                              " answered ", status.consortium_id()));
    }
    return absl::OkStatus();
  }

  // The root the last VerifyLog recomputed.
  const std::string& root_hash() const { return root_hash_; }

 private:
  std::unique_ptr<v1::AuditService::Stub> audit_;
  std::unique_ptr<v1::QueryService::Stub> queries_;
  std::string root_hash_;
};

// `count` calls of `query`, one at a time; their latencies.
absl::StatusOr<LoadResult> OneAtATime(int count, const std::function<absl::Status(int)>& query) {
  std::vector<std::vector<int64_t>> latencies(1);
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < count; ++i) {
    const Clock::time_point started = Clock::now();
    if (absl::Status s = query(i); !s.ok()) return s;
    latencies[0].push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
  }
  return Summarize(latencies, Clock::now() - start, 1);
}

// GetConsortium as of positions, then as of times, drawn with kAsOfSeed: a
// random consortium each, as of a position uniformly after the setup's
// events (when every consortium exists), or a time uniformly from the
// setup's end to now.
absl::Status RunAsOf(AuditWorkload& audit, absl::Time setup_done, AuditResults& a) {
  std::mt19937_64 engine(kAsOfSeed);
  std::uniform_int_distribution<int> consortium(0, kConsortiumCount - 1);
  std::uniform_int_distribution<uint64_t> position(a.setup_events + 1, a.log_events);
  absl::StatusOr<LoadResult> by_position = OneAtATime(g_settings.as_of_position_queries, [&](int) {
    v1::GetConsortiumRequest request;
    request.set_consortium_id(ConsortiumId(consortium(engine)));
    request.set_as_of_position(position(engine));
    return Context(audit.Consortium(request),
                   absl::StrCat("GetConsortium as of position ", request.as_of_position()));
  });
  if (!by_position.ok()) return by_position.status();
  PrintPoint(absl::StrCat("GetConsortium as_of_position x", g_settings.as_of_position_queries,
                          ", 1 in flight"),
             *by_position, "queries");
  a.as_of_position = *std::move(by_position);

  const int64_t from_us = absl::ToUnixMicros(setup_done);
  std::uniform_int_distribution<int64_t> time_us(
      from_us, std::max(from_us, absl::ToUnixMicros(absl::Now())));
  absl::StatusOr<LoadResult> by_time = OneAtATime(g_settings.as_of_time_queries, [&](int) {
    const int64_t us = time_us(engine);
    v1::GetConsortiumRequest request;
    request.set_consortium_id(ConsortiumId(consortium(engine)));
    request.mutable_as_of_time()->set_seconds(us / 1'000'000);
    request.mutable_as_of_time()->set_nanos(static_cast<int32_t>(us % 1'000'000 * 1'000));
    return Context(audit.Consortium(request), absl::StrCat("GetConsortium as of time ", us, " us"));
  });
  if (!by_time.ok()) return by_time.status();
  PrintPoint(
      absl::StrCat("GetConsortium as_of_time x", g_settings.as_of_time_queries, ", 1 in flight"),
      *by_time, "queries");
  a.as_of_time = *std::move(by_time);
  return absl::OkStatus();
}

// One Subscribe from the log's end, on a connection of its own (as an
// auditor's system would hold one), while kSubscriptionWriters DisburseFunds
// callers append for `seconds`: each payment's lag from its acknowledgement
// at its caller to its event's arrival at the subscriber. Every
// acknowledged payment's event must arrive once, and nothing else.
absl::StatusOr<SubscriptionLag> RunSubscription(const std::string& address,
                                                LedgerWorkload& workload, double seconds) {
  const uint64_t from = workload.log_events() + 1;
  grpc::ChannelArguments args;
  // gRPC would otherwise share the writers' connection between channels to
  // the same address.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::unique_ptr<v1::AuditService::Stub> stub = v1::AuditService::NewStub(
      grpc::CreateCustomChannel(address, TestAccess::Get().Credentials("auditor"), args));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kWholeLogDeadline);
  v1::SubscribeRequest request;
  request.set_from_position(from);
  request.set_checkpoint_interval_ms(kSubscriptionCheckpointMs);
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub->Subscribe(&context, request);
  // Nothing is written yet: the first message is a checkpoint at the log's
  // end, and proves the subscription live.
  v1::SubscribeResponse first;
  if (!reader->Read(&first)) {
    const absl::Status end = ToAbsl(reader->Finish());
    return Context(end.ok() ? absl::InternalError("ended before its first message") : end,
                   "Subscribe");
  }
  if (!first.has_checkpoint() || first.checkpoint().position() != from - 1) {
    context.TryCancel();
    reader->Finish();
    return absl::InternalError(absl::StrCat("Subscribe from ", from, ": the first message is not ",
                                            "a checkpoint at ", from - 1, ": ",
                                            first.ShortDebugString()));
  }

  // The subscriber: when each event arrived. Only its thread touches
  // `received` until it is joined.
  std::vector<std::pair<uint64_t, Clock::time_point>> received;
  uint64_t checkpoints = 1;
  std::atomic<uint64_t> last_received{from - 1};
  std::thread subscriber([&] {
    v1::SubscribeResponse message;
    while (reader->Read(&message)) {
      const Clock::time_point now = Clock::now();
      if (!message.has_event()) {
        ++checkpoints;
        continue;
      }
      const uint64_t position = message.event().global_position();
      received.emplace_back(position, now);
      if (position > last_received.load(std::memory_order_relaxed)) last_received = position;
    }
  });

  std::mutex acks_mutex;
  std::vector<std::pair<uint64_t, Clock::time_point>> acks;  // guarded by acks_mutex
  absl::StatusOr<LoadResult> appends = RunLoop(
      kSubscriptionWriters, seconds, 1, workload.Singles([&](const v1::AppendResult& result) {
        const Clock::time_point now = Clock::now();
        std::lock_guard<std::mutex> lock(acks_mutex);
        acks.emplace_back(result.global_position(), now);
      }));
  // The writers are done: every acknowledged event is due; wait (bounded)
  // for the last, then end the subscription.
  uint64_t last_acked = from - 1;
  {
    std::lock_guard<std::mutex> lock(acks_mutex);
    for (const auto& [position, at] : acks) last_acked = std::max(last_acked, position);
  }
  const Clock::time_point give_up = Clock::now() + Seconds(kDrainBoundSeconds);
  while (last_received.load() < last_acked && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  context.TryCancel();
  subscriber.join();
  const grpc::Status end = reader->Finish();
  if (!appends.ok()) return appends.status();
  if (!end.ok() && end.error_code() != grpc::StatusCode::CANCELLED) {
    return Context(ToAbsl(end), "Subscribe");
  }

  // Each position's first arrival; any later one, or one out of order, is
  // a duplicate.
  SubscriptionLag lag;
  std::vector<std::optional<Clock::time_point>> arrived(last_acked - from + 1);
  uint64_t previous = from - 1;
  uint64_t distinct = 0;
  for (const auto& [position, at] : received) {
    if (position <= previous) {
      ++lag.duplicated;
      continue;
    }
    previous = position;
    ++distinct;
    if (position <= last_acked) arrived[position - from] = at;
  }
  std::vector<std::vector<int64_t>> lags(1);
  for (const auto& [position, at] : acks) {
    if (position < from || position > last_acked || !arrived[position - from]) continue;
    const int64_t us =
        std::chrono::duration_cast<std::chrono::microseconds>(*arrived[position - from] - at)
            .count();
    if (us < 0) ++lag.before_acknowledged;
    lags[0].push_back(us);
  }
  lag.appended = acks.size();
  lag.delivered = lags[0].size();
  lag.checkpoints = checkpoints;
  lag.lag = Summarize(lags, Seconds(appends->seconds), 1);
  lag.appends = *std::move(appends);
  // Events that arrived though no caller here had them acknowledged.
  const uint64_t unexpected = distinct - lag.delivered;
  if (lag.delivered != lag.appended || lag.duplicated > 0 || unexpected > 0) {
    return absl::InternalError(absl::StrCat(
        "Subscribe from ", from, ": ", lag.appended, " payments acknowledged, ", lag.delivered,
        " of their events delivered, ", lag.duplicated, " delivered again or out of order, ",
        unexpected, " delivered that no caller had acknowledged"));
  }
  return lag;
}

// The audit points on the running allianced, its log as the fill left it;
// "n/a" for what the server lacks (a build before issue 14).
absl::Status RunAuditPoints(const Server& server, LedgerWorkload& workload, absl::Time setup_done,
                            AuditResults& a) {
  a.log_events = workload.log_events();
  AuditWorkload audit(Connect(server.address));
  const pid_t pid = server.process->pid();
  absl::StatusOr<std::optional<v1::SignedTreeHead>> head = audit.TreeHead();
  if (!head.ok()) return head.status();
  a.audit_implemented = head->has_value();
  if (!a.audit_implemented) {
    std::printf("  %-48s n/a (the server has no AuditService)\n", "ReadLog, VerifyLog, Subscribe");
  } else {
    std::printf("  the signed tree head: %s events, root %s...\n",
                Grouped((*head)->tree_size()).c_str(), HashPrefix((*head)->root_hash()).c_str());
    absl::StatusOr<WholeLogCall> read = MeasureWholeLogCall(
        pid, [&](WholeLogCall& call) { return audit.ReadLog(a.log_events, call); });
    if (!read.ok()) return read.status();
    std::printf(
        "  %-48s %12s events/s   %.1f MiB/s of canonical_bytes   server CPU %.2f us/event   "
        "%s (VmRSS at most %s)\n",
        "ReadLog, the whole log, 1 call", Grouped(read->EventsPerSecond()).c_str(),
        read->MibPerSecond(), read->ServerCpuUsPerEvent(), MemoryCell(read->memory).c_str(),
        Mib(read->rss_max_kib).c_str());
    a.read_log = *std::move(read);

    absl::StatusOr<WholeLogCall> verify = MeasureWholeLogCall(
        pid, [&](WholeLogCall& call) { return audit.VerifyLog(a.log_events, **head, call); });
    if (!verify.ok()) return verify.status();
    std::printf("  %-48s %12s events/s   verified, root %s...   server CPU %.2f us/event\n",
                "VerifyLog, the whole log, 1 call", Grouped(verify->EventsPerSecond()).c_str(),
                HashPrefix(audit.root_hash()).c_str(), verify->ServerCpuUsPerEvent());
    a.verify_log = *std::move(verify);
  }

  absl::StatusOr<bool> as_of = audit.ProbeAsOf(a.log_events);
  if (!as_of.ok()) return as_of.status();
  a.as_of_implemented = *as_of;
  if (a.as_of_implemented) {
    if (absl::Status s = ReadMemorySpan(pid, /*after=*/false, a.as_of_memory); !s.ok()) return s;
    if (absl::Status s = RunAsOf(audit, setup_done, a); !s.ok()) return s;
    if (absl::Status s = ReadMemorySpan(pid, /*after=*/true, a.as_of_memory); !s.ok()) return s;
    std::printf("  ... allianced over the as-of queries: %s\n", MemoryCell(a.as_of_memory).c_str());
  } else {
    std::printf("  %-48s n/a (the server ignores as_of_position)\n", "GetConsortium as of");
  }

  // Last: it appends.
  if (a.audit_implemented) {
    if (absl::Status s = ReadMemorySpan(pid, /*after=*/false, a.subscription_memory); !s.ok()) {
      return s;
    }
    absl::StatusOr<SubscriptionLag> lag =
        RunSubscription(server.address, workload, g_settings.seconds);
    if (!lag.ok()) return lag.status();
    if (absl::Status s = ReadMemorySpan(pid, /*after=*/true, a.subscription_memory); !s.ok()) {
      return s;
    }
    std::printf(
        "  %-48s lag p50 %8s   p99 %8s   %s delivered of %s appended (%s events/s)\n",
        absl::StrCat("Subscribe from the end, ", kSubscriptionWriters, " appending").c_str(),
        Ms(lag->lag.PercentileMs(0.5)).c_str(), Ms(lag->lag.PercentileMs(0.99)).c_str(),
        Grouped(lag->delivered).c_str(), Grouped(lag->appended).c_str(),
        Grouped(lag->appends.EventsPerSecond()).c_str());
    std::printf("  ... allianced over the subscription point: %s\n",
                MemoryCell(a.subscription_memory).c_str());
    a.subscription = *std::move(lag);
  }
  return absl::OkStatus();
}

// One rebuild of `log`: fold it, then replace what the fold gives (the read
// models, and with `with_rule_entries` the rule index too).
struct RebuildPass {
  size_t entries = 0;  // the rule-index entries with them, else the read models
  double fold_seconds = 0;
  double total_seconds = 0;
};

absl::StatusOr<RebuildPass> TimeRebuild(storage::EventLog& log, bool with_rule_entries) {
  const Clock::time_point start = Clock::now();
  absl::StatusOr<FoldedLog> folded = FoldLog(log, with_rule_entries);
  if (!folded.ok()) return folded.status();
  const Clock::time_point done_folding = Clock::now();
  if (absl::Status s =
          log.ReplaceModels(folded->models, with_rule_entries ? &folded->rule_entries : nullptr);
      !s.ok()) {
    return s;
  }
  const Clock::time_point written = Clock::now();
  RebuildPass pass;
  pass.entries = with_rule_entries ? folded->rule_entries.size() : folded->models.size();
  pass.fold_seconds = std::chrono::duration<double>(done_folding - start).count();
  pass.total_seconds = std::chrono::duration<double>(written - start).count();
  return pass;
}

absl::StatusOr<RebuildResult> Rebuild(const std::string& data_dir) {
  storage::EventLogOptions options;
  options.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(data_dir, options);
  if (!log.ok()) return log.status();
  absl::StatusOr<uint64_t> last = (*log)->LastPosition();
  if (!last.ok()) return last.status();
  RebuildResult result;
  result.events = *last;
  // What --rebuild_read_models does (the read models, from every event)
  // goes first: it is what an operator runs on a stopped server's store,
  // and it would otherwise be measured among the compactions of the two
  // million rule-index entries the other pass rewrites. A store of an older
  // format (one kept from an older build, --rebuild_store) needs that other
  // pass first, as opening it in the server does.
  auto rebuild_models = [&]() -> absl::Status {
    absl::StatusOr<RebuildPass> models = TimeRebuild(**log, /*with_rule_entries=*/false);
    if (!models.ok()) return models.status();
    result.models = models->entries;
    result.fold_seconds = models->fold_seconds;
    result.total_seconds = models->total_seconds;
    return absl::OkStatus();
  };
  const bool outdated = (*log)->ModelsOutdated();
  if (!outdated) {
    if (absl::Status s = rebuild_models(); !s.ok()) return s;
  }
  // What opening a store of an older format does: the read models and the
  // rule index.
  absl::StatusOr<RebuildPass> full = TimeRebuild(**log, /*with_rule_entries=*/true);
  if (!full.ok()) return full.status();
  result.rule_entries = full->entries;
  result.full_fold_seconds = full->fold_seconds;
  result.full_total_seconds = full->total_seconds;
  if (outdated) {
    if (absl::Status s = rebuild_models(); !s.ok()) return s;
  }
  return result;
}

absl::Status RunLedgerPoints(Server& server, const std::string& data_dir, int64_t rebuild_events,
                             Results& r);

// GetConsortium over gRPC, then GET /v1/consortia/{id} over HTTPS with a
// client certificate (cpp-httplib, one kept-alive connection a caller), each
// with kFaceCallers callers waiting for their answers: what choosing a face
// costs an agency.
absl::Status RunFacePoints(Server& server, LedgerWorkload& workload, Results& r) {
  absl::StatusOr<LoadResult> grpc_face = WarmThenMeasure(
      [&](double seconds) {
        return RunThreads(kFaceCallers, seconds, 1, Blocking(workload.Queries()));
      },
      server.process->pid());
  if (!grpc_face.ok()) return grpc_face.status();
  PrintPoint(absl::StrCat("GetConsortium (gRPC), ", kFaceCallers, " callers"), *grpc_face,
             "queries");
  r.face_grpc = std::move(*grpc_face);

  const TestAccess& access = TestAccess::Get();
  const size_t colon = server.http_address.rfind(':');
  const std::string host = server.http_address.substr(0, colon);
  const int port = std::stoi(server.http_address.substr(colon + 1));
  std::vector<std::unique_ptr<httplib::SSLClient>> clients(kFaceCallers);
  std::atomic<uint64_t> next{0};
  const ThreadOp get = [&](int thread, uint64_t) -> absl::Status {
    std::unique_ptr<httplib::SSLClient>& client = clients[thread];
    if (client == nullptr) {
      client = std::make_unique<httplib::SSLClient>(host, port, access.certificate_path("kiat"),
                                                    access.key_path("kiat"));
      client->set_ca_cert_path(access.ca_path().c_str());
      client->enable_server_certificate_verification(true);
      client->set_keep_alive(true);
      client->set_tcp_nodelay(true);
    }
    const std::string path =
        absl::StrCat("/v1/consortia/",
                     ConsortiumId(next.fetch_add(1, std::memory_order_relaxed) % kConsortiumCount));
    httplib::Result result = client->Get(path);
    if (!result) {
      return absl::UnavailableError(
          absl::StrCat("GET ", path, ": ", httplib::to_string(result.error())));
    }
    if (result->status != 200) {
      return absl::InternalError(
          absl::StrCat("GET ", path, ": HTTP ", result->status, " ", result->body));
    }
    return absl::OkStatus();
  };
  absl::StatusOr<LoadResult> https_face =
      WarmThenMeasure([&](double seconds) { return RunThreads(kFaceCallers, seconds, 1, get); },
                      server.process->pid());
  if (!https_face.ok()) return https_face.status();
  PrintPoint(absl::StrCat("GET /v1/consortia/{id} (HTTPS, JSON), ", kFaceCallers, " callers"),
             *https_face, "queries");
  r.face_https = std::move(*https_face);
  return absl::OkStatus();
}

void PrintRebuild(const RebuildResult& rebuild) {
  std::printf(
      "  rebuild of %s events: read models (%s entries) fold %.2f s, fold + write %.2f s: %s "
      "events/s; with the rule index (%s entries) fold %.2f s, fold + write %.2f s: %s events/s\n",
      Grouped(rebuild.events).c_str(), Grouped(rebuild.models).c_str(), rebuild.fold_seconds,
      rebuild.total_seconds, Grouped(rebuild.EventsPerSecond()).c_str(),
      Grouped(rebuild.rule_entries).c_str(), rebuild.full_fold_seconds, rebuild.full_total_seconds,
      Grouped(rebuild.FullEventsPerSecond()).c_str());
}

absl::Status RunLedger(const std::string& temp_dir, int64_t rebuild_events, Results& r) {
  std::printf("== the ledger (allianced)\n");
  const std::string data_dir = temp_dir + "/store";
  const std::string http_address = absl::StrCat("127.0.0.1:", FreePort());
  absl::StatusOr<std::unique_ptr<Server>> server =
      StartServer("allianced", absl::GetFlag(FLAGS_allianced),
                  {"--data_dir=" + data_dir, "--http_listen=" + http_address}, temp_dir);
  if (!server.ok()) return server.status();
  (*server)->http_address = http_address;
  absl::Status status = RunLedgerPoints(**server, data_dir, rebuild_events, r);
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(status.message(), "; ", DescribeServer(**server)));
}

// Every ledger point, on the running `server`; stops it before the rebuild.
absl::Status RunLedgerPoints(Server& server, const std::string& data_dir, int64_t rebuild_events,
                             Results& r) {
  LedgerWorkload workload(Connect(server.address), Connect(server.address, "ministry"));
  if (absl::Status s = workload.Setup(); !s.ok()) return s;
  // Every consortium exists from here on: as-of queries ask after it.
  r.audit.setup_events = workload.log_events();
  const absl::Time setup_done = absl::Now();
  absl::StatusOr<bool> batch = workload.ProbeBatch();
  if (!batch.ok()) return batch.status();
  r.batch_implemented = *batch;
  if (!r.batch_implemented) std::printf("  DisburseFundsBatch answers UNIMPLEMENTED: n/a\n");

  const uint64_t checkpoint = static_cast<uint64_t>(rebuild_events / kRssCheckpointDivisor);
  if (absl::Status s = FillTo(workload, checkpoint, r.batch_implemented); !s.ok()) return s;
  if (absl::Status s = ReadMemory(server, workload, r); !s.ok()) return s;

  for (int n : kConcurrencies) {
    absl::StatusOr<LoadResult> result =
        WarmThenMeasure([&](double seconds) { return RunLoop(n, seconds, 1, workload.Singles()); },
                        server.process->pid());
    if (!result.ok()) return result.status();
    PrintPoint(absl::StrCat("DisburseFunds, ", n, " in flight"), *result, "events");
    r.ours_single[n] = std::move(*result);
  }
  // What those calls weigh, for the empty-call ceiling.
  absl::StatusOr<CallSizes> sizes = workload.SampleSingle();
  if (!sizes.ok()) return sizes.status();
  r.ledger_call = *sizes;
  if (r.batch_implemented) {
    absl::StatusOr<LoadResult> result = WarmThenMeasure(
        [&](double seconds) {
          return RunLoop(kBatchInFlight, seconds, kBatchEvents, workload.Batches());
        },
        server.process->pid());
    if (!result.ok()) return result.status();
    PrintPoint(absl::StrCat("DisburseFundsBatch x100, ", kBatchInFlight, " in flight"), *result,
               "events");
    r.ours_batch = std::move(*result);
  } else {
    std::printf("  %-48s n/a (DisburseFundsBatch unimplemented)\n", "DisburseFundsBatch x100");
  }

  // Queries while appends run, the appends free-running.
  const auto queries = [&](double seconds) {
    return RunLoop(kQueryInFlight, seconds, 1, workload.Queries());
  };
  absl::StatusOr<QueryPoint> free_running = QueriesWhileAppending(
      [&](double seconds) { return RunLoop(kQueryAppenders, seconds, 1, workload.Singles()); },
      queries);
  if (!free_running.ok()) return free_running.status();
  PrintPoint(absl::StrCat("GetConsortium, ", kQueryInFlight, " in flight, while appending"),
             free_running->queries, "queries");
  PrintPoint(absl::StrCat("  ... DisburseFunds meanwhile, ", kQueryAppenders, " in flight"),
             free_running->appends, "events");
  r.ours_queries = std::move(free_running->queries);
  r.ours_query_appends = std::move(free_running->appends);

  // The same with the appends held at kHeldAppendsPerSecond: paced threads,
  // each waiting for its call.
  const ThreadOp append = Blocking(workload.Singles());
  absl::StatusOr<QueryPoint> held = QueriesWhileAppending(
      [&](double seconds) {
        return RunThreads(kQueryAppenders, seconds, 1, append, kHeldAppendsPerSecond);
      },
      queries, server.process->pid());
  if (!held.ok()) return held.status();
  PrintPoint(absl::StrCat("GetConsortium, ", kQueryInFlight, " in flight, appends held"),
             held->queries, "queries");
  PrintPoint(absl::StrCat("  ... DisburseFunds held at ", Grouped(kHeldAppendsPerSecond), "/s, ",
                          kQueryAppenders, " callers"),
             held->appends, "events");
  std::printf("  ... allianced used %.2f cores over the held point\n", held->server_cores);
  r.ours_held_queries = std::move(held->queries);
  r.ours_held_appends = std::move(held->appends);
  r.ours_held_server_cores = held->server_cores;

  if (absl::Status s = RunFacePoints(server, workload, r); !s.ok()) return s;

  if (absl::Status s = FillTo(workload, rebuild_events, r.batch_implemented); !s.ok()) return s;
  if (absl::Status s = ReadMemory(server, workload, r); !s.ok()) return s;
  absl::StatusOr<int64_t> peak_before_audit = ProcessMemoryKib(server.process->pid(), "VmHWM");
  if (!peak_before_audit.ok()) return peak_before_audit.status();
  r.peak_before_audit_kib = *peak_before_audit;
  if (absl::Status s = RunAuditPoints(server, workload, setup_done, r.audit); !s.ok()) return s;
  absl::StatusOr<int64_t> peak = ProcessMemoryKib(server.process->pid(), "VmHWM");
  if (!peak.ok()) return peak.status();
  r.peak_kib = *peak;
  std::printf("  allianced VmHWM (peak): %s\n", Mib(r.peak_kib).c_str());

  if (absl::Status s = StopServer(server); !s.ok()) return s;
  r.store_bytes = FolderBytes(data_dir);
  absl::StatusOr<RebuildResult> rebuild = Rebuild(data_dir);
  if (!rebuild.ok()) return rebuild.status();
  r.rebuild = *rebuild;
  PrintRebuild(r.rebuild);
  return absl::OkStatus();
}

absl::Status RunPostgres(const std::string& conninfo, Results& r) {
  std::printf("== PostgreSQL\n");
  PgPeer peer(conninfo);
  if (absl::Status s = peer.Setup(); !s.ok()) return s;
  std::printf("  the function refuses what the ledger refuses (rules check passed)\n");
  r.pg_settings = peer.settings();
  const int most = *std::max_element(std::begin(kConcurrencies), std::end(kConcurrencies));
  absl::StatusOr<std::vector<std::unique_ptr<PgConnection>>> conns =
      peer.Connections(std::max(most, kQueryAppenders + kQueryInFlight));
  if (!conns.ok()) return conns.status();
  PgResults& results = r.pg_function;
  for (bool with_summary : {false, true}) {
    for (int n : kConcurrencies) {
      absl::StatusOr<LoadResult> result = WarmThenMeasure([&](double seconds) {
        return RunThreads(n, seconds, 1,
                          [&](int t, uint64_t) { return peer.Append(*(*conns)[t], with_summary); });
      });
      if (!result.ok()) return result.status();
      PrintPoint(absl::StrCat("PG function", with_summary ? " + summary, " : ", ", n, " conns"),
                 *result, "tx");
      (with_summary ? results.summary : results.status)[n] = std::move(*result);
    }
  }

  // Queries while appends run, as the ledger's: free-running, then held.
  const auto queries = [&](double seconds) {
    return RunThreads(kQueryInFlight, seconds, 1,
                      [&](int t, uint64_t) { return peer.Query(*(*conns)[kQueryAppenders + t]); });
  };
  const ThreadOp append = [&](int t, uint64_t) {
    return peer.Append(*(*conns)[t], /*with_summary=*/false);
  };
  absl::StatusOr<QueryPoint> free_running = QueriesWhileAppending(
      [&](double seconds) { return RunThreads(kQueryAppenders, seconds, 1, append); }, queries);
  if (!free_running.ok()) return free_running.status();
  PrintPoint(absl::StrCat("PG function status SELECT, ", kQueryInFlight, " conns, appending"),
             free_running->queries, "queries");
  PrintPoint(absl::StrCat("  ... PG function appends meanwhile, ", kQueryAppenders, " conns"),
             free_running->appends, "tx");
  results.queries = std::move(free_running->queries);
  results.query_appends = std::move(free_running->appends);

  absl::StatusOr<QueryPoint> held = QueriesWhileAppending(
      [&](double seconds) {
        return RunThreads(kQueryAppenders, seconds, 1, append, kHeldAppendsPerSecond);
      },
      queries);
  if (!held.ok()) return held.status();
  PrintPoint(absl::StrCat("PG function status SELECT, ", kQueryInFlight, " conns, appends held"),
             held->queries, "queries");
  PrintPoint(absl::StrCat("  ... PG function appends held at ", Grouped(kHeldAppendsPerSecond),
                          "/s, ", kQueryAppenders, " conns"),
             held->appends, "tx");
  results.held_queries = std::move(held->queries);
  results.held_appends = std::move(held->appends);
  r.pg_ran = true;
  return absl::OkStatus();
}

std::string CommandLine(int argc, char** argv) {
  std::vector<std::string> words;
  for (int i = 0; i < argc; ++i) {
    std::string word = argv[i];
    if (word.find_first_of(" \t\"'") != std::string::npos) word = "'" + word + "'";
    words.push_back(word);
  }
  return absl::StrJoin(words, " ");
}

int Main(int argc, char** argv) {
  const std::string command = CommandLine(argc, argv);
  const bool smoke = absl::GetFlag(FLAGS_smoke);
  g_settings.seconds = smoke ? kSmokeSeconds : absl::GetFlag(FLAGS_seconds);
  g_settings.warmup_seconds = std::min(kWarmupSecondsMax, g_settings.seconds * kWarmupFraction);
  const int64_t rebuild_events = smoke ? kSmokeRebuildEvents : absl::GetFlag(FLAGS_rebuild_events);
  if (smoke) {
    g_settings.as_of_position_queries = kSmokeAsOfPositionQueries;
    g_settings.as_of_time_queries = kSmokeAsOfTimeQueries;
  }
  const std::string pg = smoke ? "" : absl::GetFlag(FLAGS_pg);
  if (g_settings.seconds <= 0 || rebuild_events < kRssCheckpointDivisor) {
    std::fprintf(stderr, "ledger_bench: --seconds must be positive and --rebuild_events >= %ld\n",
                 kRssCheckpointDivisor);
    return 2;
  }
  // A dead server must show up as a failed call, not kill the benchmark.
  signal(SIGPIPE, SIG_IGN);
  // Ctrl-C or SIGTERM: stop allianced and remove the stores, as a failure
  // does. gRPC's threads exist before main(), so no signal mask reaches them
  // all: the handler only writes to a pipe, and a thread acts on it.
  if (pipe(g_stop_pipe) != 0) Die("cannot create a pipe");
  struct sigaction action {};
  action.sa_handler = [](int signal_number) {
    const char byte = static_cast<char>(signal_number);
    [[maybe_unused]] ssize_t written = write(g_stop_pipe[1], &byte, 1);
  };
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::thread([] {
    char byte = 0;
    if (read(g_stop_pipe[0], &byte, 1) == 1) Die(absl::StrCat("interrupted by ", strsignal(byte)));
  }).detach();

  if (const std::string store = absl::GetFlag(FLAGS_rebuild_store); !store.empty()) {
    absl::StatusOr<RebuildResult> rebuild = Rebuild(store);
    if (!rebuild.ok()) Die(rebuild.status().ToString());
    PrintRebuild(*rebuild);
    return 0;
  }

  TempDir temp;
  if (temp.path().empty()) Die("cannot create a temporary folder");
  g_temp_dir = temp.path();
  const Machine machine = DescribeMachine(temp.path());
  std::printf("ledger_bench%s: %.1f s a point, stores in %s (%s)\n", smoke ? " --smoke" : "",
              g_settings.seconds, temp.path().c_str(), machine.filesystem.c_str());

  Results results;
  if (absl::Status s = RunCeilings(temp.path(), results); !s.ok()) Die(s.ToString());
  if (absl::Status s = RunLedger(temp.path(), rebuild_events, results); !s.ok()) {
    Die(absl::StrCat(s.ToString(), "\nallianced's stderr:\n",
                     ReadFile(temp.path() + "/allianced.stderr"), "\nallianced's stdout:\n",
                     ReadFile(temp.path() + "/allianced.stdout")));
  }
  if (absl::Status s = RunEmptyCall(temp.path(), results); !s.ok()) {
    Die(absl::StrCat(s.ToString(), "\nbench_empty_server's stderr:\n",
                     ReadFile(temp.path() + "/bench_empty_server.stderr")));
  }
  if (const std::string keep = absl::GetFlag(FLAGS_keep_store); !keep.empty()) {
    std::error_code error;
    std::filesystem::rename(temp.path() + "/store", keep, error);
    if (error) Die(absl::StrCat("cannot move the store to ", keep, ": ", error.message()));
    std::printf("the store is kept in %s\n", keep.c_str());
  }
  if (!pg.empty()) {
    if (absl::Status s = RunPostgres(pg, results); !s.ok()) Die(s.ToString());
  }

  std::string load_after = ReadFile("/proc/loadavg");
  while (!load_after.empty() && load_after.back() == '\n') load_after.pop_back();
  const std::string report = RenderReport(results, machine, command, load_after);
  const std::string report_path = absl::GetFlag(FLAGS_report);
  if (smoke && report_path.empty()) {
    // The smoke run proves the benchmark works; its figures mean little.
    std::printf("\nsmoke run done; targets (not meaningful at this size):\n");
    for (const Target& target : EvaluateTargets(results)) {
      std::printf("  %-70s %s\n", target.what.c_str(), target.measured.c_str());
    }
    std::printf("  the ledger's own server CPU per event (ledger - empty call): %s\n",
                OwnCpuSummary(results).c_str());
  } else {
    std::printf("\n%s", report.c_str());
  }
  if (!report_path.empty()) {
    std::ofstream out(report_path);
    out << report;
    if (!out.good()) Die("cannot write the report to " + report_path);
    std::printf("report written to %s\n", report_path.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace alliance::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the Alliance case ledger's benchmark.\n"
      "  ledger_bench [--smoke] [--seconds=5] [--pg=CONNINFO] [--report=PATH]");
  absl::ParseCommandLine(argc, argv);
  // As allianced and bench_empty_server do: the load generator runs without
  // Abseil's lock-order checks too, so its side of every call costs the
  // same whichever server it calls.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return alliance::bench::Main(argc, argv);
}
