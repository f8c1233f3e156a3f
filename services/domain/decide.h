// Decide: the program's rules (domain.md, "Business rules"). Each function
// takes the ledger state and a command that passed validate.h, and returns
// the event to append or a refusal (storage/refusal.h) with its reason:
//
//   EstablishProgram    ALREADY_EXISTS     PROGRAM_ALREADY_EXISTS
//   SelectConsortium    NOT_FOUND          PROGRAM_NOT_FOUND
//                       ALREADY_EXISTS     CONSORTIUM_ALREADY_SELECTED
//                       FAILED_PRECONDITION ROUND_OUTSIDE_PROGRAM_PERIOD,
//                         TERM_OUTSIDE_PROGRAM_PERIOD, LEAD_NOT_UNIVERSITY,
//                         TOO_FEW_MIDSIZED_ENTERPRISES, REGION_EXCLUDED,
//                         PROGRAM_BUDGET_EXHAUSTED
//   DesignateLab        NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       ALREADY_EXISTS     LAB_ALREADY_DESIGNATED
//                       FAILED_PRECONDITION LAB_UNIVERSITY_NOT_IN_CONSORTIUM
//   DisburseFunds       NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       ALREADY_EXISTS     PAYMENT_REFERENCE_ALREADY_USED
//                       FAILED_PRECONDITION PROGRAM_YEAR_OUTSIDE_TERM,
//                         ANNUAL_LIMIT_EXCEEDED, CONSORTIUM_LIMIT_EXCEEDED
//   DisburseFundsBatch  as DisburseFunds, for the first payment refused, with
//                         its index in the metadata (payment_index)
//   ReverseDisbursement NOT_FOUND          CONSORTIUM_NOT_FOUND,
//                                          DISBURSEMENT_NOT_FOUND
//                       FAILED_PRECONDITION DISBURSEMENT_ALREADY_REVERSED
//   RecordHire          NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       ALREADY_EXISTS     RESEARCHER_ALREADY_HIRED
//                       FAILED_PRECONDITION LAB_NOT_DESIGNATED,
//                         ENTERPRISE_NOT_IN_CONSORTIUM
// A refusal's message states the rule and the numbers ("2023 total would be
// 1,450,000,000 KRW, limit 1,380,000,000 KRW") and its metadata holds them.
// The rules that look up a rule index (payment references, reversals) fail
// UNAVAILABLE RULE_INDEX_UNAVAILABLE when the store cannot be read.
//
// Pure functions: no clock, no state of their own, no I/O but the reads of
// the committed rule index (LedgerState::committed).
#ifndef ALLIANCE_SERVICES_DOMAIN_DECIDE_H_
#define ALLIANCE_SERVICES_DOMAIN_DECIDE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

absl::StatusOr<v1::Event> DecideEstablishProgram(const LedgerState& state,
                                                 const v1::EstablishProgramRequest& request);
absl::StatusOr<v1::Event> DecideSelectConsortium(const LedgerState& state,
                                                 const v1::SelectConsortiumRequest& request);
absl::StatusOr<v1::Event> DecideDesignateLab(const LedgerState& state,
                                             const v1::DesignateLabRequest& request);
absl::StatusOr<v1::Event> DecideDisburseFunds(const LedgerState& state,
                                              const v1::DisburseFundsRequest& request);
// A payment run to one consortium: one FundsDisbursed per payment, in the
// request's order, each checked as DecideDisburseFunds checks one, against
// the totals as the payments before it in the request leave them. Refuses
// the whole request at the first payment refused, naming it (payment_index
// in the metadata, "payment <i> (disbursements[<i>])" in the message).
absl::StatusOr<std::vector<v1::Event>> DecideDisburseFundsBatch(
    const LedgerState& state, const v1::DisburseFundsBatchRequest& request);
// The DisbursementReversed copies year, amount and reference from the
// corrected FundsDisbursed.
absl::StatusOr<v1::Event> DecideReverseDisbursement(const LedgerState& state,
                                                    const v1::ReverseDisbursementRequest& request);
absl::StatusOr<v1::Event> DecideRecordHire(const LedgerState& state,
                                           const v1::RecordHireRequest& request);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_DECIDE_H_
