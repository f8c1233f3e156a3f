// Decide (being split by concept into program.h, selection.h, funding.h,
// researchers.h and oversight.h, with the helpers they share in rules.h;
// this header declares the commands not moved yet and includes those
// moved): the program's rules (domain.md, "Business rules"). Each function
// takes the ledger state and a command that passed validate.h, and returns
// the event to append or a refusal (proto/errors/refusal.h) with its reason. The
// reasons, by command, in the order they are checked:
//
//   DesignateLab        NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       FAILED_PRECONDITION CONSORTIUM_CLOSED (terminated or
//                         completed)
//                       ALREADY_EXISTS     LAB_ALREADY_DESIGNATED
//                       FAILED_PRECONDITION LAB_UNIVERSITY_NOT_IN_CONSORTIUM
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
//   EnrolResearcher     NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       FAILED_PRECONDITION CONSORTIUM_NOT_ACTIVE
//                       ALREADY_EXISTS     RESEARCHER_ALREADY_ENROLLED (the id
//                         is taken in the consortium, unless its enrolment
//                         was retracted)
//                       FAILED_PRECONDITION LAB_NOT_DESIGNATED
//   RecordGraduation    NOT_FOUND          CONSORTIUM_NOT_FOUND,
//                                          RESEARCHER_NOT_FOUND
//                       FAILED_PRECONDITION RESEARCHER_ALREADY_GRADUATED,
//                         RESEARCHER_NOT_STUDYING (left the enterprise),
//                         STEP_BEFORE_PREVIOUS_STEP
//   RecordHire          NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       ALREADY_EXISTS     RESEARCHER_ALREADY_HIRED
//                       FAILED_PRECONDITION LAB_NOT_DESIGNATED,
//                         RESEARCHER_NOT_ENROLLED, RESEARCHER_NOT_IN_LAB,
//                         DEGREE_DOES_NOT_MATCH_RECORD (graduated: the
//                         degree; studying: the track's candidate degree),
//                         ENTERPRISE_NOT_IN_CONSORTIUM (a current mid-sized
//                         member), STEP_BEFORE_PREVIOUS_STEP
//   RecordDeparture     NOT_FOUND          CONSORTIUM_NOT_FOUND,
//                                          RESEARCHER_NOT_FOUND
//                       FAILED_PRECONDITION RESEARCHER_NOT_HIRED,
//                         STEP_BEFORE_PREVIOUS_STEP
//   RetractResearcherStep NOT_FOUND        CONSORTIUM_NOT_FOUND,
//                                          RESEARCHER_STEP_NOT_FOUND
//                       FAILED_PRECONDITION STEP_ALREADY_RETRACTED,
//                         STEP_NOT_LATEST (retract the later steps first)
//   RecordEvaluation    NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       FAILED_PRECONDITION PROGRAM_YEAR_OUTSIDE_TERM
//                       ALREADY_EXISTS     EVALUATION_ALREADY_RECORDED
//                         (correct it instead)
//   CorrectEvaluation   NOT_FOUND          CONSORTIUM_NOT_FOUND,
//                                          EVALUATION_NOT_FOUND (not the
//                                          event in effect of any year)
//   SuspendConsortium   NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       FAILED_PRECONDITION CONSORTIUM_NOT_ACTIVE
//   ResumeConsortium    ...                CONSORTIUM_NOT_SUSPENDED
//   TerminateConsortium ...                CONSORTIUM_CLOSED
//   CompleteConsortium  ...                CONSORTIUM_NOT_ACTIVE, TERM_NOT_OVER
//                         (before the term's last year)
// After these, every event decided is checked for its business date
// (business_dates.h: OCCURRED_IN_FUTURE, OCCURRED_BEFORE_PROGRAM,
// OCCURRED_BEFORE_SELECTION); the command table (commands.h) runs both.
// A refusal's message states the rule and the numbers ("2023 total would be
// 1,450,000,000 KRW, limit 1,380,000,000 KRW") and its metadata holds them.
// The rules that look up a rule index (payment references, reversals) fail
// UNAVAILABLE RULE_INDEX_UNAVAILABLE when the store cannot be read.
//
// Where a command names a participant (lead, lab host, hiring enterprise),
// it must be a current member: a withdrawn one no longer counts.
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
#include "services/domain/program.h"
#include "services/domain/selection.h"

namespace alliance::domain {

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
absl::StatusOr<v1::Event> DecideSignAgreement(const LedgerState& state,
                                              const v1::SignAgreementRequest& request);
// The AgreementAmended names the year's agreement event in effect and the
// grant before.
absl::StatusOr<v1::Event> DecideAmendAgreement(const LedgerState& state,
                                               const v1::AmendAgreementRequest& request);
absl::StatusOr<v1::Event> DecideEnrolResearcher(const LedgerState& state,
                                                const v1::EnrolResearcherRequest& request);
// The degree is the track's: DEGREE_MASTERS or DEGREE_PHD.
absl::StatusOr<v1::Event> DecideRecordGraduation(const LedgerState& state,
                                                 const v1::RecordGraduationRequest& request);
absl::StatusOr<v1::Event> DecideRecordDeparture(const LedgerState& state,
                                                const v1::RecordDepartureRequest& request);
absl::StatusOr<v1::Event> DecideRetractResearcherStep(
    const LedgerState& state, const v1::RetractResearcherStepRequest& request);
absl::StatusOr<v1::Event> DecideRecordEvaluation(const LedgerState& state,
                                                 const v1::RecordEvaluationRequest& request);
absl::StatusOr<v1::Event> DecideCorrectEvaluation(const LedgerState& state,
                                                  const v1::CorrectEvaluationRequest& request);
absl::StatusOr<v1::Event> DecideSuspendConsortium(const LedgerState& state,
                                                  const v1::ChangeConsortiumStateRequest& request);
absl::StatusOr<v1::Event> DecideResumeConsortium(const LedgerState& state,
                                                 const v1::ChangeConsortiumStateRequest& request);
absl::StatusOr<v1::Event> DecideTerminateConsortium(
    const LedgerState& state, const v1::ChangeConsortiumStateRequest& request);
absl::StatusOr<v1::Event> DecideCompleteConsortium(const LedgerState& state,
                                                   const v1::ChangeConsortiumStateRequest& request);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_DECIDE_H_
