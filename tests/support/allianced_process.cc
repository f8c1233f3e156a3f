#include "tests/support/allianced_process.h"

#include <fcntl.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <future>

#include "absl/strings/str_cat.h"
#include "storage/whole_file.h"
#include "tests/support/test_access.h"
#include "tests/support/unary_bytes.h"

namespace alliance::testing {
namespace {

// grpc.health.v1.Health/Check as bytes (see the header for why). An empty
// HealthCheckRequest asks about the whole server; the reply SERVING is
// field 1 (varint) = 1.
constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";
constexpr char kHealthServingReply[] = {0x08, 0x01};
constexpr auto kHealthCallDeadline = std::chrono::milliseconds(250);
constexpr absl::Duration kHealthPollInterval = absl::Milliseconds(50);
constexpr absl::Duration kWaitPollInterval = absl::Milliseconds(5);

std::string Tail(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  return "..." + text.substr(text.size() - max_bytes);
}

// One Health/Check on a fresh channel with its own subchannel: a refused
// first connection would otherwise leave a shared subchannel in reconnect
// backoff.
bool HealthServing(const std::string& address, bool tls) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls) credentials = TestAccess::Get().Credentials("kiat");
  auto channel = grpc::CreateCustomChannel(address, credentials, args);
  std::string bytes;
  if (!CallUnaryBytes(channel, kHealthCheckMethod, "",
                      std::chrono::duration_cast<std::chrono::milliseconds>(kHealthCallDeadline),
                      &bytes)
           .ok()) {
    return false;
  }
  return bytes == std::string(kHealthServingReply, sizeof(kHealthServingReply));
}

}  // namespace

absl::StatusOr<std::unique_ptr<AlliancedProcess>> AlliancedProcess::Start(
    const std::string& binary, std::vector<std::string> args, const std::string& log_dir,
    const Options& options) {
  if (options.access != Options::Access::kNone) {
    std::vector<std::string> flags = options.access == Options::Access::kAllianced
                                         ? TestAccess::Get().ServerFlags()
                                         : TestAccess::Get().TlsFlags();
    args.insert(args.end(), flags.begin(), flags.end());
  }
  std::string stdout_path = absl::StrCat(log_dir, "/", options.name, ".stdout");
  std::string stderr_path = absl::StrCat(log_dir, "/", options.name, ".stderr");
  // Everything the child needs is made before fork: after it, the child may
  // make async-signal-safe calls only.
  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int open_flags = O_WRONLY | O_CREAT | (options.append_output ? O_APPEND : O_TRUNC);
  const bool die_with_parent = options.die_with_parent;
  const char* out_path = stdout_path.c_str();
  const char* err_path = stderr_path.c_str();
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  if (pid == 0) {
    if (die_with_parent && (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)) {
      _exit(125);
    }
    // Not the caller's blocked signals (the benchmark blocks its stop signals).
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const int out = open(out_path, open_flags, 0644);
    const int err = open(err_path, open_flags, 0644);
    if (out < 0 || err < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) {
      _exit(126);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return std::unique_ptr<AlliancedProcess>(
      new AlliancedProcess(pid, std::move(stdout_path), std::move(stderr_path),
                           options.access != Options::Access::kNone));
}

AlliancedProcess::~AlliancedProcess() {
  if (wait_status_.has_value()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

absl::Status AlliancedProcess::WaitServing(const std::string& address, absl::Time deadline) {
  while (absl::Now() < deadline) {
    if (absl::StatusOr<int> exited = Wait(absl::InfinitePast()); exited.ok()) {
      return absl::FailedPreconditionError(absl::StrCat("the server ended before SERVING on ",
                                                        address, ": ", DescribeWaitStatus(*exited),
                                                        "\n", OutputTail()));
    }
    if (HealthServing(address, access_)) return absl::OkStatus();
    absl::SleepFor(kHealthPollInterval);
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the server did not become SERVING on ", address, "\n", OutputTail()));
}

absl::Status AlliancedProcess::Signal(int signal_number) {
  if (wait_status_.has_value()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the server has already ended: ", DescribeWaitStatus(*wait_status_)));
  }
  if (kill(pid_, signal_number) != 0) {
    return absl::InternalError(
        absl::StrCat("kill(", pid_, ", ", signal_number, "): ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status AlliancedProcess::Terminate() { return Signal(SIGTERM); }

absl::Status AlliancedProcess::Kill() { return Signal(SIGKILL); }

absl::StatusOr<int> AlliancedProcess::Wait(absl::Time deadline) {
  while (!wait_status_.has_value()) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      wait_status_ = status;
      break;
    }
    if (done < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid(", pid_, "): ", strerror(errno)));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat("the server (pid ", pid_, ") still runs"));
    }
    absl::SleepFor(kWaitPollInterval);
  }
  return *wait_status_;
}

std::string AlliancedProcess::Stdout() const { return ReadWholeFile(stdout_path_).value_or(""); }

std::string AlliancedProcess::Stderr() const { return ReadWholeFile(stderr_path_).value_or(""); }

std::string AlliancedProcess::OutputTail(size_t max_bytes) const {
  return absl::StrCat(stdout_path_, ":\n", Tail(Stdout(), max_bytes), "\n", stderr_path_, ":\n",
                      Tail(Stderr(), max_bytes));
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return absl::StrCat("exited with ", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    return absl::StrCat("killed by signal ", WTERMSIG(wait_status), " (",
                        strsignal(WTERMSIG(wait_status)), ")");
  }
  return absl::StrCat("wait status ", wait_status);
}

absl::StatusOr<ProgramRun> RunProgram(const std::string& binary,
                                      const std::vector<std::string>& args,
                                      const std::string& log_dir, const std::string& name,
                                      absl::Time deadline) {
  absl::StatusOr<std::unique_ptr<AlliancedProcess>> process = AlliancedProcess::Start(
      binary, args, log_dir, {.name = name, .access = AlliancedProcess::Options::Access::kNone});
  if (!process.ok()) return process.status();
  absl::StatusOr<int> status = (*process)->Wait(deadline);
  if (!status.ok()) return status.status();
  ProgramRun run;
  if (WIFEXITED(*status)) run.exit_code = WEXITSTATUS(*status);
  run.out = (*process)->Stdout();
  run.err = (*process)->Stderr();
  return run;
}

}  // namespace alliance::testing
