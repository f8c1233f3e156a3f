// Validation: the checks a command passes before it reaches the rules,
// needing no state. Each concept's Validate* function (program.h,
// selection.h, funding.h, researchers.h, oversight.h) returns OK or
// INVALID_ARGUMENT naming the first bad field by its path in the request
// (e.g. "disbursement.amount_krw"), with reason MISSING_FIELD or
// INVALID_FIELD (proto/errors/refusal.h). They run on the gRPC thread, so
// malformed input never occupies the ledger core's decider.
//
// This file holds the field checks every concept shares; each concept's
// header lists what else its commands check. What is checked here:
//   meta.event_id            a UUID in 8-4-4-4-12 hex form
//   corrects_event_id        an event id: a UUID, or "<uuid>#<i>" (event i >= 1
//                            of a multi-event command, no leading zeros)
//   meta.expected_version    kind known; version >= 1 when kind is EXACT
//   meta.correlation_id      at most kCorrelationIdMax characters
//   ids (program, consortium, lab)
//                            kIdPattern: [a-z0-9][a-z0-9-]*, 1..kIdLengthMax
//   participant ids          participants[].participant_id,
//                            lead_participant_id, university_participant_id,
//                            enterprise_participant_id,
//                            joining.participant.participant_id and
//                            WithdrawParticipant's participant_id: a business
//                            registration number, 10 digits, no dashes, with
//                            its check digit (business_registration.h)
//   researcher_id            1..kIdLengthMax of [A-Za-z0-9_-], and not shaped
//                            like a resident registration number (rule 7)
//   names and texts          non-empty where required, valid UTF-8, at most
//                            kTextLengthMax bytes, no '\0'
//   region codes             the ISO 3166-2:KR code of one of Korea's
//                            kRegionCount first-level divisions (regions.h)
//   amounts                  > 0, at most kAmountKrwMax
//   years                    kYearMin..kYearMax
//   occurred_at              present, a valid UTC timestamp
//   enums                    not UNSPECIFIED, known values
//
// Fields of a request that carries an event message are named under it
// ("round.slots", "joining.participant.role"); flat requests name the field
// alone ("grant_krw", "reason"). Each check takes the path to name.
#ifndef ALLIANCE_SERVICES_DOMAIN_VALIDATION_H_
#define ALLIANCE_SERVICES_DOMAIN_VALIDATION_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "alliance/v1/types.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace alliance::domain {

inline constexpr size_t kIdLengthMax = 64;
inline constexpr size_t kTextLengthMax = 256;
inline constexpr size_t kCorrelationIdMax = 128;
// Participants one consortium may list (selection.h), and so the most
// mid-sized enterprises a program may require of one (program.h).
inline constexpr size_t kParticipantsMax = 32;
inline constexpr int kYearMin = 2000;
inline constexpr int kYearMax = 2100;
// The largest amount or limit accepted, in KRW: 10^15, far above any real
// program, and small enough that the sum of thousands of them still fits in
// an int64 (whose maximum is about 9.2 x 10^18).
inline constexpr int64_t kAmountKrwMax = 1'000'000'000'000'000;
// Payments one DisburseFundsBatch may carry (funding.h): a payment run is
// hundreds, and each becomes one event of one command, so this must not
// exceed kCommandEventsMax (commands.h; commands.cc asserts it). Here, not in
// funding.h, because it also bounds the "#<i>" of every event id.
inline constexpr size_t kBatchDisbursementsMax = 1000;

// Every request's meta: present, with its event_id, expected_version and
// correlation_id as the table above says.
absl::Status CheckMeta(bool present, const v1::CommandMeta& meta);

// The field at `path` holds `value`, of the shape the table above gives
// its kind.
absl::Status CheckEventId(absl::string_view path, absl::string_view value);
absl::Status CheckId(absl::string_view path, absl::string_view value);
absl::Status CheckResearcherId(absl::string_view path, absl::string_view value);
absl::Status CheckParticipantId(absl::string_view path, absl::string_view value);
absl::Status CheckRegionCode(absl::string_view path, absl::string_view value);
absl::Status CheckText(absl::string_view path, absl::string_view value, bool required,
                       size_t length_max = kTextLengthMax);
absl::Status CheckAmountKrw(absl::string_view path, int64_t amount_krw);
absl::Status CheckYear(absl::string_view path, int32_t year);
absl::Status CheckTimestamp(absl::string_view path, bool present,
                            const google::protobuf::Timestamp& timestamp);

// A request that corrects an earlier event by naming it and saying why
// (ReverseDisbursement, RetractResearcherStep): meta, consortium_id,
// corrects_event_id, reason (required) and occurred_at, checked in that order.
template <typename Request>
absl::Status CheckCorrection(const Request& request) {
  if (absl::Status s = CheckMeta(request.has_meta(), request.meta()); !s.ok()) return s;
  if (absl::Status s = CheckId("consortium_id", request.consortium_id()); !s.ok()) return s;
  if (absl::Status s = CheckEventId("corrects_event_id", request.corrects_event_id()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckText("reason", request.reason(), /*required=*/true); !s.ok()) return s;
  return CheckTimestamp("occurred_at", request.has_occurred_at(), request.occurred_at());
}

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_VALIDATION_H_
