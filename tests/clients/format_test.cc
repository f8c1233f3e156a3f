#include "clients/format.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace alliance::client {
namespace {

TEST(DisplayWidthTest, AsciiCountsOneEach) {
  EXPECT_EQ(DisplayWidth(""), 0u);
  EXPECT_EQ(DisplayWidth("KR-44"), 5u);
  EXPECT_EQ(DisplayWidth("chungnam-future-vehicles"), 24u);
}

TEST(DisplayWidthTest, HangulCountsTwoEach) {
  EXPECT_EQ(DisplayWidth("충청남도"), 8u);
  EXPECT_EQ(DisplayWidth("공주대학교"), 10u);
  // Compatibility jamo and CJK ideographs are wide too.
  EXPECT_EQ(DisplayWidth("ㄱ"), 2u);
  EXPECT_EQ(DisplayWidth("年"), 2u);
  // Fullwidth forms.
  EXPECT_EQ(DisplayWidth("Ａ"), 2u);
}

TEST(DisplayWidthTest, MixedText) {
  EXPECT_EQ(DisplayWidth("KR-44 충청남도"), 6u + 8u);
  EXPECT_EQ(DisplayWidth("(주)용산"), 1u + 2u + 1u + 4u);
  EXPECT_EQ(DisplayWidth("금속 3D프린팅"), 4u + 1u + 2u + 6u);
  EXPECT_EQ(DisplayWidth("13.8억 원"), 4u + 2u + 1u + 2u);
  // The en dash of "Mid-sized Enterprise – Regional" is narrow.
  EXPECT_EQ(DisplayWidth("a – b"), 5u);
}

TEST(DisplayWidthTest, CombiningMarksAndDecomposedHangulAddNothing) {
  EXPECT_EQ(DisplayWidth("e\u0301"), 1u);  // e + combining acute
  // 한 as conjoining jamo: a wide leading consonant, then a medial vowel
  // and a final consonant drawn into the same cell.
  EXPECT_EQ(DisplayWidth("\u1112\u1161\u11AB"), 2u);
}

TEST(DisplayWidthTest, InvalidUtf8CountsOnePerByte) {
  EXPECT_EQ(DisplayWidth("\xff\xfe"), 2u);
  EXPECT_EQ(DisplayWidth("a\xea\xb0"), 3u);  // truncated 3-byte sequence
}

TEST(PadTest, PadsToDisplayWidthNeverTruncates) {
  EXPECT_EQ(PadRight("울산", 6), "울산  ");
  EXPECT_EQ(PadLeft("울산", 6), "  울산");
  EXPECT_EQ(PadRight("abcdef", 3), "abcdef");
}

TEST(TableTest, EveryLineHasTheSameDisplayWidth) {
  Table table({{"consortium"},
               {"region"},
               {"lead"},
               {"disbursed", Table::Align::kRight},
               {"hires", Table::Align::kRight}});
  table.AddRow({"chungnam-future-vehicles", "KR-44 충청남도", "공주대학교",
                KrwWithReadable(1'380'000'000), "3"});
  table.AddRow(
      {"gyeongnam-metal-3d-printing", "KR-48 경상남도", "창원대학교", KrwWithReadable(0), "0"});
  table.AddRow({"ulsan-secondary-batteries", "KR-31 울산광역시", "울산대학교",
                KrwWithReadable(50'000'000), "12"});
  const std::string rendered = table.Render();
  ASSERT_FALSE(rendered.empty());
  ASSERT_EQ(rendered.back(), '\n');
  std::vector<std::string> lines = absl::StrSplit(rendered.substr(0, rendered.size() - 1), '\n');
  ASSERT_EQ(lines.size(), 2u + 3u);  // header, rule, rows
  const size_t width = DisplayWidth(lines[0]);
  for (const std::string& line : lines) EXPECT_EQ(DisplayWidth(line), width) << line;
  EXPECT_EQ(lines[1].find_first_not_of("- "), std::string::npos);
}

TEST(TableTest, NumbersAreRightAligned) {
  Table table({{"year", Table::Align::kRight}, {"name"}});
  table.AddRow({"7", "울산"});
  table.AddRow({"2023", "x"});
  EXPECT_EQ(table.Render(),
            "year  name\n"
            "----  ----\n"
            "   7  울산\n"
            "2023  x   \n");
}

TEST(ReadableKrwTest, KoreanUnits) {
  EXPECT_EQ(ReadableKrw(0), "0 원");
  EXPECT_EQ(ReadableKrw(9'999), "9,999 원");
  EXPECT_EQ(ReadableKrw(50'000'000), "5,000만 원");
  EXPECT_EQ(ReadableKrw(12'345'678), "1,234만 5,678 원");
  EXPECT_EQ(ReadableKrw(100'000'000), "1억 원");
  EXPECT_EQ(ReadableKrw(1'380'000'000), "13.8억 원");
  EXPECT_EQ(ReadableKrw(1'385'000'000), "13.85억 원");
  EXPECT_EQ(ReadableKrw(6'900'000'000), "69억 원");
  EXPECT_EQ(ReadableKrw(20'700'000'000), "207억 원");
  EXPECT_EQ(ReadableKrw(41'400'000'000), "414억 원");
  EXPECT_EQ(ReadableKrw(1'000'000'000'000), "1조 원");
  EXPECT_EQ(ReadableKrw(1'200'000'000'000), "1조 2,000억 원");
  // Rounding up to a whole 조 is shown in 조, not as "10,000억".
  EXPECT_EQ(ReadableKrw(999'999'999'999), "1조 원");
  EXPECT_EQ(ReadableKrw(-1'380'000'000), "-13.8억 원");
  EXPECT_FALSE(ReadableKrw(INT64_MIN).empty());
}

TEST(ReadableKrwTest, TablesShowBothForms) {
  EXPECT_EQ(KrwWithReadable(1'380'000'000), "1,380,000,000 (13.8억 원)");
  EXPECT_EQ(KrwWithReadable(0), "0");
}

TEST(FormatTimeTest, UtcRfc3339WithZ) {
  EXPECT_EQ(FormatUtcTime(absl::FromUnixSeconds(1684990800)), "2023-05-25T05:00:00Z");
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(1684990800);
  timestamp.set_nanos(500'000'000);
  EXPECT_EQ(FormatTimestamp(timestamp), "2023-05-25T05:00:00.5Z");
  EXPECT_EQ(FormatTimestamp(google::protobuf::Timestamp()), "-");
}

}  // namespace
}  // namespace alliance::client
