// Text formatting for people reading the ledger in a terminal: column
// widths that account for Hangul, aligned tables, money in the Korean
// readable form and timestamps in UTC RFC 3339. Pure functions: no I/O.
//
//   Table table({{"id"}, {"region"}, {"disbursed", Table::Align::kRight}});
//   table.AddRow({"chungnam-future-vehicles", "KR-44 충청남도",
//                 KrwWithReadable(1'380'000'000)});
//   std::cout << table.Render();
//
//   id                        region                          disbursed
//   ------------------------  --------------  -------------------------
//   chungnam-future-vehicles  KR-44 충청남도  1,380,000,000 (13.8억 원)
#ifndef ALLIANCE_CLIENTS_FORMAT_H_
#define ALLIANCE_CLIENTS_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace alliance::client {

// Columns `utf8` takes in a terminal: 2 for an East Asian Wide or Fullwidth
// code point (Hangul syllables and jamo, CJK, fullwidth forms), 0 for a
// combining mark or zero-width character, 1 for any other code point. A byte
// that is not part of valid UTF-8 counts 1, so a bad string still lines up
// roughly instead of failing.
size_t DisplayWidth(std::string_view utf8);

// `text` followed by spaces up to `width` display columns; unchanged when it
// is already that wide or wider (never truncated: an id is never cut).
std::string PadRight(std::string_view text, size_t width);
// Spaces before `text` up to `width` display columns.
std::string PadLeft(std::string_view text, size_t width);

// Rows of text in aligned columns. Each column is as wide as its widest cell
// or header (in display columns); cells are separated by two spaces; every
// line of the rendering has the same display width. Numbers read best
// right-aligned: give their columns Align::kRight.
class Table {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string header;
    Align align = Align::kLeft;
  };

  explicit Table(std::vector<Column> columns);

  // REQUIRES: cells.size() <= the number of columns; missing cells are empty.
  void AddRow(std::vector<std::string> cells);

  size_t row_count() const { return rows_.size(); }

  // The header, a rule of '-' under each header, then the rows; each line
  // ends with '\n'.
  std::string Render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Money in the form Korean readers use, for a glance beside the exact
// figure (FormatKrw in proto/errors/refusal.h):
//   0                 -> "0 원"
//   9,999             -> "9,999 원"
//   50,000,000        -> "5,000만 원"      (below 1억: exact, in 만 and 원)
//   12,345,678        -> "1,234만 5,678 원"
//   1,380,000,000     -> "13.8억 원"       (1억 up: 억, up to 2 decimals, rounded)
//   6,900,000,000     -> "69억 원"
//   41,400,000,000    -> "414억 원"
//   1,200,000,000,000 -> "1조 2,000억 원"  (1조 up: 조 and whole 억, rounded)
// Negative amounts get a leading '-'.
std::string ReadableKrw(int64_t amount_krw);

// "1,380,000,000 (13.8억 원)": the exact amount and its readable form, the
// way tables show money; plain "0" for zero.
std::string KrwWithReadable(int64_t amount_krw);

// UTC RFC 3339 with a "Z" suffix and fractional seconds only when non-zero:
// "2023-05-25T05:00:00Z".
std::string FormatUtcTime(absl::Time time);
// The same for a protobuf Timestamp; "-" for an unset (zero) one, which no
// event in this ledger carries.
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);

}  // namespace alliance::client

#endif  // ALLIANCE_CLIENTS_FORMAT_H_
