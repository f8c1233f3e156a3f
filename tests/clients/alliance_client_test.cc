#include "clients/alliance_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "proto/errors/refusal.h"

namespace alliance::client {
namespace {

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

TEST(NewEventIdTest, IsAVersion4Uuid) {
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewEventId();
    ASSERT_EQ(id.size(), 36u) << id;
    for (size_t j = 0; j < id.size(); ++j) {
      if (j == 8 || j == 13 || j == 18 || j == 23) {
        EXPECT_EQ(id[j], '-') << id;
      } else {
        EXPECT_TRUE(IsLowerHex(id[j])) << id;
      }
    }
    EXPECT_EQ(id[14], '4') << id;                                          // version
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;  // variant
  }
}

TEST(NewEventIdTest, IsUnique) {
  constexpr int kIds = 10'000;
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < kIds; ++i) ids.insert(NewEventId());
  EXPECT_EQ(ids.size(), static_cast<size_t>(kIds));
}

TEST(FromGrpcStatusTest, RefusalDetailsSurviveTheRoundTrip) {
  google::rpc::ErrorInfo info;
  info.set_reason("ANNUAL_LIMIT_EXCEEDED");
  info.set_domain(std::string(kErrorDomain));
  (*info.mutable_metadata())["limit_krw"] = "1380000000";
  (*info.mutable_metadata())["program_year"] = "2023";
  google::rpc::BadRequest bad_request;
  bad_request.add_field_violations()->set_field("disbursement.amount_krw");
  google::rpc::Status details;
  details.set_code(static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  details.set_message("2023 total would be 1,450,000,000 KRW, limit 1,380,000,000");
  details.add_details()->PackFrom(info);
  details.add_details()->PackFrom(bad_request);
  const grpc::Status grpc_status(grpc::StatusCode::FAILED_PRECONDITION, details.message(),
                                 details.SerializeAsString());

  const absl::Status status = FromGrpcStatus(grpc_status);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), details.message());
  std::optional<RefusalDetails> refusal = GetRefusalDetails(status);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "ANNUAL_LIMIT_EXCEEDED");
  EXPECT_EQ(refusal->metadata.at("limit_krw"), "1380000000");
  EXPECT_EQ(refusal->metadata.at("program_year"), "2023");
  EXPECT_EQ(refusal->field, "disbursement.amount_krw");
}

TEST(FromGrpcStatusTest, KeepsCodeAndMessageWithoutDetails) {
  const absl::Status status =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "no consortium x"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no consortium x");
  EXPECT_FALSE(GetRefusalDetails(status).has_value());
  // Unparseable details are dropped, the status is kept.
  const absl::Status garbled = FromGrpcStatus(
      grpc::Status(grpc::StatusCode::ABORTED, "wrong version", std::string("\xff\xff\xff", 3)));
  EXPECT_EQ(garbled.code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(AllianceClientTest, UnreachableServerFailsWithinTheDeadline) {
  // Port 1 on localhost: nothing listens there, so the call fails fast (or
  // at the deadline) instead of hanging.
  AllianceClient client(grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
                        {.deadline = absl::Seconds(2)});
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ConsortiumStatus> status = client.GetConsortium(v1::GetConsortiumRequest());
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.status().code() == absl::StatusCode::kUnavailable ||
              status.status().code() == absl::StatusCode::kDeadlineExceeded)
      << status.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

// A CommandService that refuses every disbursement the way the server does:
// an ErrorInfo in the google.rpc.Status of the grpc-status-details-bin
// trailer.
class RefusingCommands final : public v1::CommandService::Service {
 public:
  grpc::Status DisburseFunds(grpc::ServerContext*, const v1::DisburseFundsRequest*,
                             v1::AppendResult*) override {
    google::rpc::ErrorInfo info;
    info.set_reason("ANNUAL_LIMIT_EXCEEDED");
    info.set_domain(std::string(kErrorDomain));
    (*info.mutable_metadata())["limit_krw"] = "1380000000";
    google::rpc::Status details;
    details.set_code(static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
    details.set_message("2023 total would be 1,450,000,000 KRW, limit 1,380,000,000");
    details.add_details()->PackFrom(info);
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, details.message(),
                        details.SerializeAsString());
  }
};

TEST(AllianceClientTest, ReadsRefusalsOverTheWire) {
  RefusingCommands service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  AllianceClient client(server->InProcessChannel(grpc::ChannelArguments()), {});

  absl::StatusOr<v1::AppendResult> result = client.DisburseFunds(v1::DisburseFundsRequest());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  std::optional<RefusalDetails> refusal = GetRefusalDetails(result.status());
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "ANNUAL_LIMIT_EXCEEDED");
  EXPECT_EQ(refusal->metadata.at("limit_krw"), "1380000000");

  // A service the server does not offer: UNIMPLEMENTED, no refusal details.
  absl::StatusOr<v1::ProgramSummary> summary =
      client.GetProgramSummary(v1::GetProgramSummaryRequest());
  EXPECT_EQ(summary.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_FALSE(GetRefusalDetails(summary.status()).has_value());
  server->Shutdown();
}

// A ledger that answers the lifecycle's commands and the participant query
// with what it was sent, so the test sees that each client method reaches
// its own RPC with the request intact.
class EchoingLedger final : public v1::CommandService::Service, public v1::QueryService::Service {
 public:
  grpc::Status OpenSelectionRound(grpc::ServerContext*,
                                  const v1::OpenSelectionRoundRequest* request,
                                  v1::AppendResult* response) override {
    return Append("OpenSelectionRound", request->meta(), "program-" + request->round().program_id(),
                  response);
  }
  grpc::Status SignAgreement(grpc::ServerContext*, const v1::SignAgreementRequest* request,
                             v1::AppendResult* response) override {
    return Append("SignAgreement", request->meta(),
                  "consortium-" + request->agreement().consortium_id(), response);
  }
  grpc::Status EnrolResearcher(grpc::ServerContext*, const v1::EnrolResearcherRequest* request,
                               v1::AppendResult* response) override {
    return Append("EnrolResearcher", request->meta(),
                  "consortium-" + request->enrolment().consortium_id(), response);
  }
  grpc::Status RetractResearcherStep(grpc::ServerContext*,
                                     const v1::RetractResearcherStepRequest* request,
                                     v1::AppendResult* response) override {
    return Append("RetractResearcherStep", request->meta(),
                  "consortium-" + request->consortium_id(), response);
  }
  grpc::Status SuspendConsortium(grpc::ServerContext*,
                                 const v1::ChangeConsortiumStateRequest* request,
                                 v1::AppendResult* response) override {
    return Append("SuspendConsortium", request->meta(), "consortium-" + request->consortium_id(),
                  response);
  }
  grpc::Status ResumeConsortium(grpc::ServerContext*,
                                const v1::ChangeConsortiumStateRequest* request,
                                v1::AppendResult* response) override {
    return Append("ResumeConsortium", request->meta(), "consortium-" + request->consortium_id(),
                  response);
  }
  grpc::Status GetParticipant(grpc::ServerContext*, const v1::GetParticipantRequest* request,
                              v1::ParticipantStatus* response) override {
    calls.push_back("GetParticipant");
    if (request->participant_id() != "3128195582") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "in no consortium");
    }
    response->set_participant_id(request->participant_id());
    response->set_name_ko("주식회사 코넥");
    v1::ParticipantMembership* membership = response->add_memberships();
    membership->set_consortium_id("chungnam-future-vehicles");
    membership->set_role(v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
    membership->set_current(true);
    return grpc::Status::OK;
  }

  std::vector<std::string> calls;

 private:
  grpc::Status Append(const std::string& rpc, const v1::CommandMeta& meta,
                      const std::string& stream, v1::AppendResult* response) {
    calls.push_back(rpc);
    response->set_event_id(meta.event_id());
    response->set_stream_id(stream);
    response->set_stream_version(calls.size());
    return grpc::Status::OK;
  }
};

TEST(AllianceClientTest, LifecycleCommandsAndTheParticipantQueryReachTheirRpcs) {
  EchoingLedger ledger;
  grpc::ServerBuilder builder;
  builder.RegisterService(static_cast<v1::CommandService::Service*>(&ledger));
  builder.RegisterService(static_cast<v1::QueryService::Service*>(&ledger));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  AllianceClient client(server->InProcessChannel(grpc::ChannelArguments()), {});

  v1::OpenSelectionRoundRequest round;
  round.mutable_meta()->set_event_id(NewEventId());
  round.mutable_round()->set_program_id("alliance-2023");
  absl::StatusOr<v1::AppendResult> result = client.OpenSelectionRound(round);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->event_id(), round.meta().event_id());
  EXPECT_EQ(result->stream_id(), "program-alliance-2023");

  v1::SignAgreementRequest agreement;
  agreement.mutable_agreement()->set_consortium_id("chungnam-future-vehicles");
  result = client.SignAgreement(agreement);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->stream_id(), "consortium-chungnam-future-vehicles");

  v1::EnrolResearcherRequest enrolment;
  enrolment.mutable_enrolment()->set_consortium_id("ulsan-secondary-batteries");
  ASSERT_TRUE(client.EnrolResearcher(enrolment).ok());
  v1::RetractResearcherStepRequest retraction;
  retraction.set_consortium_id("ulsan-secondary-batteries");
  ASSERT_TRUE(client.RetractResearcherStep(retraction).ok());

  // The state changes share a request type: the method picks the RPC.
  v1::ChangeConsortiumStateRequest change;
  change.set_consortium_id("gyeongnam-metal-3d-printing");
  ASSERT_TRUE(client.SuspendConsortium(change).ok());
  ASSERT_TRUE(client.ResumeConsortium(change).ok());
  // One the fake does not implement: UNIMPLEMENTED, not another RPC.
  EXPECT_EQ(client.TerminateConsortium(change).status().code(), absl::StatusCode::kUnimplemented);

  v1::GetParticipantRequest participant;
  participant.set_participant_id("3128195582");
  absl::StatusOr<v1::ParticipantStatus> status = client.GetParticipant(participant);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->name_ko(), "주식회사 코넥");
  ASSERT_EQ(status->memberships_size(), 1);
  EXPECT_EQ(status->memberships(0).consortium_id(), "chungnam-future-vehicles");
  participant.set_participant_id("6098324777");
  EXPECT_EQ(client.GetParticipant(participant).status().code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(ledger.calls,
            (std::vector<std::string>{"OpenSelectionRound", "SignAgreement", "EnrolResearcher",
                                      "RetractResearcherStep", "SuspendConsortium",
                                      "ResumeConsortium", "GetParticipant", "GetParticipant"}));
  server->Shutdown();
}

}  // namespace
}  // namespace alliance::client
