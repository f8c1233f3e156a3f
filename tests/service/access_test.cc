// Who may call, and what each may do (issue: security): mutual TLS with
// the tests' development PKI (deploy/pki.sh), identities from
// deploy/identities.textpb, deploy/authz-policy.json as the method policy,
// and the data-level rules of services/domain/authority.h, all through a
// real server over real TLS channels.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>
#include <sstream>

#include "alliance/v1/audit.grpc.pb.h"
#include "gmock/gmock.h"
#include "storage/whole_file.h"
#include "tests/service/test_server.h"
#include "tests/support/test_access.h"
#include "tests/support/unary_bytes.h"

namespace alliance::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class AccessTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    TestAccess& access = TestAccess::Get();
    // A second managing-agency system, and an enterprise member of the
    // tests' consortia (they use made-up participant ids: Pid()).
    ASSERT_TRUE(
        access.AddIdentity("test-kiat-backup", "role: ROLE_MANAGING_AGENCY organisation: \"KIAT\"")
            .ok());
    ASSERT_TRUE(
        access
            .AddIdentity("test-conex", absl::StrCat("role: ROLE_ENTERPRISE organisation: \"코넥\" "
                                                    "participant_id: \"",
                                                    Pid("conex"), "\""))
            .ok());
    ASSERT_TRUE(server().identities().Reload().ok());
  }

  // A call as `identity` of any method, with an empty request: what the
  // method policy and authentication answer before any handler parses it.
  grpc::Status CallAs(const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                      const std::string& method, const std::string& bytes = "") {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel(server().address(), credentials, args);
    return CallUnaryBytes(channel, method, bytes, kCallDeadline);
  }

  grpc::Status DisburseAs(const std::string& identity, const v1::DisburseFundsRequest& request,
                          v1::AppendResult* result) {
    return CommandsAs(identity).DisburseFunds(NewContext().get(), request, result);
  }
};

// ---- Authentication ------------------------------------------------------

TEST_F(AccessTest, WithoutAClientCertificate_Unauthenticated) {
  grpc::SslCredentialsOptions server_only;
  server_only.pem_root_certs = ReadWholeFile(TestAccess::Get().ca_path()).value_or("");
  grpc::Status status =
      CallAs(grpc::SslCredentials(server_only), "/alliance.v1.QueryService/GetProgramSummary");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("no client certificate"));
}

TEST_F(AccessTest, ACertificateTheRegistryDoesNotHold_Unauthenticated) {
  grpc::Status status =
      CallAs(TestCredentials("stranger"), "/alliance.v1.QueryService/GetProgramSummary");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("\"stranger\" is not registered"));
}

// A certificate from a CA the server does not trust fails the handshake:
// the client never reaches a call, and gRPC reports that as UNAVAILABLE.
TEST_F(AccessTest, ACertificateOfAnotherCa_NeverConnects) {
  grpc::Status status =
      CallAs(TestCredentials("outsider"), "/alliance.v1.QueryService/GetProgramSummary");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(status);
}

TEST_F(AccessTest, AnExpiredCertificate_NeverConnects) {
  ASSERT_TRUE(TestAccess::Get()
                  .AddIdentity("test-expired", "role: ROLE_AUDITOR organisation: \"감사원\"")
                  .ok());
  ASSERT_TRUE(server().identities().Reload().ok());
  grpc::Status status =
      CallAs(TestCredentials("test-expired"), "/alliance.v1.QueryService/GetProgramSummary");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(status);
}

TEST_F(AccessTest, PlainTextToTheTlsPort_NeverConnects) {
  grpc::Status status =
      CallAs(grpc::InsecureChannelCredentials(), "/alliance.v1.QueryService/GetProgramSummary");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << Describe(status);
}

// ---- Who is recorded ------------------------------------------------------

TEST_F(AccessTest, EventsRecordTheCertificatesIdentity_NotWhatHeadersClaim) {
  Seed2023();
  auto context = NewContext();
  context->AddMetadata("alliance-agency", "MOTIE");
  context->AddMetadata("alliance-principal", "minister");
  v1::AppendResult result;
  grpc::Status status =
      commands().DisburseFunds(context.get(), DisburseRequest(kChungnam, 2023, 1'000), &result);
  ASSERT_TRUE(status.ok()) << Describe(status);
  const v1::EventEnvelope envelope = EventAt(result.global_position());
  EXPECT_EQ(envelope.recorded_by().agency(), "KIAT");
  EXPECT_EQ(envelope.recorded_by().principal(), "kiat");
  // The program was established by the ministry's system.
  EXPECT_EQ(EventAt(1).recorded_by().agency(), "MOTIE");
  EXPECT_EQ(EventAt(1).recorded_by().principal(), "ministry");
}

TEST_F(AccessTest, AnotherCallersEventId_AlreadyExists_NeverTheFirstCallersResult) {
  Seed2023();
  const v1::DisburseFundsRequest request = DisburseRequest(kChungnam, 2023, 1'000);
  v1::AppendResult first;
  ASSERT_TRUE(DisburseAs("kiat", request, &first).ok());
  // The same caller again: the original result.
  v1::AppendResult again;
  ASSERT_TRUE(DisburseAs("kiat", request, &again).ok());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.global_position(), first.global_position());
  // Another caller of the same role, the same id and body: refused.
  const StoreSnapshot before = Snapshot();
  v1::AppendResult other;
  grpc::Status status = DisburseAs("test-kiat-backup", request, &other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "EVENT_ID_REUSED");
  EXPECT_FALSE(other.replayed());
  EXPECT_EQ(Snapshot(), before);
}

// ---- What each role may record --------------------------------------------

TEST_F(AccessTest, TheMinistryMayNotDisburse_NothingChanges) {
  Seed2023();
  const StoreSnapshot before = Snapshot();
  v1::AppendResult result;
  grpc::Status status = DisburseAs("ministry", DisburseRequest(kChungnam, 2023, 1'000), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "ROLE_MAY_NOT_DISBURSE_FUNDS");
  EXPECT_EQ(MetadataOf(status)["required_role"], "ROLE_MANAGING_AGENCY");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(AccessTest, TheManagingAgencyMayNotEstablishOrSelect) {
  const StoreSnapshot before = Snapshot();
  v1::AppendResult result;
  grpc::Status status =
      commands().EstablishProgram(NewContext().get(), Program2023Request(), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "ROLE_MAY_NOT_ESTABLISH_PROGRAM");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(AccessTest, AUniversityRecordsOnlyInTheConsortiaItLeads) {
  Seed2023();
  // Chungnam's lead enrols in Chungnam...
  const std::string chungnam_lead =
      IdentityFor("EnrolResearcher", EnrolRequest(kChungnam, "r-1", kChungnamLab));
  v1::AppendResult result;
  grpc::Status status = CommandsAs(chungnam_lead)
                            .EnrolResearcher(NewContext().get(),
                                             EnrolRequest(kChungnam, "r-1", kChungnamLab), &result);
  ASSERT_TRUE(status.ok()) << Describe(status);
  // ...but not in Gyeongnam, whose lead it is not.
  const StoreSnapshot before = Snapshot();
  status = CommandsAs(chungnam_lead)
               .EnrolResearcher(NewContext().get(),
                                EnrolRequest(kGyeongnam, "r-2", LabIdOf(kGyeongnam)), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "NOT_LEAD_UNIVERSITY");
  EXPECT_EQ(MetadataOf(status)["consortium_id"], kGyeongnam);
  // Nor may it disburse.
  status = DisburseAs(chungnam_lead, DisburseRequest(kChungnam, 2023, 1'000), &result);
  EXPECT_EQ(ReasonOf(status), "ROLE_MAY_NOT_DISBURSE_FUNDS") << Describe(status);
  EXPECT_EQ(Snapshot(), before);
}

// The method policy (gRPC's authorization engine, deploy/authz-policy.json)
// refuses before any handler: an enterprise sends no command, a regional
// government does not audit.
TEST_F(AccessTest, TheMethodPolicyRefusesCommandsOfEnterprisesAndAuditsOfRegions) {
  Seed2023();
  const StoreSnapshot before = Snapshot();
  grpc::Status status =
      CallAs(TestCredentials("conex"), "/alliance.v1.CommandService/DisburseFunds");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  status = CallAs(TestCredentials("auditor"), "/alliance.v1.CommandService/DisburseFunds");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  status = CallAs(TestCredentials("chungnam"), "/alliance.v1.AuditService/GetTreeHead");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  EXPECT_EQ(Snapshot(), before);
  // The auditor reads the audit service.
  std::unique_ptr<v1::AuditService::Stub> audit = v1::AuditService::NewStub(ChannelAs("auditor"));
  v1::SignedTreeHead head;
  status = audit->GetTreeHead(NewContext().get(), v1::GetTreeHeadRequest(), &head);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(head.tree_size(), before.last_position);
}

// ---- What each role may read -----------------------------------------------

TEST_F(AccessTest, ARegionalGovernmentReadsItsRegionsConsortiaOnly) {
  Seed2023();
  v1::QueryService::Stub& chungnam = QueriesAs("chungnam");  // KR-44
  v1::GetConsortiumRequest get;
  get.set_consortium_id(kChungnam);
  v1::ConsortiumStatus status;
  grpc::Status call = chungnam.GetConsortium(NewContext().get(), get, &status);
  ASSERT_TRUE(call.ok()) << Describe(call);
  EXPECT_EQ(status.region_code(), "KR-44");
  get.set_consortium_id(kGyeongnam);
  call = chungnam.GetConsortium(NewContext().get(), get, &status);
  EXPECT_EQ(call.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(call);
  EXPECT_EQ(ReasonOf(call), "ROLE_MAY_NOT_READ_CONSORTIUM");
  v1::ListConsortiaResponse list;
  call = chungnam.ListConsortia(NewContext().get(), v1::ListConsortiaRequest(), &list);
  ASSERT_TRUE(call.ok()) << Describe(call);
  ASSERT_EQ(list.consortia_size(), 1);
  EXPECT_EQ(list.consortia(0).consortium_id(), kChungnam);
  // The program's totals are public.
  v1::GetProgramSummaryRequest program;
  program.set_program_id(kProgramId);
  v1::ProgramSummary summary;
  call = chungnam.GetProgramSummary(NewContext().get(), program, &summary);
  EXPECT_TRUE(call.ok()) << Describe(call);
  // The event log is every consortium's: not a region's to read.
  v1::ReadEventsResponse events;
  call = chungnam.ReadEvents(NewContext().get(), v1::ReadEventsRequest(), &events);
  EXPECT_EQ(ReasonOf(call), "ROLE_MAY_NOT_READ_EVENTS") << Describe(call);
}

TEST_F(AccessTest, AnEnterpriseReadsTheConsortiaItBelongsToAndItself) {
  Seed2023();
  v1::QueryService::Stub& conex = QueriesAs("test-conex");
  v1::ListConsortiaResponse list;
  grpc::Status call = conex.ListConsortia(NewContext().get(), v1::ListConsortiaRequest(), &list);
  ASSERT_TRUE(call.ok()) << Describe(call);
  ASSERT_EQ(list.consortia_size(), 1);
  EXPECT_EQ(list.consortia(0).consortium_id(), kChungnam);
  v1::GetParticipantRequest self;
  self.set_participant_id(Pid("conex"));
  v1::ParticipantStatus participant;
  call = conex.GetParticipant(NewContext().get(), self, &participant);
  EXPECT_TRUE(call.ok()) << Describe(call);
  v1::GetParticipantRequest other;
  other.set_participant_id(Pid("kongju-univ"));
  call = conex.GetParticipant(NewContext().get(), other, &participant);
  EXPECT_EQ(ReasonOf(call), "ROLE_MAY_NOT_READ_PARTICIPANT") << Describe(call);
}

TEST_F(AccessTest, AnAuditorReadsEverythingAndRecordsNothing) {
  Seed2023();
  v1::ListConsortiaResponse list;
  grpc::Status call =
      QueriesAs("auditor").ListConsortia(NewContext().get(), v1::ListConsortiaRequest(), &list);
  ASSERT_TRUE(call.ok()) << Describe(call);
  EXPECT_EQ(list.consortia_size(), 3);
  v1::AppendResult result;
  call = DisburseAs("auditor", DisburseRequest(kChungnam, 2023, 1'000), &result);
  EXPECT_EQ(call.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(call);
}

// ---- Limits ----------------------------------------------------------------

TEST_F(AccessTest, ACallWithoutADeadlineIsRefused) {
  grpc::ClientContext context;  // no deadline
  v1::GetProgramSummaryRequest request;
  request.set_program_id(kProgramId);
  v1::ProgramSummary summary;
  grpc::Status status = queries().GetProgramSummary(&context, request, &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "DEADLINE_REQUIRED");
}

// A 10,000-character id is not an id: refused, and the refusal quotes none
// of it (it used to be echoed whole, past the client's metadata limit).
TEST_F(AccessTest, AnIdFarOverItsLimitIsInvalidAndNotEchoed) {
  Seed2023();
  const std::string huge(10'000, 'x');
  v1::GetConsortiumRequest get;
  get.set_consortium_id(huge);
  v1::ConsortiumStatus consortium;
  grpc::Status status = queries().GetConsortium(NewContext().get(), get, &consortium);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(FieldOf(status), "consortium_id");
  EXPECT_LT(status.error_message().size() + status.error_details().size(), 1'000u);
  v1::ReadEventsRequest events;
  events.set_stream_id(huge);
  v1::ReadEventsResponse response;
  status = queries().ReadEvents(NewContext().get(), events, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_LT(status.error_message().size() + status.error_details().size(), 1'000u);
}

// Bytes that are not the request: INVALID_ARGUMENT naming it, on every
// query as on every command (not gRPC's own answer, which named nothing).
TEST_F(AccessTest, BytesThatAreNotTheRequestAreInvalidOnQueriesToo) {
  // Field 1 as a length-delimited field that runs past the end.
  const std::string garbled("\x0a\x7f\x01", 3);
  for (const char* method :
       {"/alliance.v1.QueryService/ReadEvents", "/alliance.v1.QueryService/GetConsortium",
        "/alliance.v1.QueryService/ListConsortia"}) {
    grpc::Status status = CallAs(TestCredentials("kiat"), method, garbled);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << Describe(status);
    EXPECT_EQ(ReasonOf(status), "MALFORMED_REQUEST") << method;
  }
}

// A server certificate replaced on disk is served to new connections
// without a restart: replaced by one of another CA, clients that trust only
// theirs stop connecting; put back, they connect again.
TEST(CertificateRotationTest, AServerCertificateReplacedOnDiskIsServedWithoutARestart) {
  TempDir dir;
  const TestAccess& access = TestAccess::Get();
  const std::string cert = dir.path() + "/server.crt";
  const std::string key = dir.path() + "/server.key";
  auto put = [&](const std::string& name) {
    std::filesystem::copy_file(access.pki_dir() + "/" + name + ".crt", cert + ".new",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(access.pki_dir() + "/" + name + ".key", key + ".new",
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::rename(key + ".new", key);
    std::filesystem::rename(cert + ".new", cert);
  };
  put("server");
  ServerOptions options = TestServerOptions(dir.path() + "/store");
  options.transport.certificate_path = cert;
  options.transport.key_path = key;
  options.transport.certificate_refresh_seconds = 1;
  absl::StatusOr<std::unique_ptr<AllianceServer>> server = AllianceServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto call = [&] {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel = grpc::CreateCustomChannel((*server)->address(), TestCredentials("kiat"), args);
    v1::ListConsortiaResponse list;
    auto context = NewContext();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    return v1::QueryService::NewStub(channel)->ListConsortia(context.get(),
                                                             v1::ListConsortiaRequest(), &list);
  };
  // Each state within a few refresh intervals.
  auto eventually = [&](bool ok) {
    for (int i = 0; i < 50; ++i) {
      if (call().ok() == ok) return true;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return false;
  };
  EXPECT_TRUE(eventually(true));
  put("outsider-server");
  EXPECT_TRUE(eventually(false)) << "the replaced certificate was never served";
  put("server");
  EXPECT_TRUE(eventually(true)) << "the restored certificate was never served";
  (*server)->Shutdown();
}

// Plaintext only when asked, only on loopback, every caller one identity.
TEST(PlaintextTest, OnlyOnLoopbackAndAsTheNamedIdentity) {
  TempDir dir;
  ServerOptions options = TestServerOptions(dir.path());
  options.transport.plaintext = true;
  options.transport.plaintext_identity = "auditor";
  options.listen_address = "0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<AllianceServer>> refused = AllianceServer::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("loopback"));

  options.listen_address = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<AllianceServer>> server = AllianceServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
  // The auditor reads...
  v1::ListConsortiaResponse list;
  grpc::Status status = v1::QueryService::NewStub(channel)->ListConsortia(
      NewContext().get(), v1::ListConsortiaRequest(), &list);
  EXPECT_TRUE(status.ok()) << Describe(status);
  // ...and records nothing, whatever the headers say.
  auto context = NewContext();
  context->AddMetadata("alliance-agency", "KIAT");
  v1::AppendResult result;
  status = v1::CommandService::NewStub(channel)->DisburseFunds(
      context.get(), DisburseRequest(kChungnam, 2023, 1'000), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  (*server)->Shutdown();
}

// ---- Refusals are logged, without personal data -----------------------------

TEST_F(AccessTest, ARefusalIsOneLogLineWithIdentityMethodAndConsortium) {
  Seed2023();
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  const std::string researcher = "KNU-2023-PRIVATE-77";
  v1::AppendResult result;
  grpc::Status status = CommandsAs("kongju").EnrolResearcher(
      NewContext().get(), EnrolRequest(kGyeongnam, researcher, LabIdOf(kGyeongnam)), &result);
  spdlog::set_default_logger(previous);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  const std::string log = captured.str();
  EXPECT_THAT(log, HasSubstr("refused code=PERMISSION_DENIED reason=NOT_LEAD_UNIVERSITY "
                             "identity=kongju method=/alliance.v1.CommandService/EnrolResearcher "
                             "consortium=gyeongnam-metal-3d-printing"));
  EXPECT_THAT(log, Not(HasSubstr(researcher)));
}

}  // namespace
}  // namespace alliance::testing
