// The allianced binary as operators run it: spawned with fork/exec on a
// temporary folder and a free port, probed through grpc.health.v1, discovered
// through server reflection the way a generic tool (grpcurl) does, stopped
// with SIGTERM, refused a folder it cannot open, and limited in request size.
//
// This executable must not link alliance_services: libgrpc++_reflection
// registers grpc/reflection/v1alpha/reflection.proto, which grpc_client_protos
// (the client stubs used here) registers too.
#include "tests/support/allianced_process.h"

#include <arpa/inet.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alliance/v1/commands.grpc.pb.h"
#include "alliance/v1/queries.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "tests/service/test_requests.h"
#include "tests/support/free_port.h"
#include "tests/support/stalled_caller.h"
#include "tests/support/test_access.h"
#include "tests/support/tmpfs.h"
#include "tests/support/unary_bytes.h"

#ifndef ALLIANCED_PATH
#error "ALLIANCED_PATH must name the allianced binary"
#endif

namespace alliance::testing {
namespace {

namespace reflection = ::grpc::reflection::v1alpha;

// Give-up bounds only: no test asserts how fast anything happens.
constexpr auto kServingBound = std::chrono::seconds(20);
constexpr auto kSigtermExitBound = std::chrono::seconds(15);
constexpr auto kFailedStartBound = std::chrono::seconds(20);

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/allianced-process-test-XXXXXX";
    if (char* made = mkdtemp(pattern)) path_ = made;
  }
  ~TempDir() {
    std::error_code error;
    if (!path_.empty()) std::filesystem::remove_all(path_, error);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

using ::alliance::testing::FreePort;

class AlliancedProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    data_dir_ = dir_.path() + "/store";
  }

  // Starts allianced on data_dir_ and a free port, and waits until it serves.
  std::unique_ptr<AlliancedProcess> Start(const std::string& name,
                                          std::vector<std::string> extra_flags = {}) {
    const int port = FreePort();
    EXPECT_GT(port, 0);
    address_ = "127.0.0.1:" + std::to_string(port);
    std::vector<std::string> flags = {"--data_dir=" + data_dir_, "--listen=" + address_};
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    absl::StatusOr<std::unique_ptr<AlliancedProcess>> process =
        AlliancedProcess::Start(ALLIANCED_PATH, flags, dir_.path(), {.name = name});
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return nullptr;
    const absl::Status serving =
        (*process)->WaitServing(address_, absl::Now() + absl::FromChrono(kServingBound));
    EXPECT_TRUE(serving.ok()) << serving;
    if (!serving.ok()) return nullptr;
    channel_ = grpc::CreateChannel(address_, TestAccess::Get().Credentials("kiat"));
    commands_ = v1::CommandService::NewStub(channel_);
    queries_ = v1::QueryService::NewStub(channel_);
    ministry_ = v1::CommandService::NewStub(
        grpc::CreateChannel(address_, TestAccess::Get().Credentials("ministry")));
    return *std::move(process);
  }

  // Sends SIGTERM and expects a clean exit (status 0) within the bound.
  // Drops the test's own channel first: an idle synchronous client polls
  // its connection only every few seconds, so it would answer the server's
  // graceful GOAWAY late and slow the shutdown down (within its grace).
  void StopWithSigterm(AlliancedProcess& process) {
    commands_.reset();
    ministry_.reset();
    queries_.reset();
    channel_.reset();
    ASSERT_TRUE(process.Terminate().ok());
    absl::StatusOr<int> status = process.Wait(absl::Now() + absl::FromChrono(kSigtermExitBound));
    ASSERT_TRUE(status.ok()) << "allianced did not exit after SIGTERM: " << status.status();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << DescribeWaitStatus(*status) << "\n"
        << process.OutputTail();
  }

  void Seed() {
    v1::AppendResult result;
    grpc::Status status =
        ministry_->EstablishProgram(NewContext().get(), Program2023Request(), &result);
    ASSERT_TRUE(status.ok()) << Describe(status);
    status = ministry_->OpenSelectionRound(NewContext().get(), RoundRequest(2023, 3), &result);
    ASSERT_TRUE(status.ok()) << Describe(status);
    for (const v1::SelectConsortiumRequest& selection : Consortia2023Requests()) {
      status = ministry_->SelectConsortium(NewContext().get(), selection, &result);
      ASSERT_TRUE(status.ok()) << Describe(status);
      // Agreements for the whole term, so payments of any term year go through.
      for (int32_t year = kFirstYear; year < kFirstYear + kTermYears; ++year) {
        status = commands_->SignAgreement(
            NewContext().get(), AgreementRequest(selection.selection().consortium_id(), year),
            &result);
        ASSERT_TRUE(status.ok()) << Describe(status);
      }
    }
  }

  std::vector<v1::EventEnvelope> ReadAll() {
    std::vector<v1::EventEnvelope> events;
    v1::ReadEventsRequest request;
    request.set_max_count(1000);
    for (int page = 0; page < 10'000; ++page) {
      v1::ReadEventsResponse response;
      grpc::Status status = queries_->ReadEvents(NewContext().get(), request, &response);
      EXPECT_TRUE(status.ok()) << Describe(status);
      if (!status.ok()) break;
      for (const v1::EventEnvelope& event : response.events()) events.push_back(event);
      if (response.next_from() == 0) break;
      request.set_from(response.next_from());
    }
    return events;
  }

  TempDir dir_;
  std::string data_dir_;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CommandService::Stub> commands_;  // as kiat
  std::unique_ptr<v1::CommandService::Stub> ministry_;
  std::unique_ptr<v1::QueryService::Stub> queries_;
};

// ---- Reflection and a dynamic call --------------------------------------------------

// One request and its response on a reflection stream.
class ReflectionClient {
 public:
  explicit ReflectionClient(const std::shared_ptr<grpc::Channel>& channel)
      : stub_(reflection::ServerReflection::NewStub(channel)) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stream_ = stub_->ServerReflectionInfo(&context_);
  }
  ~ReflectionClient() {
    stream_->WritesDone();
    reflection::ServerReflectionResponse ignored;
    while (stream_->Read(&ignored)) {
    }
    grpc::Status status = stream_->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  std::optional<reflection::ServerReflectionResponse> Ask(
      const reflection::ServerReflectionRequest& request) {
    reflection::ServerReflectionResponse response;
    if (!stream_->Write(request) || !stream_->Read(&response)) return std::nullopt;
    return response;
  }

  std::vector<std::string> ListServices() {
    reflection::ServerReflectionRequest request;
    request.set_list_services("*");
    std::vector<std::string> names;
    std::optional<reflection::ServerReflectionResponse> response = Ask(request);
    EXPECT_TRUE(response.has_value());
    if (!response) return names;
    EXPECT_TRUE(response->has_list_services_response()) << response->DebugString();
    for (const auto& service : response->list_services_response().service()) {
      names.push_back(service.name());
    }
    return names;
  }

  // Adds the FileDescriptorProtos of the response to `files`.
  bool Collect(const reflection::ServerReflectionRequest& request,
               std::map<std::string, google::protobuf::FileDescriptorProto>* files) {
    std::optional<reflection::ServerReflectionResponse> response = Ask(request);
    if (!response || !response->has_file_descriptor_response()) {
      ADD_FAILURE() << "no file descriptors for " << request.DebugString()
                    << (response ? response->DebugString() : "no response");
      return false;
    }
    for (const std::string& bytes : response->file_descriptor_response().file_descriptor_proto()) {
      google::protobuf::FileDescriptorProto file;
      if (!file.ParseFromString(bytes)) return false;
      (*files)[file.name()] = file;
    }
    return true;
  }

 private:
  std::unique_ptr<reflection::ServerReflection::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<reflection::ServerReflectionRequest,
                                           reflection::ServerReflectionResponse>>
      stream_;
};

// Builds `name` and its dependencies into `pool`, depth first.
bool BuildFile(const std::string& name,
               const std::map<std::string, google::protobuf::FileDescriptorProto>& files,
               google::protobuf::DescriptorPool* pool) {
  if (pool->FindFileByName(name) != nullptr) return true;
  auto it = files.find(name);
  if (it == files.end()) return false;
  for (const std::string& dependency : it->second.dependency()) {
    if (!BuildFile(dependency, files, pool)) return false;
  }
  return pool->BuildFile(it->second) != nullptr;
}

// A unary call by method name with the request and reply as bytes.
grpc::Status CallGeneric(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                         const std::string& request_bytes, std::string* reply_bytes) {
  return CallUnaryBytes(channel, method, request_bytes, kCallDeadline, reply_bytes);
}

TEST_F(AlliancedProcessTest, Reflection_DiscoversServices_DynamicGetProgramSummary) {
  std::unique_ptr<AlliancedProcess> process = Start("reflection");
  ASSERT_NE(process, nullptr);

  std::map<std::string, google::protobuf::FileDescriptorProto> files;
  {
    ReflectionClient client(channel_);
    std::vector<std::string> services = client.ListServices();
    const std::set<std::string> names(services.begin(), services.end());
    EXPECT_TRUE(names.contains("alliance.v1.CommandService"));
    EXPECT_TRUE(names.contains("alliance.v1.QueryService"));
    EXPECT_TRUE(names.contains("grpc.health.v1.Health"));

    reflection::ServerReflectionRequest by_symbol;
    by_symbol.set_file_containing_symbol("alliance.v1.QueryService");
    ASSERT_TRUE(client.Collect(by_symbol, &files));
    ASSERT_TRUE(files.contains("alliance/v1/queries.proto"));
    // Fetch whatever dependency the server did not send along.
    for (bool added = true; added;) {
      added = false;
      std::vector<std::string> missing;
      for (const auto& [name, file] : files) {
        for (const std::string& dependency : file.dependency()) {
          if (!files.contains(dependency)) missing.push_back(dependency);
        }
      }
      for (const std::string& name : missing) {
        if (files.contains(name)) continue;
        reflection::ServerReflectionRequest by_name;
        by_name.set_file_by_filename(name);
        ASSERT_TRUE(client.Collect(by_name, &files)) << name;
        ASSERT_TRUE(files.contains(name)) << name;
        added = true;
      }
    }
    EXPECT_TRUE(files.contains("google/protobuf/timestamp.proto"));
  }

  google::protobuf::DescriptorPool pool;
  ASSERT_TRUE(BuildFile("alliance/v1/queries.proto", files, &pool));
  const google::protobuf::ServiceDescriptor* service =
      pool.FindServiceByName("alliance.v1.QueryService");
  ASSERT_NE(service, nullptr);
  const google::protobuf::MethodDescriptor* method = service->FindMethodByName("GetProgramSummary");
  ASSERT_NE(method, nullptr);
  google::protobuf::DynamicMessageFactory factory(&pool);
  std::unique_ptr<google::protobuf::Message> request(
      factory.GetPrototype(method->input_type())->New());
  const google::protobuf::FieldDescriptor* program_id =
      method->input_type()->FindFieldByName("program_id");
  ASSERT_NE(program_id, nullptr);
  request->GetReflection()->SetString(request.get(), program_id, kProgramId);
  const std::string path = "/alliance.v1.QueryService/GetProgramSummary";

  // An empty store: no such program.
  std::string reply_bytes;
  grpc::Status status = CallGeneric(channel_, path, request->SerializeAsString(), &reply_bytes);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "PROGRAM_NOT_FOUND");

  // Recorded through the generated stubs, read through the dynamic path.
  v1::AppendResult appended;
  status = ministry_->EstablishProgram(NewContext().get(), Program2023Request(), &appended);
  ASSERT_TRUE(status.ok()) << Describe(status);
  status = CallGeneric(channel_, path, request->SerializeAsString(), &reply_bytes);
  ASSERT_TRUE(status.ok()) << Describe(status);
  std::unique_ptr<google::protobuf::Message> reply(
      factory.GetPrototype(method->output_type())->New());
  ASSERT_TRUE(reply->ParseFromString(reply_bytes));
  const google::protobuf::Descriptor* summary = method->output_type();
  const google::protobuf::Reflection* reflect = reply->GetReflection();
  EXPECT_EQ(reflect->GetString(*reply, summary->FindFieldByName("name_ko")),
            "중견기업-지역 혁신 얼라이언스 지원사업");
  EXPECT_EQ(reflect->GetString(*reply, summary->FindFieldByName("program_id")), kProgramId);
  const google::protobuf::Message& rules =
      reflect->GetMessage(*reply, summary->FindFieldByName("rules"));
  EXPECT_EQ(rules.GetReflection()->GetInt64(
                rules, rules.GetDescriptor()->FindFieldByName("total_budget_krw")),
            kTotalBudgetKrw);
  reply.reset();
  request.reset();
  StopWithSigterm(*process);
}

// ---- SIGTERM while commands are in flight -----------------------------------------------

TEST_F(AlliancedProcessTest, Sigterm_ExitsCleanly_EveryAcknowledgedCommandSurvivesRestart) {
  std::unique_ptr<AlliancedProcess> process = Start("sigterm");
  ASSERT_NE(process, nullptr);
  Seed();
  const std::vector<std::string> consortia = {kChungnam, kGyeongnam, kUlsan};
  constexpr int kThreads = 4;
  constexpr int kPerThreadMax = 500;
  constexpr size_t kAcksBeforeSignal = 40;

  std::mutex mutex;
  std::condition_variable acked_enough;
  std::map<std::string, uint64_t> acknowledged;
  bool signalled = false;
  std::vector<std::string> unexpected;
  std::vector<std::unique_ptr<v1::CommandService::Stub>> stubs;
  for (int t = 0; t < kThreads; ++t) stubs.push_back(v1::CommandService::NewStub(channel_));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      v1::CommandService::Stub* stub = stubs[t].get();
      for (int i = 0; i < kPerThreadMax; ++i) {
        v1::DisburseFundsRequest request =
            DisburseRequest(consortia[(t + i) % 3], 2023 + (i % kTermYears), 10 + t + i);
        v1::AppendResult result;
        grpc::Status status = stub->DisburseFunds(NewContext().get(), request, &result);
        std::lock_guard<std::mutex> lock(mutex);
        if (!status.ok()) {
          if (!signalled) unexpected.push_back(Describe(status));
          return;
        }
        acknowledged[request.meta().event_id()] = result.global_position();
        if (acknowledged.size() >= kAcksBeforeSignal) acked_enough.notify_all();
      }
    });
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    acked_enough.wait_for(lock, std::chrono::seconds(60),
                          [&] { return acknowledged.size() >= kAcksBeforeSignal; });
    signalled = true;
  }
  StopWithSigterm(*process);
  for (std::thread& thread : threads) thread.join();
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();
  ASSERT_GE(acknowledged.size(), kAcksBeforeSignal);

  std::unique_ptr<AlliancedProcess> restarted = Start("sigterm-restart");
  ASSERT_NE(restarted, nullptr);
  std::map<std::string, uint64_t> logged;
  for (const v1::EventEnvelope& event : ReadAll())
    logged[event.event_id()] = event.global_position();
  for (const auto& [event_id, position] : acknowledged) {
    auto it = logged.find(event_id);
    ASSERT_NE(it, logged.end()) << "acknowledged command " << event_id << " is not in the log";
    EXPECT_EQ(it->second, position);
  }
  StopWithSigterm(*restarted);
}

// ---- A folder it cannot open ------------------------------------------------------------

TEST_F(AlliancedProcessTest, UnopenableDataDir_ExitsNonZeroNamingTheFolder) {
  const std::string plain_file = dir_.path() + "/plain-file";
  { std::ofstream(plain_file) << "not a folder\n"; }
  const std::string bad_dir = plain_file + "/store";
  const int port = FreePort();
  absl::StatusOr<std::unique_ptr<AlliancedProcess>> process = AlliancedProcess::Start(
      ALLIANCED_PATH, {"--data_dir=" + bad_dir, "--listen=127.0.0.1:" + std::to_string(port)},
      dir_.path(), {.name = "bad-dir"});
  ASSERT_TRUE(process.ok()) << process.status();
  absl::StatusOr<int> status = (*process)->Wait(absl::Now() + absl::FromChrono(kFailedStartBound));
  ASSERT_TRUE(status.ok()) << "allianced kept running on a folder under a regular file";
  EXPECT_TRUE(WIFEXITED(*status)) << DescribeWaitStatus(*status);
  EXPECT_NE(WEXITSTATUS(*status), 0);
  EXPECT_NE((*process)->Stderr().find(plain_file), std::string::npos)
      << "stderr does not name the folder.\n"
      << (*process)->OutputTail();
}

// ---- --max_request_bytes ---------------------------------------------------------------

TEST_F(AlliancedProcessTest, RequestOverMaxRequestBytes_ResourceExhausted) {
  std::unique_ptr<AlliancedProcess> process = Start("small-limit", {"--max_request_bytes=4096"});
  ASSERT_NE(process, nullptr);

  // A query over the limit.
  v1::ReadEventsRequest big_read;
  big_read.set_stream_id("consortium-" + std::string(8'000, 'x'));
  v1::ReadEventsResponse read;
  grpc::Status status = queries_->ReadEvents(NewContext().get(), big_read, &read);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(status);

  // A command over the limit: a selection with many long-named members.
  std::string long_text;
  while (long_text.size() + 3 <= 255) long_text += "가";
  v1::SelectConsortiumRequest big_selection =
      OtherSelectionRequest("jeju-x", kProgramId, 2024, "KR-50");
  for (int i = 0; i < 28; ++i) {
    *big_selection.mutable_selection()->add_participants() = MakeParticipant(
        "member-" + std::to_string(i), long_text, "", v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE);
  }
  ASSERT_GT(big_selection.ByteSizeLong(), 4096u);
  v1::AppendResult result;
  status = ministry_->SelectConsortium(NewContext().get(), big_selection, &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(status);

  // Requests under the limit are served.
  status = ministry_->EstablishProgram(NewContext().get(), Program2023Request(), &result);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(ReadAll().size(), 1u) << "only the small command is in the log";
  StopWithSigterm(*process);
}

// ---- Callers that never read their answers -----------------------------------------------

// Resident memory of process `pid` in bytes (VmRSS in /proc), -1 if unread.
int64_t ResidentBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;  // "N kB"
  }
  return -1;
}

// How many lines of `log` refuse a call with `reason`.
int RefusalsWithReason(const std::string& log, const std::string& reason) {
  const std::string needle = "reason=" + reason + " ";
  int count = 0;
  for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// The case: 1,000 calls of ReadEvents for a page of 1,000 events
// whose callers never read. Small bounds, so that a server without them
// would cross them many times over (each page is over 100 KiB): without
// the bound on unread answers the server grew by about 200 MiB here.
constexpr int kStalledCalls = 1'000;
constexpr int kStalledPaymentRuns = 10;
constexpr int kStalledRunPayments = 100;
constexpr int64_t kStalledRepliesUnreadMaxBytes = int64_t{16} << 20;
constexpr int64_t kStalledMemoryQuotaBytes = int64_t{64} << 20;
// Give-up bounds: for the server to have answered or refused every stalled
// call (no new refusal for kStalledQuiet), and to notice they went away.
constexpr auto kStalledSettleBound = std::chrono::seconds(90);
constexpr auto kStalledQuiet = std::chrono::seconds(2);
constexpr auto kStalledPoll = std::chrono::milliseconds(100);

TEST_F(AlliancedProcessTest, StalledReaders_StayUnderTheMemoryBound_OthersAreAnswered) {
  std::unique_ptr<AlliancedProcess> process =
      Start("stalled-readers",
            {absl::StrCat("--replies_unread_max_bytes=", kStalledRepliesUnreadMaxBytes),
             absl::StrCat("--memory_quota_bytes=", kStalledMemoryQuotaBytes)});
  ASSERT_NE(process, nullptr);
  ASSERT_NO_FATAL_FAILURE(Seed());
  const std::string consortium_id = Consortia2023Requests()[0].selection().consortium_id();
  for (int run = 0; run < kStalledPaymentRuns; ++run) {
    v1::AppendResult result;
    grpc::Status status = commands_->DisburseFundsBatch(
        NewContext().get(),
        DisburseBatchRequest(consortium_id, kFirstYear,
                             std::vector<int64_t>(kStalledRunPayments, 1'000),
                             "stall-" + std::to_string(run)),
        &result);
    ASSERT_TRUE(status.ok()) << Describe(status);
  }

  // The page every stalled caller asks for, read once by a caller that
  // reads: its size, and the server's memory once it has served one.
  v1::ReadEventsRequest page_request;
  page_request.set_from(1);
  page_request.set_max_count(kStalledPaymentRuns * kStalledRunPayments);
  v1::ReadEventsResponse page;
  grpc::Status status = queries_->ReadEvents(NewContext().get(), page_request, &page);
  ASSERT_TRUE(status.ok()) << Describe(status);
  const size_t page_bytes = page.ByteSizeLong();
  ASSERT_GT(page_bytes * kStalledCalls, 4 * static_cast<size_t>(kStalledRepliesUnreadMaxBytes))
      << "the stalled answers must be able to cross the bound many times over";
  const int64_t baseline_bytes = ResidentBytes(process->pid());
  ASSERT_GT(baseline_bytes, 0);

  // The stalled callers: as many connections as the server's stream limit
  // asks for, each as full as that limit lets it be.
  const TestAccess& access = TestAccess::Get();
  const ClientCertificateFiles auditor = {access.ca_path(), access.certificate_path("auditor"),
                                          access.key_path("auditor")};
  const int port = std::stoi(address_.substr(address_.rfind(':') + 1));
  const std::string request_bytes = page_request.SerializeAsString();
  std::vector<std::unique_ptr<StalledConnection>> stalled;
  for (int started = 0; started < kStalledCalls;) {
    absl::StatusOr<std::unique_ptr<StalledConnection>> connection =
        StalledConnection::Open(port, auditor);
    ASSERT_TRUE(connection.ok()) << connection.status();
    const int streams = static_cast<int>((*connection)->max_concurrent_streams());
    ASSERT_GT(streams, 0) << "the server announces its stream limit";
    for (int i = 0; i < streams && started < kStalledCalls; ++i, ++started) {
      const absl::Status call = (*connection)
                                    ->StartCall("/alliance.v1.QueryService/ReadEvents",
                                                request_bytes, absl::Seconds(120));
      ASSERT_TRUE(call.ok()) << call;
    }
    stalled.push_back(*std::move(connection));
  }

  // Until the server has dealt with every call: some answered (and held,
  // unread), the rest refused once the held answers reached the bound.
  int64_t peak_bytes = baseline_bytes;
  int refusals = 0;
  auto last_change = std::chrono::steady_clock::now();
  for (const auto give_up = last_change + kStalledSettleBound;
       std::chrono::steady_clock::now() < give_up;) {
    std::this_thread::sleep_for(kStalledPoll);
    peak_bytes = std::max(peak_bytes, ResidentBytes(process->pid()));
    const int now = RefusalsWithReason(process->Stdout() + process->Stderr(), "REPLIES_UNREAD");
    if (now != refusals) {
      refusals = now;
      last_change = std::chrono::steady_clock::now();
    } else if (refusals > 0 && std::chrono::steady_clock::now() - last_change > kStalledQuiet) {
      break;
    }
  }
  const int64_t answers_held = kStalledRepliesUnreadMaxBytes / static_cast<int64_t>(page_bytes);
  EXPECT_GE(refusals, kStalledCalls - 2 * answers_held)
      << "past the bound (" << answers_held << " pages of " << page_bytes
      << " bytes), calls are refused; " << process->OutputTail();
  const int64_t growth_bytes = peak_bytes - baseline_bytes;
  RecordProperty("stalled_calls", kStalledCalls);
  RecordProperty("server_growth_mib", static_cast<int>(growth_bytes >> 20));
  std::cout << kStalledCalls << " stalled calls: " << refusals << " refused REPLIES_UNREAD, "
            << "server " << (baseline_bytes >> 20) << " -> " << (peak_bytes >> 20) << " MiB\n";
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer keeps freed memory in quarantine (256 MiB by default):
  // its resident size says nothing of the server's bound.
#else
  EXPECT_LE(growth_bytes, kStalledMemoryQuotaBytes + kStalledRepliesUnreadMaxBytes)
      << "the server grew past gRPC's memory quota plus the bound on unread answers";
#endif

  // Meanwhile others are answered: a status query and a payment go through,
  // and an event read is refused with a reason and a retry hint, not hung.
  v1::GetConsortiumRequest get;
  get.set_consortium_id(consortium_id);
  v1::ConsortiumStatus consortium;
  status = queries_->GetConsortium(NewContext().get(), get, &consortium);
  EXPECT_TRUE(status.ok()) << Describe(status);
  v1::AppendResult result;
  status = commands_->DisburseFunds(NewContext().get(),
                                    DisburseRequest(consortium_id, kFirstYear, 1'000), &result);
  EXPECT_TRUE(status.ok()) << Describe(status);
  status = queries_->ReadEvents(NewContext().get(), page_request, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "REPLIES_UNREAD");

  // Once the stalled callers are gone, their answers are released and
  // event reads are served again.
  stalled.clear();
  bool served = false;
  for (const auto give_up = std::chrono::steady_clock::now() + kStalledSettleBound;
       !served && std::chrono::steady_clock::now() < give_up;
       std::this_thread::sleep_for(kStalledPoll)) {
    served = queries_->ReadEvents(NewContext().get(), page_request, &page).ok();
  }
  EXPECT_TRUE(served) << "event reads are served again once the stalled callers left";
  std::cout << "after they left: " << (ResidentBytes(process->pid()) >> 20) << " MiB\n";
  StopWithSigterm(*process);
}

// ---- A full disk -------------------------------------------------------------------------

// The health of `service` ("" for the whole server) as grpc.health.v1 says.
grpc::health::v1::HealthCheckResponse::ServingStatus HealthOf(
    const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  std::unique_ptr<grpc::health::v1::Health::Stub> health =
      grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  SetDeadline(&context);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = health->Check(&context, request, &response);
  EXPECT_TRUE(status.ok()) << Describe(status);
  return response.status();
}

// Sizes that fill in seconds: payment runs of kFullDiskRunPayments until
// writes are refused, then room for RocksDB to resume (a memtable, 8 MiB).
constexpr int kFullDiskMib = 24;
constexpr int kFreedDiskMib = 96;
constexpr int kFullDiskRunPayments = 200;
constexpr int kFullDiskRunsMax = 5'000;

TEST_F(AlliancedProcessTest, FullDisk_NotServingWritesRefusedReadsGoOn_ServingOnceFreed) {
  const std::string mount_point = dir_.path() + "/tmpfs";
  std::unique_ptr<Tmpfs> tmpfs = Tmpfs::Mount(mount_point, kFullDiskMib);
  if (tmpfs == nullptr) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root, as CI runs): the full-disk test is skipped";
  }
  data_dir_ = mount_point + "/store";
  std::unique_ptr<AlliancedProcess> process = Start("full-disk");
  ASSERT_NE(process, nullptr);
  Seed();
  const std::string consortium = Consortia2023Requests().front().selection().consortium_id();

  // Payment runs until the store refuses: first the batch whose write failed
  // (outcome unknown), then refusals at once.
  std::string last_reason;
  int runs = 0;
  for (; runs < kFullDiskRunsMax && last_reason != "STORE_UNWRITABLE"; ++runs) {
    v1::DisburseFundsBatchRequest run =
        DisburseBatchRequest(consortium, kFirstYear, std::vector<int64_t>(kFullDiskRunPayments, 1),
                             "FULL-" + std::to_string(runs));
    v1::AppendResult result;
    grpc::Status status = commands_->DisburseFundsBatch(NewContext().get(), run, &result);
    if (status.ok()) continue;
    ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(status);
    last_reason = ReasonOf(status);
    ASSERT_TRUE(last_reason == "STORE_WRITE_FAILED" || last_reason == "STORE_UNWRITABLE")
        << Describe(status);
  }
  ASSERT_EQ(last_reason, "STORE_UNWRITABLE") << "the disk never filled in " << runs << " runs";

  // Health tells a load balancer to send writes elsewhere, reads go on.
  EXPECT_EQ(HealthOf(channel_, ""), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(HealthOf(channel_, "alliance.v1.CommandService"),
            grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(HealthOf(channel_, "alliance.v1.QueryService"),
            grpc::health::v1::HealthCheckResponse::SERVING);
  v1::GetConsortiumRequest get;
  get.set_consortium_id(consortium);
  v1::ConsortiumStatus before;
  grpc::Status read = queries_->GetConsortium(NewContext().get(), get, &before);
  ASSERT_TRUE(read.ok()) << Describe(read);
  EXPECT_GT(before.disbursed_total_krw(), 0);

  // Space comes back: serving again without a restart.
  ASSERT_TRUE(tmpfs->Resize(kFreedDiskMib));
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (HealthOf(channel_, "") != grpc::health::v1::HealthCheckResponse::SERVING &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(HealthOf(channel_, ""), grpc::health::v1::HealthCheckResponse::SERVING)
      << process->OutputTail();
  v1::AppendResult appended;
  grpc::Status status = commands_->DisburseFunds(
      NewContext().get(), DisburseRequest(consortium, kFirstYear, 1, "AFTER-FULL"), &appended);
  ASSERT_TRUE(status.ok()) << Describe(status);
  v1::ConsortiumStatus after;
  ASSERT_TRUE(queries_->GetConsortium(NewContext().get(), get, &after).ok());
  EXPECT_EQ(after.disbursed_total_krw(), before.disbursed_total_krw() + 1);
  StopWithSigterm(*process);
}

}  // namespace
}  // namespace alliance::testing
