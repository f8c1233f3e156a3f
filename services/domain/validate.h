// Validate: the checks a command passes before it reaches the rules, needing
// no state. Each returns OK or INVALID_ARGUMENT naming the first bad field by
// its path in the request (e.g. "disbursement.amount_krw"), with reason
// MISSING_FIELD or INVALID_FIELD (storage/refusal.h). They run on the gRPC
// thread, so malformed input never occupies the appender.
//
// What is checked:
//   meta.event_id            a UUID in 8-4-4-4-12 hex form
//   corrects_event_id        an event id: a UUID, or "<uuid>#<i>" (event i >= 1
//                            of a multi-event command, no leading zeros)
//   meta.expected_version    kind known; version >= 1 when kind is EXACT
//   meta.correlation_id      at most kCorrelationIdMax characters
//   ids (program, consortium, participant, lab)
//                            kIdPattern: [a-z0-9][a-z0-9-]*, 1..kIdLengthMax
//   researcher_id            1..kIdLengthMax of [A-Za-z0-9_-], and not shaped
//                            like a resident registration number (rule 7)
//   names and texts          non-empty where required, valid UTF-8, at most
//                            kTextLengthMax bytes, no '\0'
//   region_code              "KR-" and two digits (ISO 3166-2:KR)
//   amounts                  > 0 (and rules' limits > 0, consistent)
//   years                    kYearMin..kYearMax
//   occurred_at              present, a valid UTC timestamp
//   enums                    not UNSPECIFIED, known values
//   participants             at most kParticipantsMax, ids unique, lead among them
//   disbursements (a batch)  1..kBatchDisbursementsMax, each as a single
//                            disbursement, one consortium_id, references unique
#ifndef ALLIANCE_SERVICES_DOMAIN_VALIDATE_H_
#define ALLIANCE_SERVICES_DOMAIN_VALIDATE_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "alliance/v1/commands.pb.h"

namespace alliance::domain {

inline constexpr size_t kIdLengthMax = 64;
inline constexpr size_t kTextLengthMax = 256;
inline constexpr size_t kCorrelationIdMax = 128;
inline constexpr size_t kParticipantsMax = 32;
inline constexpr int kYearMin = 2000;
inline constexpr int kYearMax = 2100;
// The largest amount or limit accepted, in KRW: 10^15, far above any real
// program, and small enough that the sum of thousands of them still fits in
// an int64 (whose maximum is about 9.2 x 10^18).
inline constexpr int64_t kAmountKrwMax = 1'000'000'000'000'000;
// Payments one DisburseFundsBatch may carry: a payment run is hundreds, and
// each becomes one event of one command, so this must not exceed the
// appender's storage::kCommandEventsMax (services/command_service.cc
// asserts it; the domain does not depend on storage).
inline constexpr size_t kBatchDisbursementsMax = 1000;

absl::Status ValidateEstablishProgram(const v1::EstablishProgramRequest& request);
absl::Status ValidateSelectConsortium(const v1::SelectConsortiumRequest& request);
absl::Status ValidateDesignateLab(const v1::DesignateLabRequest& request);
absl::Status ValidateDisburseFunds(const v1::DisburseFundsRequest& request);
absl::Status ValidateDisburseFundsBatch(const v1::DisburseFundsBatchRequest& request);
absl::Status ValidateReverseDisbursement(const v1::ReverseDisbursementRequest& request);
absl::Status ValidateRecordHire(const v1::RecordHireRequest& request);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_VALIDATE_H_
