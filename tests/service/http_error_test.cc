// The JSON/HTTP face's errors (services/http/http_error.h): every gRPC code
// to the HTTP status of AIP-193's table, and a refusal's body carrying its
// google.rpc details.
#include "services/http/http_error.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "proto/errors/grpc_status.h"
#include "proto/errors/refusal.h"

namespace alliance::http {
namespace {

TEST(HttpErrorTest, EveryCodeMapsAsAip193Says) {
  // https://google.aip.dev/193, "HTTP/1.1+JSON representation".
  const std::vector<std::pair<grpc::StatusCode, int>> aip193 = {
      {grpc::StatusCode::OK, 200},
      {grpc::StatusCode::CANCELLED, 499},
      {grpc::StatusCode::UNKNOWN, 500},
      {grpc::StatusCode::INVALID_ARGUMENT, 400},
      {grpc::StatusCode::DEADLINE_EXCEEDED, 504},
      {grpc::StatusCode::NOT_FOUND, 404},
      {grpc::StatusCode::ALREADY_EXISTS, 409},
      {grpc::StatusCode::PERMISSION_DENIED, 403},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, 429},
      {grpc::StatusCode::FAILED_PRECONDITION, 400},
      {grpc::StatusCode::ABORTED, 409},
      {grpc::StatusCode::OUT_OF_RANGE, 400},
      {grpc::StatusCode::UNIMPLEMENTED, 501},
      {grpc::StatusCode::INTERNAL, 500},
      {grpc::StatusCode::UNAVAILABLE, 503},
      {grpc::StatusCode::DATA_LOSS, 500},
      {grpc::StatusCode::UNAUTHENTICATED, 401},
  };
  for (const auto& [code, http_status] : aip193) {
    EXPECT_EQ(HttpStatusOf(code), http_status) << CodeName(code);
  }
  EXPECT_EQ(CodeName(grpc::StatusCode::FAILED_PRECONDITION), "FAILED_PRECONDITION");
  EXPECT_EQ(CodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

TEST(HttpErrorTest, TheBodyCarriesTheRefusalsDetails) {
  const grpc::Status refused =
      ToGrpcStatus(Refuse(absl::StatusCode::kFailedPrecondition, "ANNUAL_LIMIT_EXCEEDED",
                          "2024 total would be 1,380,001,000 KRW", {{"limit_krw", "1380000000"}}));
  const v1::HttpError error = ToHttpError(refused);
  EXPECT_EQ(error.error().code(), 400);
  EXPECT_EQ(error.error().status(), "FAILED_PRECONDITION");
  EXPECT_EQ(error.error().message(), "2024 total would be 1,380,001,000 KRW");
  ASSERT_EQ(error.error().details_size(), 1);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(error.error().details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "ANNUAL_LIMIT_EXCEEDED");
  EXPECT_EQ(info.metadata().at("limit_krw"), "1380000000");

  // HTTP's own code where it has one (405 for another method), the gRPC
  // code's name kept.
  const v1::HttpError other = ToHttpError(
      grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "POST is served here"), /*http_status=*/405);
  EXPECT_EQ(other.error().code(), 405);
  EXPECT_EQ(other.error().status(), "UNIMPLEMENTED");
  EXPECT_EQ(other.error().details_size(), 0);
}

}  // namespace
}  // namespace alliance::http
