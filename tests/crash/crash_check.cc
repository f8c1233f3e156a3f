// crash_check: the ledger's durability promise, tested the hard way. Each
// cycle starts the real allianced on one data folder (kept across cycles),
// runs concurrent DisburseFunds writers, kills the server with SIGKILL at a
// random moment, and then opens the store in this process (the dead server
// no longer holds its lock) to check that:
//
//   - every acknowledged command is in the log exactly once, at the position,
//     stream and version it was acknowledged with;
//   - no event id appears twice in the log, and every event in it was sent;
//   - global positions run 1..N without gaps, each stream's versions too;
//   - the stored read models equal, byte for byte, a fold of the log.
//
// After the restart, the calls whose outcome is unknown (in flight at the
// kill) are retried with the same event id and content: each must succeed
// once, replayed at its logged position if the crash kept it, else appended
// anew, never twice.
//
//   crash_check --cycles=20 [--seed=N] [--writers=8]
//
// Prints one line a cycle and a summary; exits 1 at the first violation with
// the seed and cycle, so the kill moments can be replayed.
#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alliance/v1/commands.grpc.pb.h"
#include "services/ledger/ledger.h"
#include "storage/event_log.h"
#include "tests/service/test_requests.h"
#include "tests/support/allianced_process.h"
#include "tests/support/free_port.h"
#include "tests/support/test_access.h"

#ifndef ALLIANCED_PATH
#error "ALLIANCED_PATH must name the allianced binary"
#endif

ABSL_FLAG(int, cycles, 3, "start / write / SIGKILL / check cycles to run");
ABSL_FLAG(uint64_t, seed, 0,
          "seed of the random kill moments and payment choices; 0 picks one (printed)");
ABSL_FLAG(int, writers, 8, "concurrent writer threads, each sending DisburseFunds");

namespace alliance::crash {
namespace {

using std::chrono::steady_clock;
using testing::Describe;
using testing::DisburseRequest;
using testing::NewContext;

// Limits on the run itself, so that it always stops by itself.
constexpr int kCyclesMax = 10'000;
constexpr int kWritersMax = 64;
// How long the writers run before the kill: long enough for thousands of
// group commits, short enough for many cycles a minute.
constexpr int kKillDelayMsMin = 50;
constexpr int kKillDelayMsMax = 1500;
// Calls one writer may make in one cycle; far more than fit in the delay.
constexpr int kCallsPerWriterMax = 1'000'000;
// Unknown-outcome calls retried after a restart, at most, a cycle: one per
// writer is in flight at the kill, the rest never left the client.
constexpr size_t kRetriesPerCycleMax = 64;
// Give-up bounds only: nothing here asserts how fast the server is.
constexpr absl::Duration kServingBound = absl::Seconds(30);
constexpr absl::Duration kExitBound = absl::Seconds(30);
// How much of the server's log a failure message shows, from its end.
constexpr size_t kStderrTailBytes = 4000;

// The program the writers pay into, through the real rules: one selection
// round with a slot per consortium, and every consortium's agreement for
// every year of its term signed at the annual limit, wide enough that no
// payment of any cycle is ever refused. validation.h's kAmountKrwMax is the
// budget; the round's 3 slots x the consortium limit fit in it.
constexpr char kProgramId[] = "crash-check";
constexpr int32_t kFirstYear = 2000;  // validation.h kYearMin
constexpr int32_t kLastYear = 2100;   // validation.h kYearMax
// The writers pay into the term's years, 2000..2009; one agreement each.
constexpr int32_t kTermYears = 10;
constexpr int64_t kTotalBudgetKrw = 1'000'000'000'000'000;    // 10^15
constexpr int64_t kConsortiumLimitKrw = 300'000'000'000'000;  // 3 x 10^14
// The ten years' agreements at the annual limit fill the consortium limit.
constexpr int64_t kAnnualLimitKrw = kConsortiumLimitKrw / kTermYears;  // 3 x 10^13
// A payment is 1..2 million KRW: a consortium's year reaches its 3 x 10^13
// grant only after 2 x 10^7 payments to it in that year (6 x 10^8 payments
// in all), more than kCyclesMax cycles of some ten thousand payments make.
constexpr int64_t kPaymentKrwMin = 1'000'000;
constexpr int64_t kPaymentKrwSpread = 1'000'000;
struct CrashConsortium {
  const char* consortium_id;
  const char* region_code;  // none of the excluded KR-11, KR-28, KR-41
};
constexpr CrashConsortium kConsortia[] = {
    {"crash-busan-robotics", "KR-26"},
    {"crash-chungbuk-robotics", "KR-43"},
    {"crash-jeonnam-robotics", "KR-46"},
};

// ---- Failures ---------------------------------------------------------------------------

// A broken durability promise (as opposed to a run that could not proceed).
absl::Status Violation(absl::string_view message) { return absl::DataLossError(message); }

// ---- The allianced process --------------------------------------------------------------

using ::alliance::testing::AlliancedProcess;
using ::alliance::testing::DescribeWaitStatus;
using ::alliance::testing::FreePort;

// One allianced on the run's store and a free port, serving; its output is
// appended to dir/allianced.{stdout,stderr} across cycles. It dies with
// crash_check's main thread (the one starting it) even when an abort skips
// its destructor, so no server outlives the run.
struct Server {
  std::string address;
  std::unique_ptr<AlliancedProcess> process;
};

// ---- What the client saw ------------------------------------------------------------------

// An acknowledged command: what the server promised is durable.
struct Ack {
  std::string stream_id;
  uint64_t global_position = 0;
  uint64_t stream_version = 0;
  int cycle = 0;
};

// A call that failed with UNAVAILABLE or DEADLINE_EXCEEDED after the kill:
// it may or may not be in the log.
struct UnknownOutcome {
  v1::DisburseFundsRequest request;
  // Filled in by the check: where the log has it, nullopt when absent.
  std::optional<uint64_t> logged_position;
};

// Everything the run has sent and been told, across cycles.
struct ClientView {
  std::map<std::string, Ack> acked;  // by event id
  // Event ids of every command sent, answered or not: the log may hold no
  // other.
  std::set<std::string> sent;
  std::vector<UnknownOutcome> pending_retries;  // from the last cycle
  uint64_t unknown_total = 0;
  uint64_t unknown_found_total = 0;
  uint64_t retried_total = 0;
};

bool IsUnknownOutcome(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

Ack AckOf(const v1::AppendResult& result, int cycle) {
  return Ack{result.stream_id(), result.global_position(), result.stream_version(), cycle};
}

// ---- Setup: the program, its round, three consortia and their agreements ------------------

v1::ProgramRules CrashRules() {
  v1::ProgramRules rules = testing::Rules2023();  // excluded regions, hiring target
  rules.set_first_year(kFirstYear);
  rules.set_last_year(kLastYear);
  rules.set_consortium_term_years(kTermYears);
  rules.set_total_budget_krw(kTotalBudgetKrw);
  rules.set_consortium_limit_krw(kConsortiumLimitKrw);
  rules.set_consortium_annual_limit_krw(kAnnualLimitKrw);
  return rules;
}

// Sends one setup command; it must succeed (the server is not killed yet).
template <typename Request>
absl::Status SetupCommand(v1::CommandService::Stub& stub,
                          grpc::Status (v1::CommandService::Stub::*method)(grpc::ClientContext*,
                                                                           const Request&,
                                                                           v1::AppendResult*),
                          const Request& request, absl::string_view what, int cycle,
                          ClientView& book) {
  v1::AppendResult result;
  book.sent.insert(request.meta().event_id());
  grpc::Status status = (stub.*method)(NewContext().get(), request, &result);
  if (!status.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(what, " failed: ", Describe(status)));
  }
  book.acked[request.meta().event_id()] = AckOf(result, cycle);
  return absl::OkStatus();
}

// `ministry` establishes, opens and selects; `kiat` signs the agreements.
absl::Status Establish(v1::CommandService::Stub& ministry, v1::CommandService::Stub& kiat,
                       int cycle, ClientView& book) {
  using Stub = v1::CommandService::Stub;
  if (absl::Status s = SetupCommand(ministry, &Stub::EstablishProgram,
                                    testing::ProgramRequest(kProgramId, CrashRules()),
                                    absl::StrCat("EstablishProgram ", kProgramId), cycle, book);
      !s.ok()) {
    return s;
  }
  const int32_t slots = static_cast<int32_t>(std::size(kConsortia));
  if (absl::Status s = SetupCommand(ministry, &Stub::OpenSelectionRound,
                                    testing::RoundRequest(kFirstYear, slots, kProgramId),
                                    absl::StrCat("OpenSelectionRound ", kFirstYear), cycle, book);
      !s.ok()) {
    return s;
  }
  for (const CrashConsortium& consortium : kConsortia) {
    // A valid selection: business registration numbers, the region's name.
    if (absl::Status s =
            SetupCommand(ministry, &Stub::SelectConsortium,
                         testing::OtherSelectionRequest(consortium.consortium_id, kProgramId,
                                                        kFirstYear, consortium.region_code),
                         absl::StrCat("SelectConsortium ", consortium.consortium_id), cycle, book);
        !s.ok()) {
      return s;
    }
  }
  for (const CrashConsortium& consortium : kConsortia) {
    for (int32_t year = kFirstYear; year < kFirstYear + kTermYears; ++year) {
      if (absl::Status s = SetupCommand(
              kiat, &Stub::SignAgreement,
              testing::AgreementRequest(consortium.consortium_id, year, kAnnualLimitKrw),
              absl::StrCat("SignAgreement ", consortium.consortium_id, " ", year), cycle, book);
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

// ---- Retries of unknown outcomes -------------------------------------------------------

// Sends each pending call again, unchanged. The server must answer OK: a
// replay at the logged position when the crash kept the command, else a
// fresh append after everything the check saw.
absl::Status RetryUnknown(v1::CommandService::Stub& stub, uint64_t log_size_at_check, int cycle,
                          ClientView& book) {
  std::vector<UnknownOutcome> pending = std::move(book.pending_retries);
  book.pending_retries.clear();
  if (pending.size() > kRetriesPerCycleMax) pending.resize(kRetriesPerCycleMax);
  for (const UnknownOutcome& unknown : pending) {
    const std::string& event_id = unknown.request.meta().event_id();
    v1::AppendResult result;
    grpc::Status status = stub.DisburseFunds(NewContext().get(), unknown.request, &result);
    if (!status.ok()) {
      return Violation(absl::StrCat("retry of unknown-outcome command ", event_id,
                                    " after restart failed: ", Describe(status)));
    }
    if (unknown.logged_position.has_value()) {
      if (!result.replayed() || result.global_position() != *unknown.logged_position) {
        return Violation(absl::StrCat(
            "retry of ", event_id, ", which the log holds at position ", *unknown.logged_position,
            ", answered replayed=", result.replayed(), " at position ", result.global_position(),
            ": expected replayed=true at the logged position"));
      }
    } else if (result.replayed() || result.global_position() <= log_size_at_check) {
      return Violation(
          absl::StrCat("retry of ", event_id, ", which the log did not hold (it had ",
                       log_size_at_check, " events), answered replayed=", result.replayed(),
                       " at position ", result.global_position(),
                       ": expected a fresh append after position ", log_size_at_check));
    }
    book.acked[event_id] = AckOf(result, cycle);
    ++book.retried_total;
  }
  return absl::OkStatus();
}

// ---- Writers ------------------------------------------------------------------------------

struct WriterReport {
  std::vector<std::pair<std::string, v1::AppendResult>> acked;
  std::vector<UnknownOutcome> unknown;
  std::vector<std::string> sent;
  std::string failure;  // empty unless the server answered what it must not
};

// Pays into the three consortia until the server is killed (`killed` is
// set before the SIGKILL, so every failure the kill causes sees it).
void RunWriter(const std::shared_ptr<grpc::Channel>& channel, uint64_t seed,
               const std::atomic<bool>& killed, WriterReport& report) {
  std::unique_ptr<v1::CommandService::Stub> stub = v1::CommandService::NewStub(channel);
  std::mt19937_64 random(seed);
  for (int i = 0; i < kCallsPerWriterMax && !killed.load(); ++i) {
    const CrashConsortium& consortium = kConsortia[random() % std::size(kConsortia)];
    const int32_t year = kFirstYear + static_cast<int32_t>(random() % kTermYears);
    const int64_t amount_krw = kPaymentKrwMin + static_cast<int64_t>(random() % kPaymentKrwSpread);
    // A fresh UUID and payment reference "PAY-<uuid>" (test_requests.h).
    v1::DisburseFundsRequest request = DisburseRequest(consortium.consortium_id, year, amount_krw);
    report.sent.push_back(request.meta().event_id());
    v1::AppendResult result;
    grpc::Status status = stub->DisburseFunds(NewContext().get(), request, &result);
    if (status.ok()) {
      report.acked.emplace_back(request.meta().event_id(), result);
      continue;
    }
    if (killed.load() && IsUnknownOutcome(status)) {
      report.unknown.push_back(UnknownOutcome{std::move(request), std::nullopt});
      return;
    }
    report.failure =
        absl::StrCat("DisburseFunds ", request.meta().event_id(), " answered ", Describe(status),
                     killed.load() ? " after" : " before",
                     " the kill (only UNAVAILABLE or DEADLINE_EXCEEDED may follow it)");
    return;
  }
}

// ---- The check: the store opened in this process ---------------------------------------------

struct LoggedEvent {
  uint64_t global_position = 0;
  std::string stream_id;
  uint64_t stream_version = 0;
};

struct CheckFigures {
  uint64_t log_size = 0;
  size_t model_entries = 0;
};

// Scans the whole log: positions 1..N, stream versions contiguous, each
// event id once, every event one the run sent. Fills `by_event_id`.
absl::Status ScanLog(storage::EventLog& log, const ClientView& book,
                     absl::flat_hash_map<std::string, LoggedEvent>& by_event_id) {
  uint64_t next_position = 1;
  absl::flat_hash_map<std::string, uint64_t> stream_versions;
  absl::Status scan = log.ForEachEvent(1, [&](const v1::EventEnvelope& event) -> absl::Status {
    if (event.global_position() != next_position) {
      return Violation(absl::StrCat("log position gap: expected ", next_position, ", found ",
                                    event.global_position(), " (event ", event.event_id(), ")"));
    }
    ++next_position;
    uint64_t& version = stream_versions[event.stream_id()];
    if (event.stream_version() != version + 1) {
      return Violation(absl::StrCat("stream ", event.stream_id(), " jumps from version ", version,
                                    " to ", event.stream_version(), " at position ",
                                    event.global_position()));
    }
    version = event.stream_version();
    auto [it, inserted] = by_event_id.try_emplace(
        event.event_id(),
        LoggedEvent{event.global_position(), event.stream_id(), event.stream_version()});
    if (!inserted) {
      return Violation(absl::StrCat("event id ", event.event_id(), " is in the log twice: at ",
                                    it->second.global_position, " and ", event.global_position()));
    }
    if (!book.sent.contains(event.event_id())) {
      return Violation(absl::StrCat("event ", event.event_id(), " at position ",
                                    event.global_position(), " was never sent by this run"));
    }
    return absl::OkStatus();
  });
  if (!scan.ok()) return scan;
  absl::StatusOr<uint64_t> last = log.LastPosition();
  if (!last.ok()) return last.status();
  if (*last != next_position - 1) {
    return Violation(absl::StrCat("LastPosition() is ", *last, " but a scan found ",
                                  next_position - 1, " events"));
  }
  return absl::OkStatus();
}

// Every command acknowledged in any cycle is where it was acknowledged; the
// event-id index agrees for this cycle's (older ones were looked up before).
absl::Status CheckAcked(storage::EventLog& log, const ClientView& book, int cycle,
                        const absl::flat_hash_map<std::string, LoggedEvent>& by_event_id) {
  for (const auto& [event_id, ack] : book.acked) {
    auto it = by_event_id.find(event_id);
    if (it == by_event_id.end()) {
      return Violation(absl::StrCat("acknowledged command ", event_id, " (cycle ", ack.cycle,
                                    ", position ", ack.global_position, ", stream ", ack.stream_id,
                                    " v", ack.stream_version, ") is missing from the log"));
    }
    const LoggedEvent& logged = it->second;
    if (logged.global_position != ack.global_position || logged.stream_id != ack.stream_id ||
        logged.stream_version != ack.stream_version) {
      return Violation(absl::StrCat("acknowledged command ", event_id, " (cycle ", ack.cycle,
                                    ") was acknowledged at position ", ack.global_position, ", ",
                                    ack.stream_id, " v", ack.stream_version, "; the log has it at ",
                                    logged.global_position, ", ", logged.stream_id, " v",
                                    logged.stream_version));
    }
    if (ack.cycle != cycle) continue;
    absl::StatusOr<std::optional<storage::EventIdRecord>> record = log.FindEventId(event_id);
    if (!record.ok()) return record.status();
    if (!record->has_value() || (*record)->first_global_position != ack.global_position) {
      return Violation(absl::StrCat(
          "event-id index for acknowledged command ", event_id, " gives ",
          record->has_value() ? absl::StrCat("position ", (*record)->first_global_position)
                              : std::string("nothing"),
          ", expected position ", ack.global_position));
    }
  }
  return absl::OkStatus();
}

// Looks up where (whether) each unknown outcome landed; the index and the
// scan must agree.
absl::Status LocateUnknown(storage::EventLog& log,
                           const absl::flat_hash_map<std::string, LoggedEvent>& by_event_id,
                           std::vector<UnknownOutcome>& unknown) {
  for (UnknownOutcome& outcome : unknown) {
    const std::string& event_id = outcome.request.meta().event_id();
    absl::StatusOr<std::optional<storage::EventIdRecord>> record = log.FindEventId(event_id);
    if (!record.ok()) return record.status();
    auto it = by_event_id.find(event_id);
    const bool indexed = record->has_value();
    const bool scanned = it != by_event_id.end();
    if (indexed != scanned ||
        (indexed && (*record)->first_global_position != it->second.global_position)) {
      return Violation(absl::StrCat(
          "event ", event_id, ": the event-id index says ",
          indexed ? absl::StrCat((*record)->first_global_position) : std::string("absent"),
          ", the log scan says ",
          scanned ? absl::StrCat(it->second.global_position) : std::string("absent")));
    }
    if (indexed) outcome.logged_position = (*record)->first_global_position;
  }
  return absl::OkStatus();
}

// Model keys join their parts with 0x00 (storage/FORMAT.md): messages show
// them escaped.
// `what` ("read model", "rule-index entry") as stored against as rebuilt.
absl::Status CompareWithRebuild(absl::string_view what,
                                const std::vector<std::pair<std::string, std::string>>& stored,
                                const std::vector<std::pair<std::string, std::string>>& folded) {
  if (stored == folded) return absl::OkStatus();
  const size_t common = std::min(stored.size(), folded.size());
  for (size_t i = 0; i < common; ++i) {
    if (stored[i].first != folded[i].first) {
      return Violation(absl::StrCat(what, "s differ from a rebuild: entry ", i, " is key '",
                                    absl::CHexEscape(stored[i].first), "' stored but '",
                                    absl::CHexEscape(folded[i].first), "' rebuilt"));
    }
    if (stored[i].second != folded[i].second) {
      return Violation(absl::StrCat(what, " '", absl::CHexEscape(stored[i].first),
                                    "' differs from a rebuild (", stored[i].second.size(),
                                    " bytes stored, ", folded[i].second.size(), " rebuilt)"));
    }
  }
  return Violation(absl::StrCat(what, "s differ from a rebuild: ", stored.size(),
                                " entries stored, ", folded.size(), " rebuilt"));
}

absl::Status CheckModels(storage::EventLog& log, CheckFigures& figures) {
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> stored = log.DumpModels();
  if (!stored.ok()) return stored.status();
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> stored_rules =
      log.DumpRuleEntries();
  if (!stored_rules.ok()) return stored_rules.status();
  absl::StatusOr<FoldedLog> folded = FoldLog(log, /*with_rule_entries=*/true);
  if (!folded.ok()) return folded.status();
  figures.model_entries = stored->size() + stored_rules->size();
  if (absl::Status s = CompareWithRebuild("read model", *stored, folded->models); !s.ok()) {
    return s;
  }
  return CompareWithRebuild("rule-index entry", *stored_rules, folded->rule_entries);
}

absl::StatusOr<CheckFigures> CheckStore(const std::string& data_dir, int cycle, ClientView& book,
                                        std::vector<UnknownOutcome>& unknown) {
  storage::EventLogOptions options;
  options.create_if_missing = false;  // the server made it; absent would be a loss
  absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
      storage::EventLog::Open(data_dir, options);
  if (!log.ok()) {
    return Violation(
        absl::StrCat("cannot open the store after the crash: ", log.status().ToString()));
  }
  absl::flat_hash_map<std::string, LoggedEvent> by_event_id;
  if (absl::Status s = ScanLog(**log, book, by_event_id); !s.ok()) return s;
  if (absl::Status s = CheckAcked(**log, book, cycle, by_event_id); !s.ok()) return s;
  if (absl::Status s = LocateUnknown(**log, by_event_id, unknown); !s.ok()) return s;
  CheckFigures figures;
  figures.log_size = by_event_id.size();
  if (absl::Status s = CheckModels(**log, figures); !s.ok()) return s;
  return figures;  // the store closes here, before the server reopens it
}

// ---- One cycle ---------------------------------------------------------------------------------

struct Run {
  std::string dir;  // temporary; the store is dir/store
  uint64_t seed = 0;
  int writers = 0;
  std::mt19937_64 random;
  ClientView book;
  uint64_t log_size = 0;  // at the last check
  bool established = false;

  std::string store() const { return dir + "/store"; }
};

absl::StatusOr<Server> StartServer(Run& run, int cycle) {
  Server server;
  server.address = absl::StrCat("127.0.0.1:", FreePort());
  absl::StatusOr<std::unique_ptr<AlliancedProcess>> process = AlliancedProcess::Start(
      ALLIANCED_PATH, {"--data_dir=" + run.store(), "--listen=" + server.address}, run.dir,
      {.name = "allianced", .append_output = true, .die_with_parent = true});
  if (!process.ok()) return process.status();
  server.process = *std::move(process);
  if (absl::Status s = server.process->WaitServing(server.address, absl::Now() + kServingBound);
      !s.ok()) {
    return absl::UnavailableError(absl::StrCat("cycle ", cycle, ": ", s.message()));
  }
  return server;
}

absl::Status RunCycle(Run& run, int cycle) {
  const auto cycle_start = steady_clock::now();
  absl::StatusOr<Server> server = StartServer(run, cycle);
  if (!server.ok()) return server.status();
  auto channel =
      grpc::CreateChannel(server->address, testing::TestAccess::Get().Credentials("kiat"));
  std::unique_ptr<v1::CommandService::Stub> stub = v1::CommandService::NewStub(channel);
  if (!run.established) {
    std::unique_ptr<v1::CommandService::Stub> ministry = v1::CommandService::NewStub(
        grpc::CreateChannel(server->address, testing::TestAccess::Get().Credentials("ministry")));
    if (absl::Status s = Establish(*ministry, *stub, cycle, run.book); !s.ok()) return s;
    run.established = true;
  }
  const size_t retried = run.book.pending_retries.size();
  if (absl::Status s = RetryUnknown(*stub, run.log_size, cycle, run.book); !s.ok()) return s;

  std::atomic<bool> killed{false};
  std::vector<WriterReport> reports(run.writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < run.writers; ++w) {
    threads.emplace_back(RunWriter, channel, run.random(), std::cref(killed), std::ref(reports[w]));
  }
  const int kill_after_ms =
      kKillDelayMsMin + static_cast<int>(run.random() % (kKillDelayMsMax - kKillDelayMsMin + 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
  killed.store(true);
  if (absl::Status s = server->process->Kill(); !s.ok()) return s;
  absl::StatusOr<int> exit_status = server->process->Wait(absl::Now() + kExitBound);
  for (std::thread& thread : threads) thread.join();
  if (!exit_status.ok() || !WIFSIGNALED(*exit_status) || WTERMSIG(*exit_status) != SIGKILL) {
    return absl::InternalError(absl::StrCat(
        "cycle ", cycle, ": allianced was expected to die of SIGKILL but ",
        exit_status.ok() ? DescribeWaitStatus(*exit_status) : std::string("did not exit"), "\n",
        server->process->OutputTail(kStderrTailBytes)));
  }

  size_t acked = 0;
  std::vector<UnknownOutcome> unknown;
  for (WriterReport& report : reports) {
    if (!report.failure.empty()) return Violation(report.failure);
    run.book.sent.insert(report.sent.begin(), report.sent.end());
    for (const auto& [event_id, result] : report.acked) {
      run.book.acked[event_id] = AckOf(result, cycle);
    }
    acked += report.acked.size();
    for (UnknownOutcome& outcome : report.unknown) unknown.push_back(std::move(outcome));
  }
  absl::StatusOr<CheckFigures> figures = CheckStore(run.store(), cycle, run.book, unknown);
  if (!figures.ok()) return figures.status();
  run.log_size = figures->log_size;

  size_t found = 0;
  for (const UnknownOutcome& outcome : unknown) found += outcome.logged_position.has_value();
  run.book.unknown_total += unknown.size();
  run.book.unknown_found_total += found;
  run.book.pending_retries = std::move(unknown);
  const double seconds = std::chrono::duration<double>(steady_clock::now() - cycle_start).count();
  std::printf(
      "cycle %d: killed after %d ms; acked %zu, unknown %zu (%zu in the log), retried %zu; "
      "log %llu events, %zu model entries; %.1f s\n",
      cycle, kill_after_ms, acked, run.book.pending_retries.size(), found, retried,
      static_cast<unsigned long long>(run.log_size), figures->model_entries, seconds);
  std::fflush(stdout);
  return absl::OkStatus();
}

// After the last cycle: one more start, so the last cycle's unknown outcomes
// are retried too, then a clean stop (SIGTERM) and a last check.
absl::Status Finish(Run& run, int cycle) {
  absl::StatusOr<Server> server = StartServer(run, cycle);
  if (!server.ok()) return server.status();
  {
    auto channel =
        grpc::CreateChannel(server->address, testing::TestAccess::Get().Credentials("kiat"));
    std::unique_ptr<v1::CommandService::Stub> stub = v1::CommandService::NewStub(channel);
    if (absl::Status s = RetryUnknown(*stub, run.log_size, cycle, run.book); !s.ok()) return s;
  }
  if (absl::Status s = server->process->Terminate(); !s.ok()) return s;
  absl::StatusOr<int> exit_status = server->process->Wait(absl::Now() + kExitBound);
  if (!exit_status.ok() || !WIFEXITED(*exit_status) || WEXITSTATUS(*exit_status) != 0) {
    return absl::InternalError(absl::StrCat(
        "allianced did not stop cleanly on SIGTERM: ",
        exit_status.ok() ? DescribeWaitStatus(*exit_status) : std::string("did not exit"), "\n",
        server->process->OutputTail(kStderrTailBytes)));
  }
  std::vector<UnknownOutcome> none;
  absl::StatusOr<CheckFigures> figures = CheckStore(run.store(), cycle, run.book, none);
  if (!figures.ok()) return figures.status();
  run.log_size = figures->log_size;
  return absl::OkStatus();
}

int Main(int cycles, uint64_t seed, int writers) {
  Run run;
  run.seed = seed;
  run.writers = writers;
  run.random.seed(seed);
  char pattern[] = "/tmp/alliance-crash-XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    std::fprintf(stderr, "crash_check: mkdtemp: %s\n", strerror(errno));
    return 1;
  }
  run.dir = pattern;
  std::printf("crash_check --seed=%llu --cycles=%d --writers=%d; store %s\n",
              static_cast<unsigned long long>(seed), cycles, writers, run.store().c_str());
  std::fflush(stdout);
  const auto start = steady_clock::now();
  absl::Status status = absl::OkStatus();
  int cycle = 1;
  while (cycle <= cycles) {
    status = RunCycle(run, cycle);
    if (!status.ok()) break;
    ++cycle;
  }
  // cycle == cycles + 1 here names the final restart, retry and clean stop.
  if (status.ok()) status = Finish(run, cycle);
  if (!status.ok()) {
    const std::string where = cycle <= cycles ? absl::StrCat("cycle ", cycle)
                                              : std::string("the final restart and check");
    std::fprintf(stderr, "crash_check: %s in %s (replay: --seed=%llu --cycles=%d): %s\n",
                 absl::IsDataLoss(status) ? "DURABILITY VIOLATION" : "FAILED", where.c_str(),
                 static_cast<unsigned long long>(seed), cycles,
                 std::string(status.message()).c_str());
    std::fprintf(stderr, "crash_check: store and server log kept in %s\n", run.dir.c_str());
    return 1;
  }
  const double seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
  std::printf(
      "crash_check: OK: %d SIGKILL cycles, %zu acknowledged commands all in the log exactly "
      "once; %llu unknown outcomes (%llu had been written), %llu retried without a duplicate; "
      "log %llu events, read models equal a rebuild; seed %llu; %.1f s\n",
      cycles, run.book.acked.size(), static_cast<unsigned long long>(run.book.unknown_total),
      static_cast<unsigned long long>(run.book.unknown_found_total),
      static_cast<unsigned long long>(run.book.retried_total),
      static_cast<unsigned long long>(run.log_size), static_cast<unsigned long long>(seed),
      seconds);
  std::error_code error;
  std::filesystem::remove_all(run.dir, error);
  return 0;
}

}  // namespace
}  // namespace alliance::crash

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "SIGKILLs allianced under concurrent writers and checks the store.\n"
      "  crash_check --cycles=N [--seed=S] [--writers=W]");
  absl::ParseCommandLine(argc, argv);
  const int cycles = absl::GetFlag(FLAGS_cycles);
  const int writers = absl::GetFlag(FLAGS_writers);
  uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (cycles < 1 || cycles > alliance::crash::kCyclesMax || writers < 1 ||
      writers > alliance::crash::kWritersMax) {
    std::fprintf(stderr, "crash_check: --cycles must be 1..%d and --writers 1..%d\n",
                 alliance::crash::kCyclesMax, alliance::crash::kWritersMax);
    return 2;
  }
  if (seed == 0)
    seed = (static_cast<uint64_t>(std::random_device()()) << 32) | std::random_device()();
  if (seed == 0) seed = 1;  // 0 means "pick one"
  return alliance::crash::Main(cycles, seed, writers);
}
