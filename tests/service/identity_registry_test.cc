// The identity registry's file (services/access/identity_registry.h):
// what it accepts, what it refuses and names, and a change read while
// serving (a bad change keeps the previous version).
#include "services/access/identity_registry.h"

#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/match.h"
#include "tests/service/test_server.h"

namespace alliance::testing {
namespace {

constexpr char kGood[] = R"(
identities { name: "kiat" role: ROLE_MANAGING_AGENCY organisation: "KIAT" }
identities { name: "chungnam" role: ROLE_REGIONAL_GOVERNMENT organisation: "충청남도"
             region_code: "KR-44" }
identities { name: "kongju" role: ROLE_UNIVERSITY organisation: "공주대학교"
             participant_id: "3078374027" }
)";

void ExpectRefused(const std::string& text, const std::string& naming) {
  auto parsed = ParseIdentityRegistry(text);
  ASSERT_FALSE(parsed.ok()) << text;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), naming)) << parsed.status();
}

TEST(IdentityRegistryTest, AcceptsTheDevelopmentRegistry) {
  auto parsed = ParseIdentityRegistry(kGood);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->size(), 3u);
  EXPECT_EQ(parsed->at("chungnam").region_code(), "KR-44");
}

TEST(IdentityRegistryTest, RefusesWhatWouldAuthoriseWrongly) {
  ExpectRefused("identities { name: \"x\" organisation: \"X\" }", "no role");
  ExpectRefused("identities { name: \"x\" role: ROLE_AUDITOR }", "no organisation");
  ExpectRefused("identities { name: \"X Y\" role: ROLE_AUDITOR organisation: \"X\" }", "name");
  ExpectRefused(
      "identities { name: \"r\" role: ROLE_REGIONAL_GOVERNMENT organisation: \"R\" "
      "region_code: \"KR-99\" }",
      "region_code");
  ExpectRefused(
      "identities { name: \"u\" role: ROLE_UNIVERSITY organisation: \"U\" "
      "participant_id: \"3078374028\" }",
      "participant_id");
  ExpectRefused(
      "identities { name: \"a\" role: ROLE_AUDITOR organisation: \"A\" }\n"
      "identities { name: \"a\" role: ROLE_MINISTRY organisation: \"M\" }",
      "registered twice");
  ExpectRefused("identities { nom: \"a\" }", "text format");
}

TEST(IdentityRegistryTest, AChangeIsReadAndABadOneKeepsThePrevious) {
  TempDir dir;
  const std::string path = dir.path() + "/identities.textpb";
  { std::ofstream(path) << kGood; }
  auto registry = IdentityRegistry::Open(path);
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_TRUE((*registry)->Find("kiat").has_value());
  EXPECT_FALSE((*registry)->Find("auditor").has_value());
  {
    std::ofstream(path, std::ios::app)
        << "identities { name: \"auditor\" role: ROLE_AUDITOR organisation: \"감사원\" }\n";
  }
  ASSERT_TRUE((*registry)->Reload().ok());
  EXPECT_EQ((*registry)->Find("auditor")->role(), v1::ROLE_AUDITOR);
  { std::ofstream(path) << "identities { name: \"broken\" }"; }
  EXPECT_FALSE((*registry)->Reload().ok());
  EXPECT_TRUE((*registry)->Find("auditor").has_value());
  EXPECT_FALSE((*registry)->Find("broken").has_value());
}

TEST(IdentityRegistryTest, AMissingFileIsAClearError) {
  auto registry = IdentityRegistry::Open("/nonexistent/identities.textpb");
  ASSERT_FALSE(registry.ok());
  EXPECT_TRUE(absl::StrContains(registry.status().message(), "/nonexistent/identities.textpb"));
}

}  // namespace
}  // namespace alliance::testing
