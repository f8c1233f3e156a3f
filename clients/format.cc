#include "clients/format.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "proto/errors/refusal.h"

namespace alliance::client {
namespace {

struct CodePointRange {
  char32_t first;
  char32_t last;
};

// Zero-width code points: combining marks (they draw on the previous
// character), Hangul medial vowels and final consonants (they join a leading
// jamo into one wide syllable), joiners, variation selectors, BOM. Checked
// before kWide because a few sit inside wide blocks (U+302A..302D).
constexpr CodePointRange kZeroWidth[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},   {0x064B, 0x065F},
    {0x1160, 0x11FF}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},   {0x2028, 0x202E},
    {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0x302A, 0x302D}, {0x3099, 0x309A},   {0xD7B0, 0xD7FF},
    {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

// East Asian Wide (W) and Fullwidth (F) blocks, after Unicode's
// EastAsianWidth.txt, to the precision a ledger's names need.
constexpr CodePointRange kWide[] = {
    {0x1100, 0x115F},    // Hangul Jamo, leading consonants
    {0x2329, 0x232A},    // angle brackets
    {0x2E80, 0x303E},    // CJK radicals, symbols and punctuation
    {0x3040, 0xA4CF},    // kana, bopomofo, compatibility jamo, CJK, Yi
    {0xA960, 0xA97F},    // Hangul Jamo Extended-A
    {0xAC00, 0xD7A3},    // Hangul syllables
    {0xF900, 0xFAFF},    // CJK compatibility ideographs
    {0xFE10, 0xFE19},    // vertical forms
    {0xFE30, 0xFE6F},    // CJK compatibility forms, small form variants
    {0xFF00, 0xFF60},    // fullwidth forms
    {0xFFE0, 0xFFE6},    // fullwidth signs
    {0x1F300, 0x1F64F},  // pictographs, emoticons
    {0x1F900, 0x1F9FF},  // supplemental pictographs
    {0x20000, 0x2FFFD},  // CJK extension B and beyond
    {0x30000, 0x3FFFD},  // CJK extension G and beyond
};

template <size_t N>
bool InRanges(char32_t code_point, const CodePointRange (&ranges)[N]) {
  for (const CodePointRange& range : ranges) {
    if (code_point >= range.first && code_point <= range.last) return true;
  }
  return false;
}

// Sentinel for a byte that does not start valid UTF-8.
constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes the code point at text[*pos] and advances *pos past it; on
// malformed input returns kInvalid and advances one byte.
char32_t DecodeNext(std::string_view text, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(*pos);
  size_t length;
  char32_t code_point;
  char32_t min_value;  // rejects overlong encodings
  if (lead < 0x80) {
    ++*pos;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2, code_point = lead & 0x1F, min_value = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code_point = lead & 0x0F, min_value = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code_point = lead & 0x07, min_value = 0x10000;
  } else {
    ++*pos;
    return kInvalid;
  }
  if (*pos + length > text.size()) {
    ++*pos;
    return kInvalid;
  }
  for (size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(*pos + i);
    if ((next & 0xC0) != 0x80) {
      ++*pos;
      return kInvalid;
    }
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < min_value || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    ++*pos;
    return kInvalid;
  }
  *pos += length;
  return code_point;
}

// Units of the Korean number system (만 10^4, 억 10^8, 조 10^12).
constexpr uint64_t kMan = 10'000;
constexpr uint64_t kEok = 100'000'000;
constexpr uint64_t kJo = 1'000'000'000'000;
constexpr uint64_t kEokPerJo = kJo / kEok;
// 억 amounts show up to this many hundredths: "13.85억".
constexpr uint64_t kEokHundredth = kEok / 100;

std::string Commas(uint64_t value) {
  // Every value passed here is at most INT64_MAX / 10^4, so the cast is exact.
  return FormatKrw(static_cast<int64_t>(value));
}

std::string ReadableMagnitude(uint64_t amount) {
  if (amount < kMan) return absl::StrCat(Commas(amount), " 원");
  if (amount < kEok) {
    const uint64_t man = amount / kMan;
    const uint64_t rest = amount % kMan;
    if (rest == 0) return absl::StrCat(Commas(man), "만 원");
    return absl::StrCat(Commas(man), "만 ", Commas(rest), " 원");
  }
  if (amount < kJo) {
    const uint64_t hundredths = (amount + kEokHundredth / 2) / kEokHundredth;
    // Rounding can carry 9,999.995억 up to 1조: that is shown in 조 below.
    if (hundredths < kEokPerJo * 100) {
      std::string text = Commas(hundredths / 100);
      const uint64_t fraction = hundredths % 100;
      if (fraction != 0) {
        std::string digits = absl::StrFormat("%02d", fraction);
        if (digits.back() == '0') digits.pop_back();
        absl::StrAppend(&text, ".", digits);
      }
      return absl::StrCat(text, "억 원");
    }
  }
  const uint64_t eok_total = amount / kEok + (amount % kEok >= kEok / 2 ? 1 : 0);
  const uint64_t jo = eok_total / kEokPerJo;
  const uint64_t eok = eok_total % kEokPerJo;
  if (eok == 0) return absl::StrCat(Commas(jo), "조 원");
  return absl::StrCat(Commas(jo), "조 ", Commas(eok), "억 원");
}

}  // namespace

size_t DisplayWidth(std::string_view utf8) {
  size_t width = 0;
  size_t pos = 0;
  while (pos < utf8.size()) {
    const char32_t code_point = DecodeNext(utf8, &pos);
    if (code_point == kInvalid) {
      width += 1;
    } else if (InRanges(code_point, kZeroWidth)) {
      // adds nothing
    } else if (InRanges(code_point, kWide)) {
      width += 2;
    } else {
      width += 1;
    }
  }
  return width;
}

std::string PadRight(std::string_view text, size_t width) {
  const size_t current = DisplayWidth(text);
  std::string out(text);
  if (current < width) out.append(width - current, ' ');
  return out;
}

std::string PadLeft(std::string_view text, size_t width) {
  const size_t current = DisplayWidth(text);
  std::string out;
  if (current < width) out.append(width - current, ' ');
  out.append(text);
  return out;
}

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {
  assert(!columns_.empty());
}

void Table::AddRow(std::vector<std::string> cells) {
  assert(cells.size() <= columns_.size());
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  constexpr absl::string_view kSeparator = "  ";
  std::vector<size_t> widths(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = DisplayWidth(columns_[c].header);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  const auto render_line = [&](const auto& cell_at) {
    std::vector<std::string> cells;
    cells.reserve(columns_.size());
    for (size_t c = 0; c < columns_.size(); ++c) {
      cells.push_back(columns_[c].align == Align::kRight ? PadLeft(cell_at(c), widths[c])
                                                         : PadRight(cell_at(c), widths[c]));
    }
    return absl::StrCat(absl::StrJoin(cells, kSeparator), "\n");
  };
  std::string out = render_line([&](size_t c) -> std::string_view { return columns_[c].header; });
  absl::StrAppend(&out, render_line([&](size_t c) { return std::string(widths[c], '-'); }));
  for (const auto& row : rows_) {
    absl::StrAppend(&out, render_line([&](size_t c) -> std::string_view { return row[c]; }));
  }
  return out;
}

std::string ReadableKrw(int64_t amount_krw) {
  if (amount_krw >= 0) return ReadableMagnitude(static_cast<uint64_t>(amount_krw));
  // Negate as unsigned so INT64_MIN does not overflow.
  return absl::StrCat("-", ReadableMagnitude(0 - static_cast<uint64_t>(amount_krw)));
}

std::string KrwWithReadable(int64_t amount_krw) {
  // "0 (0 원)" would say nothing twice.
  if (amount_krw == 0) return "0";
  return absl::StrCat(FormatKrw(amount_krw), " (", ReadableKrw(amount_krw), ")");
}

std::string FormatUtcTime(absl::Time time) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return "-";
  return FormatUtcTime(absl::FromUnixSeconds(timestamp.seconds()) +
                       absl::Nanoseconds(timestamp.nanos()));
}

}  // namespace alliance::client
