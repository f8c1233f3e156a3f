// Every RPC called as every role, over real mutual TLS with the test PKI's
// certificates, allowed or refused exactly as the rules say. The rules are
// the test's input, not copied into it: each command row's authority
// (services/domain/commands.h), the read rules of services/domain/
// authority.h applied to what the server holds, and the method policy
// deploy/authz-policy.json (the test's copy, read by method_policy.h).
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "alliance/v1/audit.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "services/access/method_policy.h"
#include "services/domain/authority.h"
#include "services/domain/commands.h"
#include "storage/whole_file.h"
#include "tests/service/test_server.h"
#include "tests/support/test_access.h"
#include "tests/support/unary_bytes.h"

namespace alliance::testing {
namespace {

// One identity of each role, and two universities: the lead of Chungnam
// (added by the fixture) and one that leads no test consortium ("kongju",
// with the real 공주대학교's number). "test-conex" is a member of Chungnam.
struct Who {
  std::string name;
  v1::Identity identity;
};

class AccessMatrixTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    ASSERT_TRUE(
        TestAccess::Get()
            .AddIdentity("test-conex", absl::StrCat("role: ROLE_ENTERPRISE organisation: \"코넥\" "
                                                    "participant_id: \"",
                                                    Pid("conex"), "\""))
            .ok());
    Seed2023();  // registers Chungnam's lead university as the fixture sends its commands
    lead_ = IdentityFor("EnrolResearcher", EnrolRequest(kChungnam, "r", kChungnamLab));
    ASSERT_TRUE(server().identities().Reload().ok());
    for (const std::string& name :
         {std::string("ministry"), std::string("kiat"), std::string("auditor"),
          std::string("chungnam"), std::string("test-conex"), std::string("kongju"), lead_}) {
      std::optional<v1::Identity> identity = server().identities().Find(name);
      ASSERT_TRUE(identity.has_value()) << name;
      callers_.push_back({name, *identity});
    }
    absl::StatusOr<std::unique_ptr<MethodPolicy>> policy =
        MethodPolicy::Open(TestAccess::Get().policy_path());
    ASSERT_TRUE(policy.ok()) << policy.status();
    policy_ = *std::move(policy);
  }

  // `request` to `method` as `caller`, with a deadline.
  grpc::Status Call(const std::string& caller, const std::string& method,
                    const google::protobuf::Message& request) {
    return CallUnaryBytes(ChannelAs(caller), method, request.SerializeAsString(),
                          std::chrono::seconds(10));
  }

  bool PolicyAllows(const Who& caller, const std::string& method) {
    return policy_->Check(caller.name, method).ok();
  }

  std::string lead_;
  std::vector<Who> callers_;
  std::unique_ptr<MethodPolicy> policy_;
};

// Every command as every role, with an empty request: a caller whose role
// may record it (and whom the policy lets call it) is told what its request
// lacks; every other caller is refused PERMISSION_DENIED naming the rule.
// Nothing is written either way.
TEST_F(AccessMatrixTest, EveryCommandAsEveryRole) {
  const StoreSnapshot before = Snapshot();
  int allowed = 0;
  int refused = 0;
  for (const domain::CommandSpec& spec : domain::Commands()) {
    const std::string method = absl::StrCat("/alliance.v1.CommandService/", spec.name);
    std::unique_ptr<google::protobuf::Message> empty(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(spec.request_type)
            ->New());
    for (const Who& caller : callers_) {
      SCOPED_TRACE(absl::StrCat(spec.name, " as ", caller.name));
      grpc::Status status = Call(caller.name, method, *empty);
      const bool may =
          PolicyAllows(caller, method) && domain::AuthorizeRole(spec, caller.identity).ok();
      if (may) {
        ++allowed;
        EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
        EXPECT_EQ(ReasonOf(status), "MISSING_FIELD");
      } else {
        ++refused;
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
        const std::string reason = ReasonOf(status);
        EXPECT_TRUE(reason == "METHOD_NOT_ALLOWED" || reason == domain::RoleMayNotReason(spec.name))
            << reason;
      }
    }
  }
  // Each command has one recording role (two identities of it: the
  // university commands' two universities).
  EXPECT_EQ(allowed, 22 + 5);
  EXPECT_EQ(refused, 22 * 7 - allowed);
  EXPECT_EQ(Snapshot(), before);
}

// A university records in the consortium it leads, and not in another.
TEST_F(AccessMatrixTest, AUniversityEnrolsOnlyInTheConsortiumItLeads) {
  const std::string method = "/alliance.v1.CommandService/EnrolResearcher";
  grpc::Status status = Call(lead_, method, EnrolRequest(kGyeongnam, "r-x", LabIdOf(kGyeongnam)));
  EXPECT_EQ(ReasonOf(status), "NOT_LEAD_UNIVERSITY") << Describe(status);
  status = Call(lead_, method, EnrolRequest(kChungnam, "r-x", kChungnamLab));
  EXPECT_TRUE(status.ok()) << Describe(status);
}

// Every query as every role, about each seeded consortium and its lead:
// answered or refused as authority.h's read rules say of what the server
// holds (read first as the auditor).
TEST_F(AccessMatrixTest, EveryQueryAsEveryRole) {
  for (const std::string& id : {std::string(kChungnam), std::string(kGyeongnam)}) {
    v1::ConsortiumStatus consortium;
    ASSERT_TRUE(GetConsortium(id, &consortium).ok());
    v1::GetConsortiumRequest get;
    get.set_consortium_id(id);
    v1::GetParticipantRequest participant;
    participant.set_participant_id(consortium.lead_participant_id());
    v1::ParticipantStatus lead_status;
    ASSERT_TRUE(GetParticipant(consortium.lead_participant_id(), &lead_status).ok());
    for (const Who& caller : callers_) {
      SCOPED_TRACE(absl::StrCat(id, " as ", caller.name));
      grpc::Status status = Call(caller.name, "/alliance.v1.QueryService/GetConsortium", get);
      EXPECT_EQ(status.ok(), domain::MayReadConsortium(caller.identity, consortium))
          << Describe(status);
      if (!status.ok()) {
        EXPECT_EQ(ReasonOf(status), "ROLE_MAY_NOT_READ_CONSORTIUM");
      }
      status = Call(caller.name, "/alliance.v1.QueryService/GetParticipant", participant);
      const bool may_read_lead = domain::MayReadParticipant(
          caller.identity, lead_status, [&](absl::string_view consortium_id) {
            v1::ConsortiumStatus member;
            return GetConsortium(std::string(consortium_id), &member).ok() ? member.region_code()
                                                                           : std::string();
          });
      EXPECT_EQ(status.ok(), may_read_lead) << Describe(status);
    }
  }
  for (const Who& caller : callers_) {
    SCOPED_TRACE(caller.name);
    v1::GetProgramSummaryRequest program;
    program.set_program_id(kProgramId);
    EXPECT_TRUE(Call(caller.name, "/alliance.v1.QueryService/GetProgramSummary", program).ok());
    grpc::Status events =
        Call(caller.name, "/alliance.v1.QueryService/ReadEvents", v1::ReadEventsRequest());
    EXPECT_EQ(events.ok(), domain::ReadsEverything(caller.identity)) << Describe(events);
  }
}

// Every unary audit method as every role: the policy's audit rule and the
// service's own (the roles that read everything) agree.
TEST_F(AccessMatrixTest, EveryAuditMethodAsEveryRole) {
  v1::GetInclusionProofRequest inclusion;
  inclusion.set_leaf_index(0);
  v1::GetConsistencyProofRequest consistency;
  consistency.set_first(1);
  consistency.set_second(2);
  v1::ReadStreamRequest stream;
  stream.set_stream_id(absl::StrCat("consortium-", kChungnam));
  const std::vector<std::pair<std::string, const google::protobuf::Message*>> calls = {
      {"GetTreeHead", &v1::GetTreeHeadRequest::default_instance()},
      {"GetPublicKey", &v1::GetPublicKeyRequest::default_instance()},
      {"GetInclusionProof", &inclusion},
      {"GetConsistencyProof", &consistency},
      {"ReadStream", &stream}};
  for (const auto& [name, request] : calls) {
    const std::string method = absl::StrCat("/alliance.v1.AuditService/", name);
    for (const Who& caller : callers_) {
      SCOPED_TRACE(absl::StrCat(name, " as ", caller.name));
      grpc::Status status = Call(caller.name, method, *request);
      const bool may = PolicyAllows(caller, method) && domain::ReadsEverything(caller.identity);
      EXPECT_EQ(status.ok(), may) << Describe(status);
      if (!may) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
      }
    }
  }
}

// A policy changed on disk applies without a restart (on SIGHUP at once;
// by itself within kMethodPolicyRefresh).
TEST_F(AccessMatrixTest, APolicyChangedOnDiskAppliesWithoutARestart) {
  const std::string path = TestAccess::Get().policy_path();
  absl::StatusOr<std::string> read = ReadWholeFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  const std::string original = *std::move(read);
  // Deny the program summary to everyone.
  std::string denying = original;
  denying.insert(denying.find('{') + 1,
                 "\"deny_rules\": [{\"name\": \"no_summaries\", \"request\": {\"paths\": "
                 "[\"/alliance.v1.QueryService/GetProgramSummary\"]}}],");
  { std::ofstream(path) << denying; }
  ASSERT_TRUE(server().ReloadAccess().ok());
  v1::GetProgramSummaryRequest program;
  program.set_program_id(kProgramId);
  grpc::Status status = Call("auditor", "/alliance.v1.QueryService/GetProgramSummary", program);
  { std::ofstream(path) << original; }
  EXPECT_EQ(ReasonOf(status), "METHOD_NOT_ALLOWED") << Describe(status);
  EXPECT_EQ(MetadataOf(status)["rule"], "no_summaries");
  ASSERT_TRUE(server().ReloadAccess().ok());
  EXPECT_TRUE(Call("auditor", "/alliance.v1.QueryService/GetProgramSummary", program).ok());
}

}  // namespace
}  // namespace alliance::testing
