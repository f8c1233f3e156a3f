// The JSON/HTTP face's routes (services/http/routes.h) from the real protos'
// google.api.http options: matching, the request built from the path, the
// query and the body, and the rules the face refuses to serve. The face
// itself, over HTTPS against a real server, is tested in
// clients/python/tests/test_http_api.py.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "alliance/v1/audit.grpc.pb.h"
#include "alliance/v1/commands.grpc.pb.h"
#include "alliance/v1/queries.grpc.pb.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "proto/errors/refusal.h"
#include "services/http/routes.h"

namespace alliance::http {
namespace {

using google::protobuf::DescriptorPool;

const google::protobuf::ServiceDescriptor* Service(const char* name) {
  // Their messages' descriptors, so that the linker keeps the protos' files.
  (void)v1::DisburseFundsRequest::descriptor();
  (void)v1::GetConsortiumRequest::descriptor();
  (void)v1::GetTreeHeadRequest::descriptor();
  return DescriptorPool::generated_pool()->FindServiceByName(name);
}

Routes Public() {
  absl::StatusOr<Routes> routes =
      Routes::FromServices({Service(v1::CommandService::service_full_name()),
                            Service(v1::QueryService::service_full_name()),
                            Service(v1::AuditService::service_full_name())});
  EXPECT_TRUE(routes.ok()) << routes.status();
  return routes.ok() ? *std::move(routes) : Routes();
}

std::string ReasonOf(const absl::Status& status) {
  std::optional<RefusalDetails> details = GetRefusalDetails(status);
  return details ? details->reason : "";
}

TEST(HttpRoutesTest, EveryUnaryMethodOfTheThreeServicesHasARoute) {
  const Routes routes = Public();
  size_t unary = 0;
  for (const char* name :
       {v1::CommandService::service_full_name(), v1::QueryService::service_full_name(),
        v1::AuditService::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* service = Service(name);
    for (int i = 0; i < service->method_count(); ++i) {
      if (!service->method(i)->server_streaming()) ++unary;
    }
  }
  EXPECT_EQ(routes.routes().size(), unary);
}

TEST(HttpRoutesTest, APathMatchesItsMethodAndBindsItsVariables) {
  const Routes routes = Public();
  std::optional<RouteMatch> get = routes.Match("GET", "/v1/consortia/chungnam-future-vehicles");
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->route->grpc_path, "/alliance.v1.QueryService/GetConsortium");
  ASSERT_EQ(get->bindings.size(), 1u);
  EXPECT_EQ(get->bindings[0].first, "consortium_id");
  EXPECT_EQ(get->bindings[0].second, "chungnam-future-vehicles");

  std::optional<RouteMatch> pay = routes.Match("POST", "/v1/consortia/x:disburse");
  ASSERT_TRUE(pay.has_value());
  EXPECT_EQ(pay->route->grpc_path, "/alliance.v1.CommandService/DisburseFunds");
  EXPECT_EQ(pay->bindings[0].first, "disbursement.consortium_id");

  // A custom verb on a collection, with no variable.
  std::optional<RouteMatch> run = routes.Match("POST", "/v1/consortia:disburseBatch");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->route->grpc_path, "/alliance.v1.CommandService/DisburseFundsBatch");
  EXPECT_TRUE(routes.Match("POST", "/v1/programs:establish").has_value());

  // Percent-decoded, one segment each.
  std::optional<RouteMatch> encoded = routes.Match("GET", "/v1/consortia/a%2Fb%20c");
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(encoded->bindings[0].second, "a/b c");
  EXPECT_FALSE(routes.Match("GET", "/v1/consortia/%zz").has_value());
}

TEST(HttpRoutesTest, NoMatchTellsAnotherMethodFromNoRoute) {
  const Routes routes = Public();
  EXPECT_FALSE(routes.Match("GET", "/v1/consortia/x:disburse").has_value());
  EXPECT_TRUE(routes.MatchesOtherMethod("GET", "/v1/consortia/x:disburse"));
  EXPECT_FALSE(routes.Match("GET", "/v1/nowhere").has_value());
  EXPECT_FALSE(routes.MatchesOtherMethod("GET", "/v1/nowhere"));
  EXPECT_FALSE(routes.Match("GET", "/v1/consortia/x/y").has_value());
  EXPECT_FALSE(routes.Match("GET", "v1/consortia").has_value());
  EXPECT_FALSE(routes.Match("GET", "/v1/consortia/").has_value()) << "an empty variable";
}

TEST(HttpRoutesTest, TheQueryFillsFieldsByProtoOrJsonName) {
  const Routes routes = Public();
  std::optional<RouteMatch> list = routes.Match("GET", "/v1/consortia");
  ASSERT_TRUE(list.has_value());
  v1::ListConsortiaRequest request;
  ASSERT_TRUE(
      BuildRequest(
          *list, "",
          {{"region_code", "KR-44"}, {"pageSize", "5"}, {"state", "CONSORTIUM_STATE_ACTIVE"}},
          &request)
          .ok());
  EXPECT_EQ(request.region_code(), "KR-44");
  EXPECT_EQ(request.page_size(), 5);
  EXPECT_EQ(request.state(), v1::CONSORTIUM_STATE_ACTIVE);

  std::optional<RouteMatch> get = routes.Match("GET", "/v1/consortia/c");
  v1::GetConsortiumRequest as_of;
  ASSERT_TRUE(BuildRequest(*get, "", {{"as_of_time", "2024-01-01T00:00:00Z"}}, &as_of).ok());
  EXPECT_EQ(as_of.as_of_time().seconds(), 1704067200);
  EXPECT_EQ(as_of.consortium_id(), "c");
}

TEST(HttpRoutesTest, WhatDoesNotFitIsInvalidArgumentNamingIt) {
  const Routes routes = Public();
  std::optional<RouteMatch> list = routes.Match("GET", "/v1/consortia");
  v1::ListConsortiaRequest request;
  absl::Status bad_number = BuildRequest(*list, "", {{"page_size", "abc"}}, &request);
  EXPECT_EQ(bad_number.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(bad_number), "INVALID_FIELD");
  EXPECT_EQ(BuildRequest(*list, "", {{"no_such", "1"}}, &request).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(BuildRequest(*list, "{}", {}, &request)), "MALFORMED_REQUEST")
      << "a GET takes no body";

  std::optional<RouteMatch> pay = routes.Match("POST", "/v1/consortia/a:disburse");
  v1::DisburseFundsRequest payment;
  EXPECT_EQ(ReasonOf(BuildRequest(*pay, "", {}, &payment)), "MALFORMED_REQUEST")
      << "a POST takes its request as the body";
  EXPECT_EQ(ReasonOf(BuildRequest(*pay, "{not json", {}, &payment)), "MALFORMED_REQUEST");
  EXPECT_EQ(ReasonOf(BuildRequest(*pay, R"({"surprise": 1})", {}, &payment)), "MALFORMED_REQUEST")
      << "unknown fields are refused, not dropped";
  absl::Status disagree =
      BuildRequest(*pay, R"({"disbursement": {"consortiumId": "b"}})", {}, &payment);
  EXPECT_EQ(ReasonOf(disagree), "INVALID_FIELD");
  EXPECT_NE(disagree.message().find("the path says 'a' and the body 'b'"), std::string::npos)
      << disagree;
  v1::DisburseFundsRequest agreed;
  ASSERT_TRUE(BuildRequest(*pay, R"({"disbursement": {"consortiumId": "a", "amountKrw": "7"}})", {},
                           &agreed)
                  .ok());
  EXPECT_EQ(agreed.disbursement().amount_krw(), 7);
}

// A service of its own, built in a pool over the generated one, whose
// method carries `rule`.
absl::Status RoutesOf(const google::api::HttpRule& rule) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("test/route_rules.proto");
  file.set_package("test");
  file.set_syntax("proto3");
  file.add_dependency("alliance/v1/queries.proto");
  google::protobuf::ServiceDescriptorProto* service = file.add_service();
  service->set_name("Rules");
  google::protobuf::MethodDescriptorProto* method = service->add_method();
  method->set_name("Get");
  method->set_input_type(".alliance.v1.GetConsortiumRequest");
  method->set_output_type(".alliance.v1.ConsortiumStatus");
  *method->mutable_options()->MutableExtension(google::api::http) = rule;
  DescriptorPool pool(DescriptorPool::generated_pool());
  const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
  if (built == nullptr) return absl::InternalError("the test's file did not build");
  return Routes::FromServices({built->service(0)}).status();
}

TEST(HttpRoutesTest, RulesThisFaceCannotServeAreRefusedAtStart) {
  google::api::HttpRule rule;
  rule.set_get("/v1/consortia/{consortium_id}");
  EXPECT_TRUE(RoutesOf(rule).ok()) << RoutesOf(rule);
  for (const char* path :
       {"/v1/{consortium_id=consortia/*}", "/v1/**", "v1/no-slash", "/v1/{Consortium}"}) {
    rule.set_get(path);
    EXPECT_EQ(RoutesOf(rule).code(), absl::StatusCode::kInvalidArgument) << path;
  }
  rule.set_get("/v1/x");
  rule.set_body("consortium_id");
  EXPECT_EQ(RoutesOf(rule).code(), absl::StatusCode::kInvalidArgument) << "a body of one field";
  rule.clear_body();
  rule.set_put("/v1/x");
  EXPECT_EQ(RoutesOf(rule).code(), absl::StatusCode::kInvalidArgument) << "only get and post";
}

}  // namespace
}  // namespace alliance::http
