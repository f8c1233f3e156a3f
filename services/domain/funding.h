// Funding: each year of a consortium's term is paid against an agreement
// signed for it (its grant, amended as the year goes), within the annual
// and the consortium limit (rule 3); a payment made by mistake is reversed,
// never deleted (rule 6).
//
// Validation (validation.h's field checks, and):
//   amounts                  a grant (grant_krw) is an amount
//   years                    program_year a year
//   payment_reference        required, at most 128 bytes
//   disbursements (a batch)  1..kBatchDisbursementsMax, each as a single
//                            disbursement, one consortium_id, references unique
//   corrects_event_id        an event id (validation.h); the rules find the
//                            disbursement it names
//   reason                   required to reverse and to amend
//
// Rules (rules.h), the refusals in the order they are checked:
//   SignAgreement       NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       FAILED_PRECONDITION CONSORTIUM_NOT_ACTIVE,
//                         PROGRAM_YEAR_OUTSIDE_TERM
//                       ALREADY_EXISTS     AGREEMENT_ALREADY_SIGNED (amend it)
//                       FAILED_PRECONDITION GRANT_OVER_ANNUAL_LIMIT,
//                         GRANT_OVER_CONSORTIUM_LIMIT (grants of all years)
//   AmendAgreement      NOT_FOUND          CONSORTIUM_NOT_FOUND,
//                                          AGREEMENT_NOT_FOUND
//                       FAILED_PRECONDITION CONSORTIUM_CLOSED,
//                         CONSORTIUM_NOT_ACTIVE (a grant goes up only for an
//                         active consortium; it may go down in any state),
//                         GRANT_BELOW_DISBURSED, GRANT_OVER_ANNUAL_LIMIT,
//                         GRANT_OVER_CONSORTIUM_LIMIT
//   DisburseFunds       NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       ALREADY_EXISTS     PAYMENT_REFERENCE_ALREADY_USED
//                       FAILED_PRECONDITION PROGRAM_YEAR_OUTSIDE_TERM,
//                         CONSORTIUM_NOT_ACTIVE (suspended, terminated or
//                         completed), NO_AGREEMENT_FOR_YEAR,
//                         ANNUAL_LIMIT_EXCEEDED, CONSORTIUM_LIMIT_EXCEEDED,
//                         COMMITMENT_EXCEEDED (over the year's grant)
//   DisburseFundsBatch  as DisburseFunds, for the first payment refused, with
//                         its index in the metadata (payment_index)
//   ReverseDisbursement NOT_FOUND          CONSORTIUM_NOT_FOUND,
//                                          DISBURSEMENT_NOT_FOUND
//                       FAILED_PRECONDITION DISBURSEMENT_ALREADY_REVERSED
// The rules that look up a rule index (payment references, reversals) fail
// UNAVAILABLE RULE_INDEX_UNAVAILABLE when the store cannot be read.
#ifndef ALLIANCE_SERVICES_DOMAIN_FUNDING_H_
#define ALLIANCE_SERVICES_DOMAIN_FUNDING_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "services/domain/commands.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

absl::Status ValidateSignAgreement(const v1::SignAgreementRequest& request);
absl::Status ValidateAmendAgreement(const v1::AmendAgreementRequest& request);
absl::Status ValidateDisburseFunds(const v1::DisburseFundsRequest& request);
absl::Status ValidateDisburseFundsBatch(const v1::DisburseFundsBatchRequest& request);
absl::Status ValidateReverseDisbursement(const v1::ReverseDisbursementRequest& request);

absl::StatusOr<v1::Event> DecideSignAgreement(const LedgerState& state,
                                              const v1::SignAgreementRequest& request);
// The AgreementAmended names the year's agreement event in effect and the
// grant before.
absl::StatusOr<v1::Event> DecideAmendAgreement(const LedgerState& state,
                                               const v1::AmendAgreementRequest& request);
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

// The rows of SignAgreement, AmendAgreement, DisburseFunds,
// DisburseFundsBatch, ReverseDisbursement.
const std::vector<CommandSpec>& FundingCommands();

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_FUNDING_H_
