// The field checks of validation.h. Each returns OK or the refusal for the
// first bad field; the concepts' Validate* functions run them in field
// order so the caller hears about the first problem in the request as
// written.
#include "services/domain/validation.h"

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/timestamp.pb.h"
#include "proto/errors/refusal.h"
#include "services/domain/business_registration.h"
#include "services/domain/regions.h"

namespace alliance::domain {
namespace {

constexpr absl::string_view kUuidExample = "123e4567-e89b-12d3-a456-426614174000";
// Positions of the '-' in the 36-character 8-4-4-4-12 text form of a UUID.
constexpr size_t kUuidLength = 36;
constexpr size_t kUuidDashes[] = {8, 13, 18, 23};
// Digits of the largest event index "<uuid>#<i>" may carry (999).
constexpr size_t kEventIndexDigitsMax = 3;
// The range google.protobuf.Timestamp allows: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999999Z.
constexpr int64_t kTimestampSecondsMin = -62'135'596'800;
constexpr int64_t kTimestampSecondsMax = 253'402'300'799;
constexpr int32_t kTimestampNanosMax = 999'999'999;
// The region a refusal quotes as an example of a valid code.
constexpr absl::string_view kRegionCodeExample = "KR-44";
// A value is echoed back in a refusal only when it is this short and
// printable ASCII; anything else is described by its length.
constexpr size_t kEchoLengthMax = 32;
// A resident registration number (주민등록번호): 6 digits of birth date, an
// optional '-', 7 more digits.
constexpr size_t kRrnBirthDigits = 6;
constexpr size_t kRrnSerialDigits = 7;
constexpr size_t kRrnDigits = kRrnBirthDigits + kRrnSerialDigits;

// ---- Shapes -----------------------------------------------------------------

bool IsLowerHex(char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'); }

// Lowercase only: event ids are compared as text (a reversal names the
// disbursement it corrects), so one UUID must have one spelling.
bool IsUuid(absl::string_view text) {
  if (text.size() != kUuidLength) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    bool dash_here = false;
    for (size_t dash : kUuidDashes) dash_here = dash_here || dash == i;
    if (dash_here ? text[i] != '-' : !IsLowerHex(text[i])) return false;
  }
  return true;
}

bool IsId(absl::string_view text) {
  if (text.empty() || text.size() > kIdLengthMax) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool alnum = absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z');
    if (!alnum && (i == 0 || c != '-')) return false;
  }
  return true;
}

// Length of the run of ASCII digits starting at `pos`.
size_t DigitRun(absl::string_view text, size_t pos) {
  size_t end = pos;
  while (end < text.size() && absl::ascii_isdigit(text[end])) ++end;
  return end - pos;
}

// Rule 7: 6 digits, '-', 7 digits anywhere, or any run of 13 digits.
bool LooksLikeResidentNumber(absl::string_view text) {
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const size_t run = DigitRun(text, pos);
    if (run >= kRrnDigits) return true;
    if (run >= kRrnBirthDigits) {
      const size_t dash = pos + run;
      if (dash < text.size() && text[dash] == '-' && DigitRun(text, dash + 1) >= kRrnSerialDigits) {
        return true;
      }
    }
  }
  return false;
}

// Structural UTF-8 check (RFC 3629): no overlongs, surrogates or code points
// past U+10FFFF.
bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t extra = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kSmallestOfLength[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallestOfLength[extra]) return false;
    if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// "\"<value>\"" when the value is safe to put in a message, else "<n> bytes".
std::string Quoted(absl::string_view value) {
  bool printable = value.size() <= kEchoLengthMax;
  for (char c : value) printable = printable && absl::ascii_isprint(c);
  if (printable) return absl::StrCat("\"", value, "\"");
  return absl::StrCat(value.size(), " bytes");
}

absl::Status CheckUuid(absl::string_view path, absl::string_view value) {
  if (value.empty()) return MissingField(path);
  if (!IsUuid(value)) {
    return InvalidField(
        path, absl::StrCat("must be a UUID in lowercase 8-4-4-4-12 hex form, like ", kUuidExample));
  }
  return absl::OkStatus();
}

}  // namespace

// ---- Field checks -------------------------------------------------------------

// The id of an event: the command's UUID, or "<uuid>#<i>" for event i >= 1 of
// a multi-event command (i decimal without leading zeros, below
// kBatchDisbursementsMax, the most events a command of this API appends).
absl::Status CheckEventId(absl::string_view path, absl::string_view value) {
  if (value.empty()) return MissingField(path);
  const size_t hash = value.find('#');
  if (hash == absl::string_view::npos) return CheckUuid(path, value);
  const absl::string_view index = value.substr(hash + 1);
  uint32_t i = 0;
  const bool index_ok = !index.empty() && index.size() <= kEventIndexDigitsMax &&
                        DigitRun(index, 0) == index.size() && index[0] != '0' &&
                        absl::SimpleAtoi(index, &i) && i < kBatchDisbursementsMax;
  if (!IsUuid(value.substr(0, hash)) || !index_ok) {
    return InvalidField(
        path, absl::StrCat("must be an event id: a UUID in lowercase 8-4-4-4-12 hex form, like ",
                           kUuidExample,
                           ", or for event i of a multi-event command, the UUID, '#' "
                           "and i from 1 to ",
                           kBatchDisbursementsMax - 1, " (like ", kUuidExample, "#5)"));
  }
  return absl::OkStatus();
}

absl::Status CheckId(absl::string_view path, absl::string_view value) {
  if (value.empty()) return MissingField(path);
  if (!IsId(value)) {
    return InvalidField(
        path, absl::StrCat("must be 1 to ", kIdLengthMax,
                           " lowercase letters, digits and '-', starting with a letter or digit "
                           "(like \"kongju-univ\")"));
  }
  return absl::OkStatus();
}

absl::Status CheckResearcherId(absl::string_view path, absl::string_view value) {
  if (value.empty()) return MissingField(path);
  if (value.size() > kIdLengthMax) {
    return InvalidField(path, absl::StrCat("must be at most ", kIdLengthMax, " characters"));
  }
  for (char c : value) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '-') {
      return InvalidField(path, "must hold only letters, digits, '_' and '-'");
    }
  }
  if (LooksLikeResidentNumber(value)) {
    return InvalidField(path,
                        "looks like a resident registration number; send the pseudonymous "
                        "researcher id the university assigned instead (the ledger never stores "
                        "resident registration numbers)");
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view path, absl::string_view value, bool required,
                       size_t length_max) {
  if (value.empty()) return required ? MissingField(path) : absl::OkStatus();
  if (value.size() > length_max) {
    return InvalidField(path, absl::StrCat("must be at most ", length_max, " bytes of UTF-8 (got ",
                                           value.size(), ")"));
  }
  if (value.find('\0') != absl::string_view::npos) {
    return InvalidField(path, "must not contain the NUL character");
  }
  if (!IsValidUtf8(value)) return InvalidField(path, "must be valid UTF-8 text");
  return absl::OkStatus();
}

// A participant's business registration number (business_registration.h).
absl::Status CheckParticipantId(absl::string_view path, absl::string_view value) {
  if (value.empty()) return MissingField(path);
  if (absl::Status s = CheckBusinessRegistrationNumber(value); !s.ok()) {
    return InvalidField(path, s.message());
  }
  return absl::OkStatus();
}

absl::Status CheckRegionCode(absl::string_view path, absl::string_view value) {
  if (value.empty()) return MissingField(path);
  if (FindRegion(value) == nullptr) {
    const Region* example = FindRegion(kRegionCodeExample);
    return InvalidField(
        path, absl::StrCat("must be the ISO 3166-2:KR code of one of Korea's ", kRegionCount,
                           " first-level divisions, e.g. ", example->code, " (", example->name_ko,
                           ") (got ", Quoted(value), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckAmountKrw(absl::string_view path, int64_t amount_krw) {
  if (amount_krw == 0) return MissingField(path);
  if (amount_krw < 0 || amount_krw > kAmountKrwMax) {
    return InvalidField(path, absl::StrCat("must be whole KRW from 1 to ", FormatKrw(kAmountKrwMax),
                                           " (got ", amount_krw, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckYear(absl::string_view path, int32_t year) {
  if (year == 0) return MissingField(path);
  if (year < kYearMin || year > kYearMax) {
    return InvalidField(path, absl::StrCat("must be a year from ", kYearMin, " to ", kYearMax,
                                           " (got ", year, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(absl::string_view path, bool present,
                            const google::protobuf::Timestamp& timestamp) {
  if (!present) return MissingField(path);
  if (timestamp.seconds() < kTimestampSecondsMin || timestamp.seconds() > kTimestampSecondsMax ||
      timestamp.nanos() < 0 || timestamp.nanos() > kTimestampNanosMax) {
    return InvalidField(path,
                        "must be a UTC time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z "
                        "with nanos from 0 to 999999999");
  }
  return absl::OkStatus();
}

absl::Status CheckMeta(bool present, const v1::CommandMeta& meta) {
  if (!present) return MissingField("meta.event_id");
  if (absl::Status s = CheckUuid("meta.event_id", meta.event_id()); !s.ok()) return s;
  const v1::ExpectedVersion& expected = meta.expected_version();
  if (!v1::ExpectedVersion::Kind_IsValid(expected.kind())) {
    return InvalidField("meta.expected_version.kind",
                        "must be KIND_ANY, KIND_NO_STREAM or KIND_EXACT");
  }
  if (expected.kind() == v1::ExpectedVersion::KIND_EXACT && expected.version() < 1) {
    return InvalidField("meta.expected_version.version",
                        "must be at least 1 with KIND_EXACT (a stream's first event is version "
                        "1); use KIND_NO_STREAM for a stream that must not exist yet");
  }
  return CheckText("meta.correlation_id", meta.correlation_id(), /*required=*/false,
                   kCorrelationIdMax);
}

}  // namespace alliance::domain
