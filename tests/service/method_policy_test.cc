// The method policy (services/access/method_policy.h): gRFC A43's JSON as
// deploy/authz-policy.json writes it, read and applied as gRPC's engine
// would (deny rules first, then allow rules, otherwise refused).
#include "services/access/method_policy.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "proto/errors/refusal.h"
#include "storage/whole_file.h"

namespace alliance {
namespace {

constexpr char kPolicy[] = R"({
  "name": "test",
  "deny_rules": [
    {"name": "no_one_withdraws", "request": {"paths": ["*/WithdrawParticipant"]}}
  ],
  "allow_rules": [
    {"name": "everyone_reads", "source": {"principals": ["alliance://identity/*"]},
     "request": {"paths": ["/alliance.v1.QueryService/*"]}},
    {"name": "kiat_records", "source": {"principals": ["alliance://identity/kiat"]},
     "request": {"paths": ["/alliance.v1.CommandService/*"]}}
  ]
})";

std::string ReasonOf(const absl::Status& status) {
  std::optional<RefusalDetails> details = GetRefusalDetails(status);
  return details.has_value() ? details->reason : "";
}

TEST(MethodPolicyTest, TheDeployedPolicyParses) {
  absl::StatusOr<std::string> text = ReadWholeFile(ALLIANCE_SOURCE_DIR "/deploy/authz-policy.json");
  ASSERT_TRUE(text.ok()) << text.status();
  absl::StatusOr<internal::v1::AuthorizationPolicy> policy = ParseMethodPolicy(*text);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(CheckMethodPolicy(*policy, "kiat", "/alliance.v1.CommandService/DisburseFunds").ok());
  EXPECT_FALSE(
      CheckMethodPolicy(*policy, "conex", "/alliance.v1.CommandService/DisburseFunds").ok());
  EXPECT_TRUE(CheckMethodPolicy(*policy, "auditor", "/alliance.v1.AuditService/ReadLog").ok());
  EXPECT_FALSE(CheckMethodPolicy(*policy, "chungnam", "/alliance.v1.AuditService/ReadLog").ok());
  EXPECT_TRUE(CheckMethodPolicy(*policy, "conex", "/alliance.v1.QueryService/GetConsortium").ok());
}

TEST(MethodPolicyTest, DenyRulesComeFirstThenAllowRulesThenRefusal) {
  absl::StatusOr<internal::v1::AuthorizationPolicy> policy = ParseMethodPolicy(kPolicy);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(CheckMethodPolicy(*policy, "kiat", "/alliance.v1.CommandService/DisburseFunds").ok());
  absl::Status denied =
      CheckMethodPolicy(*policy, "kiat", "/alliance.v1.CommandService/WithdrawParticipant");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReasonOf(denied), "METHOD_NOT_ALLOWED");
  EXPECT_EQ(GetRefusalDetails(denied)->metadata["rule"], "no_one_withdraws");
  absl::Status unlisted =
      CheckMethodPolicy(*policy, "ministry", "/alliance.v1.CommandService/DisburseFunds");
  EXPECT_EQ(ReasonOf(unlisted), "METHOD_NOT_ALLOWED");
  EXPECT_TRUE(absl::StrContains(unlisted.message(), "no rule of the method policy \"test\""));
  EXPECT_TRUE(CheckMethodPolicy(*policy, "anyone", "/alliance.v1.QueryService/ListConsortia").ok());
  EXPECT_FALSE(CheckMethodPolicy(*policy, "anyone", "/alliance.v1.AuditService/ReadLog").ok());
}

TEST(MethodPolicyTest, WhatItCannotApplyIsRefusedWhole) {
  // Header conditions: not supported, so not half applied.
  absl::StatusOr<internal::v1::AuthorizationPolicy> headers = ParseMethodPolicy(R"({
    "name": "h", "allow_rules": [{"name": "r",
      "request": {"headers": [{"key": "x-team", "values": ["a"]}]}}]})");
  ASSERT_FALSE(headers.ok());
  EXPECT_TRUE(absl::StrContains(headers.status().message(), "headers")) << headers.status();
  EXPECT_FALSE(ParseMethodPolicy(R"({"name": "x", "allow_rulez": []})").ok());
  EXPECT_FALSE(ParseMethodPolicy(R"({"allow_rules": []})").ok());
  EXPECT_FALSE(ParseMethodPolicy(R"({"name": "x", "allow_rules": [{"source": {}}]})").ok());
  EXPECT_FALSE(ParseMethodPolicy("not json").ok());
}

}  // namespace
}  // namespace alliance
