// TestParticipantId: a valid business registration number for a name, so a
// test can say which organisation it means ("conex") and still send the
// 10-digit participant id the API requires (types.proto, Participant).
//
//   Member(TestParticipantId("conex"), "주식회사 코넥", PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
//
// The same name always gives the same number (FNV-1a of the name, reduced
// to nine digits, then the check digit), in every test and every run.
// Different names almost surely give different numbers; validation_test
// checks it for the names the tests use. The numbers are made up: any that
// matches a real organisation's does so by chance.
#ifndef ALLIANCE_TESTS_SUPPORT_TEST_PARTICIPANT_ID_H_
#define ALLIANCE_TESTS_SUPPORT_TEST_PARTICIPANT_ID_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "services/domain/business_registration.h"

namespace alliance::testing {

inline std::string TestParticipantId(absl::string_view name) {
  constexpr uint64_t kFnvOffsetBasis = 14'695'981'039'346'656'037u;
  constexpr uint64_t kFnvPrime = 1'099'511'628'211u;
  constexpr uint64_t kNineDigits = 1'000'000'000u;
  uint64_t hash = kFnvOffsetBasis;
  for (char c : name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  const std::string first_nine = absl::StrFormat("%09d", hash % kNineDigits);
  return absl::StrFormat("%s%d", first_nine, domain::BusinessRegistrationCheckDigit(first_nine));
}

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SUPPORT_TEST_PARTICIPANT_ID_H_
