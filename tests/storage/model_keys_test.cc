// The `models` family's keys (storage/model_keys.h): the bytes FORMAT.md
// gives, and back.
#include "storage/model_keys.h"

#include <string>
#include <variant>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace alliance::storage {
namespace {

const std::string kNul(1, '\0');

TEST(ModelKeys, PartsAreJoinedWithNulAsFormatMdSays) {
  EXPECT_EQ(EncodeKey(ModelKey{"consortium", "ulsan"}), "consortium" + kNul + "ulsan");
  EXPECT_EQ(EncodeKey(ModelKey{"program", "alliance-2023"}), "program" + kNul + "alliance-2023");
  EXPECT_EQ(EncodeKey(IndexKey{"region", "KR-44", "chungnam"}),
            "index" + kNul + "region" + kNul + "KR-44" + kNul + "chungnam");
}

TEST(ModelKeys, TheEntriesOfOneIndexValueShareAPrefixNoOtherValueHas) {
  const std::string key = EncodeKey(IndexKey{"region", "KR-44", "chungnam"});
  EXPECT_TRUE(absl::StartsWith(key, "index" + kNul + "region" + kNul + "KR-44" + kNul));
  EXPECT_FALSE(absl::StartsWith(key, "index" + kNul + "region" + kNul + "KR-4" + kNul));
}

TEST(ModelKeys, DecodeGivesBackWhatWasEncoded) {
  const ModelKey model{"participant", "3078374027"};
  absl::StatusOr<std::variant<ModelKey, IndexKey>> decoded = DecodeModelsKey(EncodeKey(model));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_TRUE(std::holds_alternative<ModelKey>(*decoded));
  EXPECT_EQ(std::get<ModelKey>(*decoded), model);

  const IndexKey index{"field", "금속 3D프린팅", "gyeongnam"};
  decoded = DecodeModelsKey(EncodeKey(index));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_TRUE(std::holds_alternative<IndexKey>(*decoded));
  EXPECT_EQ(std::get<IndexKey>(*decoded), index);
}

TEST(ModelKeys, AKeyOfNeitherShapeIsDataLoss) {
  for (const std::string& key :
       {std::string("consortium"), "a" + kNul + "b" + kNul + "c", "index" + kNul + "region",
        "index" + kNul + "region" + kNul + "KR-44"}) {
    EXPECT_EQ(DecodeModelsKey(key).status().code(), absl::StatusCode::kDataLoss) << key;
  }
}

}  // namespace
}  // namespace alliance::storage
