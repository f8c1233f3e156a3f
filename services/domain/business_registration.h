// Business registration numbers (사업자등록번호): how the agencies identify an
// organisation taking part in the program, and what Participant.participant_id
// holds (types.proto). A university or local government has a tax 고유번호
// of the same form, so one check serves every participant.
//
// The number is 10 ASCII digits, written here without the dashes of its
// printed form "312-81-95582". The tenth digit is a check digit over the
// first nine, which catches a single mistyped digit:
//
//   absl::Status s = CheckBusinessRegistrationNumber("3128195582");  // OK
//   s = CheckBusinessRegistrationNumber("3128195583");
//   // INVALID_ARGUMENT "check digit is 3, but the first nine digits give 2;
//   // check for a mistyped digit"
//
// The check says nothing about whether the number was ever issued; only the
// National Tax Service knows that.
#ifndef ALLIANCE_SERVICES_DOMAIN_BUSINESS_REGISTRATION_H_
#define ALLIANCE_SERVICES_DOMAIN_BUSINESS_REGISTRATION_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace alliance::domain {

inline constexpr size_t kBusinessRegistrationDigits = 10;
// A valid number, quoted in messages so the caller sees the expected form.
inline constexpr absl::string_view kBusinessRegistrationExample = "3128195582";

// The check digit (0..9) of a number whose first nine digits are
// `first_nine`: d1..d9 times the weights 1,3,7,1,3,7,1,3,5, summed, plus
// floor(d9 * 5 / 10); the check digit is (10 - sum % 10) % 10.
// REQUIRES: first_nine is exactly 9 ASCII digits.
int BusinessRegistrationCheckDigit(absl::string_view first_nine);

// OK when `number` is kBusinessRegistrationDigits ASCII digits whose last is
// the check digit of the first nine. Otherwise INVALID_ARGUMENT whose message
// says what is wrong in words the caller can act on (dashes, a wrong length,
// a non-digit, a wrong check digit), written to follow a field name as
// InvalidField (proto/errors/refusal.h) puts it: "<field>: <message>". The status
// carries no field and no refusal details: the caller that knows the field
// wraps the message.
absl::Status CheckBusinessRegistrationNumber(absl::string_view number);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_BUSINESS_REGISTRATION_H_
