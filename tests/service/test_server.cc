#include "tests/service/test_server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include "absl/time/clock.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "services/domain/authority.h"
#include "services/domain/commands.h"
#include "tests/support/test_access.h"

namespace alliance::testing {

absl::Time TestServerNow() {
  // 2029-01-01T00:00:00Z.
  static const absl::Time kTestServerEpoch = absl::FromUnixSeconds(1'861'920'000);
  static const absl::Duration offset =
      std::max(absl::ZeroDuration(), kTestServerEpoch - absl::Now());
  return absl::Now() + offset;
}

LedgerOptions TestLedgerOptions() {
  LedgerOptions options;
  options.clock = TestServerNow;
  return options;
}

TempDir::TempDir() {
  char pattern[] = "/tmp/alliance-service-test-XXXXXX";
  char* made = mkdtemp(pattern);
  if (made == nullptr) {
    ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
    return;
  }
  path_ = made;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

void PrintTo(const StoreSnapshot& snapshot, std::ostream* os) {
  *os << "{last_position=" << snapshot.last_position << ", " << snapshot.models.size()
      << " model entries}";
}

void ServerTest::SetUp() {
  data_dir_ = std::make_unique<TempDir>();
  ASSERT_FALSE(data_dir_->path().empty());
  StartServer();
}

void ServerTest::TearDown() {
  StopServer();
  data_dir_.reset();
}

void ServerTest::StartServer(LedgerOptions ledger) {
  ASSERT_EQ(server_, nullptr) << "StartServer() while a server runs";
  absl::StatusOr<std::unique_ptr<AllianceServer>> server =
      AllianceServer::Start(TestServerOptions(data_dir_->path(), std::move(ledger)));
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  channel_ = ChannelAs(kDefaultIdentity);
  command_stub_ = v1::CommandService::NewStub(channel_);
  query_stub_ = v1::QueryService::NewStub(channel_);
}

ServerOptions TestServerOptions(const std::string& data_dir, LedgerOptions ledger) {
  const TestAccess& access = TestAccess::Get();
  ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.data_dir = data_dir;
  options.ledger = std::move(ledger);
  options.identities_path = access.identities_path();
  options.authz_policy_path = access.policy_path();
  options.transport.certificate_path = access.pki_dir() + "/server.crt";
  options.transport.key_path = access.pki_dir() + "/server.key";
  options.transport.client_ca_path = access.ca_path();
  return options;
}

std::string RecorderOrganisationOf(absl::string_view event_type) {
  static const std::set<std::string, std::less<>> kByMinistry = {
      "ProgramEstablished", "SelectionRoundOpened", "ConsortiumSelected", "ConsortiumSuspended",
      "ConsortiumResumed",  "ConsortiumTerminated", "ConsortiumCompleted"};
  static const std::set<std::string, std::less<>> kByUniversity = {
      "ResearcherEnrolled", "ResearcherGraduated", "ResearcherHired", "ResearcherLeft",
      "ResearcherStepRetracted"};
  if (kByMinistry.count(event_type) > 0) return "MOTIE";
  if (kByUniversity.count(event_type) > 0) return "대학교";
  return "KIAT";
}

std::shared_ptr<grpc::ChannelCredentials> TestCredentials(const std::string& identity) {
  return TestAccess::Get().Credentials(identity);
}

std::shared_ptr<grpc::Channel> ServerTest::ChannelAs(const std::string& identity) {
  // Each its own subchannel: gRPC would otherwise share one connection, and
  // its certificate, between channels to the same address.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(server_->address(), TestCredentials(identity), args);
}

v1::CommandService::Stub& ServerTest::CommandsAs(const std::string& identity) {
  Caller& caller = callers_[identity];
  if (caller.commands == nullptr) {
    caller.channel = ChannelAs(identity);
    caller.commands = v1::CommandService::NewStub(caller.channel);
    caller.queries = v1::QueryService::NewStub(caller.channel);
  }
  return *caller.commands;
}

v1::QueryService::Stub& ServerTest::QueriesAs(const std::string& identity) {
  (void)CommandsAs(identity);
  return *callers_[identity].queries;
}

std::string ServerTest::IdentityFor(absl::string_view rpc,
                                    const google::protobuf::Message& request) {
  const domain::CommandSpec* spec = domain::FindCommand(rpc);
  EXPECT_NE(spec, nullptr) << rpc;
  if (spec == nullptr) return kDefaultIdentity;
  switch (spec->authority.role) {
    case v1::ROLE_MINISTRY:
      return "ministry";
    case v1::ROLE_MANAGING_AGENCY:
      return "kiat";
    case v1::ROLE_UNIVERSITY: {
      auto lead = leads_.find(domain::ConsortiumOf(request));
      // A consortium this fixture did not select: the rules refuse it.
      if (lead == leads_.end()) return "kongju";
      absl::StatusOr<std::string> name = TestAccess::Get().AddUniversity(lead->second);
      EXPECT_TRUE(name.ok()) << name.status();
      if (!name.ok()) return "kongju";
      EXPECT_TRUE(server_->identities().Reload().ok());
      return *name;
    }
    default:
      ADD_FAILURE() << "no test identity records " << rpc;
      return kDefaultIdentity;
  }
}

void ServerTest::StopServer() {
  callers_.clear();
  command_stub_.reset();
  query_stub_.reset();
  channel_.reset();
  if (server_ != nullptr) {
    server_->Shutdown();
    server_.reset();
  }
}

void ServerTest::Restart(LedgerOptions ledger) {
  StopServer();
  StartServer(std::move(ledger));
}

StoreSnapshot ServerTest::Snapshot() {
  StoreSnapshot snapshot;
  absl::StatusOr<uint64_t> last = server_->ledger().log()->LastPosition();
  EXPECT_TRUE(last.ok()) << last.status();
  if (last.ok()) snapshot.last_position = *last;
  auto models = server_->ledger().log()->DumpModels();
  EXPECT_TRUE(models.ok()) << models.status();
  if (models.ok()) snapshot.models = *std::move(models);
  auto rule_entries = server_->ledger().log()->DumpRuleEntries();
  EXPECT_TRUE(rule_entries.ok()) << rule_entries.status();
  if (rule_entries.ok()) snapshot.rule_entries = *std::move(rule_entries);
  return snapshot;
}

namespace {

// One command RPC on `stub`; `result` may be null.
template <typename Request>
grpc::Status Call(v1::CommandService::Stub& stub,
                  grpc::Status (v1::CommandService::Stub::*rpc)(grpc::ClientContext*,
                                                                const Request&, v1::AppendResult*),
                  const Request& request, v1::AppendResult* result) {
  v1::AppendResult ignored;
  return (stub.*rpc)(NewContext().get(), request, result ? result : &ignored);
}

}  // namespace

grpc::Status ServerTest::Send(const v1::EstablishProgramRequest& request,
                              v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("EstablishProgram", request)),
              &v1::CommandService::Stub::EstablishProgram, request, result);
}

grpc::Status ServerTest::Send(const v1::SelectConsortiumRequest& request,
                              v1::AppendResult* result) {
  leads_[request.selection().consortium_id()] = request.selection().lead_participant_id();
  return Call(CommandsAs(IdentityFor("SelectConsortium", request)),
              &v1::CommandService::Stub::SelectConsortium, request, result);
}

grpc::Status ServerTest::Send(const v1::DesignateLabRequest& request, v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("DesignateLab", request)),
              &v1::CommandService::Stub::DesignateLab, request, result);
}

grpc::Status ServerTest::Send(const v1::DisburseFundsRequest& request, v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("DisburseFunds", request)),
              &v1::CommandService::Stub::DisburseFunds, request, result);
}

grpc::Status ServerTest::Send(const v1::DisburseFundsBatchRequest& request,
                              v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("DisburseFundsBatch", request)),
              &v1::CommandService::Stub::DisburseFundsBatch, request, result);
}

grpc::Status ServerTest::Send(const v1::ReverseDisbursementRequest& request,
                              v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("ReverseDisbursement", request)),
              &v1::CommandService::Stub::ReverseDisbursement, request, result);
}

grpc::Status ServerTest::Send(const v1::RecordHireRequest& request, v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("RecordHire", request)), &v1::CommandService::Stub::RecordHire,
              request, result);
}

grpc::Status ServerTest::Send(const v1::OpenSelectionRoundRequest& request,
                              v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("OpenSelectionRound", request)),
              &v1::CommandService::Stub::OpenSelectionRound, request, result);
}

grpc::Status ServerTest::Send(const v1::SignAgreementRequest& request, v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("SignAgreement", request)),
              &v1::CommandService::Stub::SignAgreement, request, result);
}

grpc::Status ServerTest::Send(const v1::AmendAgreementRequest& request, v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("AmendAgreement", request)),
              &v1::CommandService::Stub::AmendAgreement, request, result);
}

grpc::Status ServerTest::Send(const v1::JoinConsortiumRequest& request, v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("JoinConsortium", request)),
              &v1::CommandService::Stub::JoinConsortium, request, result);
}

grpc::Status ServerTest::Send(const v1::WithdrawParticipantRequest& request,
                              v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("WithdrawParticipant", request)),
              &v1::CommandService::Stub::WithdrawParticipant, request, result);
}

grpc::Status ServerTest::Send(const v1::EnrolResearcherRequest& request, v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("EnrolResearcher", request)),
              &v1::CommandService::Stub::EnrolResearcher, request, result);
}

grpc::Status ServerTest::Send(const v1::RecordGraduationRequest& request,
                              v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("RecordGraduation", request)),
              &v1::CommandService::Stub::RecordGraduation, request, result);
}

grpc::Status ServerTest::Send(const v1::RecordDepartureRequest& request, v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("RecordDeparture", request)),
              &v1::CommandService::Stub::RecordDeparture, request, result);
}

grpc::Status ServerTest::Send(const v1::RetractResearcherStepRequest& request,
                              v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("RetractResearcherStep", request)),
              &v1::CommandService::Stub::RetractResearcherStep, request, result);
}

grpc::Status ServerTest::Send(const v1::RecordEvaluationRequest& request,
                              v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("RecordEvaluation", request)),
              &v1::CommandService::Stub::RecordEvaluation, request, result);
}

grpc::Status ServerTest::Send(const v1::CorrectEvaluationRequest& request,
                              v1::AppendResult* result) {
  return Call(CommandsAs(IdentityFor("CorrectEvaluation", request)),
              &v1::CommandService::Stub::CorrectEvaluation, request, result);
}

grpc::Status ServerTest::SendState(StateChange change,
                                   const v1::ChangeConsortiumStateRequest& request,
                                   v1::AppendResult* result) {
  switch (change) {
    case StateChange::kSuspend:
      return Call(CommandsAs(IdentityFor("SuspendConsortium", request)),
                  &v1::CommandService::Stub::SuspendConsortium, request, result);
    case StateChange::kResume:
      return Call(CommandsAs(IdentityFor("ResumeConsortium", request)),
                  &v1::CommandService::Stub::ResumeConsortium, request, result);
    case StateChange::kTerminate:
      return Call(CommandsAs(IdentityFor("TerminateConsortium", request)),
                  &v1::CommandService::Stub::TerminateConsortium, request, result);
    case StateChange::kComplete:
      return Call(CommandsAs(IdentityFor("CompleteConsortium", request)),
                  &v1::CommandService::Stub::CompleteConsortium, request, result);
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "unknown state change");
}

grpc::Status ServerTest::GetParticipant(const std::string& participant_id,
                                        v1::ParticipantStatus* status) {
  v1::GetParticipantRequest request;
  request.set_participant_id(participant_id);
  return queries().GetParticipant(NewContext().get(), request, status);
}

grpc::Status ServerTest::GetConsortium(const std::string& consortium_id,
                                       v1::ConsortiumStatus* status) {
  v1::GetConsortiumRequest request;
  request.set_consortium_id(consortium_id);
  return queries().GetConsortium(NewContext().get(), request, status);
}

grpc::Status ServerTest::GetProgramSummary(const std::string& program_id,
                                           v1::ProgramSummary* summary) {
  v1::GetProgramSummaryRequest request;
  request.set_program_id(program_id);
  return queries().GetProgramSummary(NewContext().get(), request, summary);
}

grpc::Status ServerTest::ListConsortia(const v1::ListConsortiaRequest& request,
                                       v1::ListConsortiaResponse* response) {
  return queries().ListConsortia(NewContext().get(), request, response);
}

v1::EventEnvelope ServerTest::EventAt(uint64_t global_position) {
  v1::ReadEventsRequest request;
  request.set_from(global_position);
  request.set_max_count(1);
  v1::ReadEventsResponse response;
  grpc::Status status = queries().ReadEvents(NewContext().get(), request, &response);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(response.events_size(), 1);
  return response.events_size() == 0 ? v1::EventEnvelope() : response.events(0);
}

std::vector<v1::EventEnvelope> ServerTest::ReadAllEvents(const std::string& stream_id,
                                                         int32_t page_size) {
  std::vector<v1::EventEnvelope> events;
  v1::ReadEventsRequest request;
  request.set_stream_id(stream_id);
  request.set_max_count(page_size);
  request.set_from(0);
  // A bound far above any test's log, so a server that never ends a walk
  // fails the test instead of hanging it.
  for (int page = 0; page < 100'000; ++page) {
    v1::ReadEventsResponse response;
    grpc::Status status = queries().ReadEvents(NewContext().get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    if (!status.ok()) break;
    for (const v1::EventEnvelope& event : response.events()) events.push_back(event);
    if (response.next_from() == 0) break;
    EXPECT_GT(response.next_from(), request.from()) << "next_from does not advance";
    if (response.next_from() <= request.from()) break;
    request.set_from(response.next_from());
  }
  return events;
}

void ServerTest::Seed2023(bool with_labs) {
  grpc::Status status = Send(Program2023Request());
  ASSERT_TRUE(status.ok()) << Describe(status);
  status = Send(RoundRequest(2023, 3));
  ASSERT_TRUE(status.ok()) << Describe(status);
  for (const v1::SelectConsortiumRequest& selection : Consortia2023Requests()) {
    status = Send(selection);
    ASSERT_TRUE(status.ok()) << selection.selection().consortium_id() << ": " << Describe(status);
  }
  if (!with_labs) return;
  for (const char* consortium_id : {kChungnam, kGyeongnam, kUlsan}) {
    status = Send(LabRequest(consortium_id));
    ASSERT_TRUE(status.ok()) << consortium_id << ": " << Describe(status);
  }
  for (const char* consortium_id : {kChungnam, kGyeongnam, kUlsan}) {
    for (int32_t year = kFirstYear; year < kFirstYear + kTermYears; ++year) {
      status = Send(AgreementRequest(consortium_id, year));
      ASSERT_TRUE(status.ok()) << consortium_id << " " << year << ": " << Describe(status);
    }
  }
}

std::string SerializeDeterministic(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

std::vector<std::string> SerializedEvents(const std::vector<v1::EventEnvelope>& events) {
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const v1::EventEnvelope& event : events) out.push_back(SerializeDeterministic(event));
  return out;
}

}  // namespace alliance::testing
