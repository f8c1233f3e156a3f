// AlliancedProcess: one allianced (or any gRPC server binary) run as a child
// process, for the programs that test the real binary: the process test, the
// crash check and the benchmark. It starts the binary with fork/exec, waits
// until it answers grpc.health.v1 with SERVING, signals it, reaps it, and
// never leaves it running: the destructor SIGKILLs and reaps a child still
// alive.
//
//   const std::string address = absl::StrCat("127.0.0.1:", FreePort());
//   absl::StatusOr<std::unique_ptr<AlliancedProcess>> server = AlliancedProcess::Start(
//       ALLIANCED_PATH, {"--data_dir=" + dir, "--listen=" + address}, log_dir);
//   if (!server.ok()) return server.status();
//   if (absl::Status s = (*server)->WaitServing(address, absl::Now() + absl::Seconds(20));
//       !s.ok()) return s;  // the message holds the tail of its stderr
//   ... calls ...
//   if (absl::Status s = (*server)->Terminate(); !s.ok()) return s;
//   absl::StatusOr<int> wait_status = (*server)->Wait(absl::Now() + absl::Seconds(15));
//
// The health check is spoken as bytes through grpc::GenericStub, not through
// the generated health stub: the crash check and the benchmark link
// alliance_services and with it libgrpc++_reflection, which registers
// reflection.proto; grpc_client_protos (the generated stubs) registers it
// again, and both in one binary abort at start-up (tests/service/CMakeLists.txt).
// So this library links neither, and works beside either.
//
// Errors are absl::Status values; nothing here throws or uses gtest. One
// object is not safe for concurrent use: call it from one thread at a time.
#ifndef ALLIANCE_TESTS_SUPPORT_ALLIANCED_PROCESS_H_
#define ALLIANCE_TESTS_SUPPORT_ALLIANCED_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace alliance::testing {

class AlliancedProcess {
 public:
  struct Options {
    // The output files in the log folder are <name>.stdout and <name>.stderr.
    std::string name = "allianced";
    // Default false: each start truncates its output files. True appends, so
    // successive runs on one log folder (the crash check's cycles) keep one
    // history.
    bool append_output = false;
    // Default false. True sets PR_SET_PDEATHSIG to SIGKILL in the child: it
    // dies when the thread that called Start() exits, even when an abort
    // skips the destructor. Only for a caller that starts servers from a
    // thread that outlives them (the crash check's main thread).
    bool die_with_parent = false;
    // kAllianced (default): the binary is allianced, given TestAccess's
    // flags (test_access.h: mutual TLS, the registry, the method policy)
    // after `args`, and health-checked over mutual TLS as "kiat".
    // kTlsOnly: only the TLS flags (--tls_cert, --tls_key, --tls_client_ca),
    // for another server that serves mutual TLS (the benchmark's empty-call
    // ceiling). kNone: nothing added, plaintext (a program that is no server).
    enum class Access { kAllianced, kTlsOnly, kNone };
    Access access = Access::kAllianced;
  };

  // Runs `binary` with `args` (not including argv[0]) as a child process
  // whose stdout and stderr go to files in `log_dir` (which must exist),
  // named by `options.name`. The child starts with no signal blocked.
  // Returns the running process, or an error when fork fails. A binary that
  // cannot be executed still starts: the child exits with 127 (126 when an
  // output file cannot be opened, 125 when the parent-death signal cannot
  // be set), which Wait() and WaitServing() report.
  static absl::StatusOr<std::unique_ptr<AlliancedProcess>> Start(const std::string& binary,
                                                                 std::vector<std::string> args,
                                                                 const std::string& log_dir,
                                                                 const Options& options);
  static absl::StatusOr<std::unique_ptr<AlliancedProcess>> Start(
      const std::string& binary, const std::vector<std::string>& args, const std::string& log_dir) {
    return Start(binary, args, log_dir, Options());
  }

  AlliancedProcess(const AlliancedProcess&) = delete;
  AlliancedProcess& operator=(const AlliancedProcess&) = delete;

  // SIGKILLs the child if it has not been reaped, and reaps it.
  ~AlliancedProcess();

  pid_t pid() const { return pid_; }

  // Polls /grpc.health.v1.Health/Check (the whole server) on `address`, a
  // fresh channel and a 250 ms deadline each attempt, until the reply is
  // SERVING. OK then; FailedPrecondition when the process exits first;
  // DeadlineExceeded when `deadline` passes first. Either error's message
  // names the address and ends with the tail of the child's output.
  [[nodiscard]] absl::Status WaitServing(const std::string& address, absl::Time deadline);

  // Sends `signal_number` to the child. FailedPrecondition once the child
  // has been reaped (its pid may belong to another process by then).
  [[nodiscard]] absl::Status Signal(int signal_number);
  [[nodiscard]] absl::Status Terminate();  // SIGTERM
  [[nodiscard]] absl::Status Kill();       // SIGKILL

  // The child's wait status (decode with WIFEXITED and friends, or
  // DescribeWaitStatus) once it has exited, reaping it; the same status on
  // every later call. DeadlineExceeded if it still runs at `deadline`: a
  // deadline in the past (absl::InfinitePast()) asks without waiting.
  [[nodiscard]] absl::StatusOr<int> Wait(absl::Time deadline);

  // Everything the child has written so far; "" if the file cannot be read.
  std::string Stdout() const;
  std::string Stderr() const;
  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }

  // The last `max_bytes` of stdout and of stderr, each labelled with its
  // path: for a failure message.
  std::string OutputTail(size_t max_bytes = 4000) const;

 private:
  AlliancedProcess(pid_t pid, std::string stdout_path, std::string stderr_path, bool access)
      : pid_(pid),
        stdout_path_(std::move(stdout_path)),
        stderr_path_(std::move(stderr_path)),
        access_(access) {}

  pid_t pid_;
  std::string stdout_path_;
  std::string stderr_path_;
  const bool access_;
  std::optional<int> wait_status_;  // set once reaped
};

// "exited with 3", "killed by signal 9 (Killed)": a wait status in words.
std::string DescribeWaitStatus(int wait_status);

// What a command-line program's run left: its exit code (-1 when it did not
// exit by itself), and all it wrote to stdout and stderr.
struct ProgramRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `binary` with `args` to its end, its output in files named `name`
// in `log_dir`, as the tests run alliancectl. DEADLINE_EXCEEDED (the child
// killed) when it has not ended by `deadline`.
absl::StatusOr<ProgramRun> RunProgram(const std::string& binary,
                                      const std::vector<std::string>& args,
                                      const std::string& log_dir, const std::string& name,
                                      absl::Time deadline);

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SUPPORT_ALLIANCED_PROCESS_H_
