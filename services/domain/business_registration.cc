// The check digit of a business registration number, and the words for each
// way a number can be wrong.
#include "services/domain/business_registration.h"

#include <cassert>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace alliance::domain {
namespace {

constexpr size_t kFirstNineDigits = kBusinessRegistrationDigits - 1;
constexpr int kWeights[kFirstNineDigits] = {1, 3, 7, 1, 3, 7, 1, 3, 5};
// A number is echoed back in a message only when it is this short and
// printable ASCII: enough for any mistyped number, and never a wall of text
// or bytes that are not text.
constexpr size_t kEchoLengthMax = 32;

int DigitValue(char c) { return c - '0'; }

// ` (got "<number>"` when the number is safe to echo, else ` (got <n> bytes`;
// the caller closes the parenthesis after saying more.
std::string Got(absl::string_view number) {
  bool printable = number.size() <= kEchoLengthMax;
  for (char c : number) printable = printable && absl::ascii_isprint(c);
  if (printable) return absl::StrCat(" (got \"", number, "\"");
  return absl::StrCat(" (got ", number.size(), " bytes");
}

}  // namespace

int BusinessRegistrationCheckDigit(absl::string_view first_nine) {
  assert(first_nine.size() == kFirstNineDigits);
  int sum = 0;
  for (size_t i = 0; i < kFirstNineDigits; ++i) {
    assert(absl::ascii_isdigit(first_nine[i]));
    sum += DigitValue(first_nine[i]) * kWeights[i];
  }
  // The ninth digit counts a second time: its product with 5, tens only.
  sum += DigitValue(first_nine[kFirstNineDigits - 1]) * 5 / 10;
  return (10 - sum % 10) % 10;
}

absl::Status CheckBusinessRegistrationNumber(absl::string_view number) {
  const std::string expected =
      absl::StrCat("must be ", kBusinessRegistrationDigits, " digits without dashes, e.g. ",
                   kBusinessRegistrationExample);
  if (number.empty()) return absl::InvalidArgumentError(absl::StrCat(expected, " (got nothing)"));
  size_t digits = 0;
  size_t dashes = 0;
  for (char c : number) {
    if (absl::ascii_isdigit(c)) ++digits;
    if (c == '-') ++dashes;
  }
  if (dashes > 0 && digits + dashes == number.size()) {
    return absl::InvalidArgumentError(absl::StrCat(expected, Got(number), "; remove the dashes)"));
  }
  if (digits != number.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(expected, Got(number), ", which holds a character other than a digit)"));
  }
  if (number.size() != kBusinessRegistrationDigits) {
    return absl::InvalidArgumentError(absl::StrCat(expected, " (got ", number.size(), " digits)"));
  }
  const int given = DigitValue(number.back());
  const int computed = BusinessRegistrationCheckDigit(number.substr(0, kFirstNineDigits));
  if (given != computed) {
    return absl::InvalidArgumentError(absl::StrCat("check digit is ", given,
                                                   ", but the first nine digits give ", computed,
                                                   "; check for a mistyped digit"));
  }
  return absl::OkStatus();
}

}  // namespace alliance::domain
