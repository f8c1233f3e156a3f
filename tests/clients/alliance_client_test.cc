#include "clients/alliance_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>

#include <string>

#include "absl/container/flat_hash_set.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "storage/refusal.h"

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
                        {.agency = "KIAT", .principal = "test", .deadline = absl::Seconds(2)});
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::ConsortiumStatus> status = client.GetConsortium(v1::GetConsortiumRequest());
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.status().code() == absl::StatusCode::kUnavailable ||
              status.status().code() == absl::StatusCode::kDeadlineExceeded)
      << status.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(AllianceClientTest, RefusesNonAsciiHeaderValuesBeforeCalling) {
  AllianceClient client(grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
                        {.agency = "산업부", .principal = "test"});
  absl::StatusOr<v1::AppendResult> result = client.DisburseFunds(v1::DisburseFundsRequest());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
}

// A CommandService that refuses every disbursement the way the server does:
// an ErrorInfo in the google.rpc.Status of the grpc-status-details-bin
// trailer. It also checks that the recorder headers arrived.
class RefusingCommands final : public v1::CommandService::Service {
 public:
  grpc::Status DisburseFunds(grpc::ServerContext* context, const v1::DisburseFundsRequest*,
                             v1::AppendResult*) override {
    const auto& headers = context->client_metadata();
    auto agency = headers.find(std::string(kAgencyHeader));
    auto principal = headers.find(std::string(kPrincipalHeader));
    if (agency == headers.end() || principal == headers.end()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing recorder headers");
    }
    seen_agency = std::string(agency->second.data(), agency->second.size());
    seen_principal = std::string(principal->second.data(), principal->second.size());
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

  std::string seen_agency;
  std::string seen_principal;
};

TEST(AllianceClientTest, SendsHeadersAndReadsRefusalsOverTheWire) {
  RefusingCommands service;
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  AllianceClient client(server->InProcessChannel(grpc::ChannelArguments()),
                        {.agency = "KIAT", .principal = "kiat-erp"});

  absl::StatusOr<v1::AppendResult> result = client.DisburseFunds(v1::DisburseFundsRequest());
  EXPECT_EQ(service.seen_agency, "KIAT");
  EXPECT_EQ(service.seen_principal, "kiat-erp");
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

}  // namespace
}  // namespace alliance::client
