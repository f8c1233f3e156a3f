// Labs and researchers: a university of a consortium hosts its designated
// innovation labs (rule 4); researchers enrol in a lab, graduate, are hired
// by a mid-sized enterprise of the consortium and may leave it (rule 5).
// A step recorded by mistake is retracted, latest first, never deleted.
//
// Validation (validation.h's field checks, researcher_id among them, and):
//   degree, track            not UNSPECIFIED, known values (hire.degree,
//                            enrolment.track)
//   corrects_event_id        an event id (validation.h); the rules find the
//                            researcher's step it names
//   reason                   required to retract; optional (but checked as
//                            text) to record a departure
//
// Rules (rules.h), the refusals in the order they are checked:
//   DesignateLab        NOT_FOUND          CONSORTIUM_NOT_FOUND
//                       FAILED_PRECONDITION CONSORTIUM_CLOSED (terminated or
//                         completed)
//                       ALREADY_EXISTS     LAB_ALREADY_DESIGNATED
//                       FAILED_PRECONDITION LAB_UNIVERSITY_NOT_IN_CONSORTIUM
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
#ifndef ALLIANCE_SERVICES_DOMAIN_RESEARCHERS_H_
#define ALLIANCE_SERVICES_DOMAIN_RESEARCHERS_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "services/domain/commands.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

absl::Status ValidateDesignateLab(const v1::DesignateLabRequest& request);
absl::Status ValidateEnrolResearcher(const v1::EnrolResearcherRequest& request);
absl::Status ValidateRecordGraduation(const v1::RecordGraduationRequest& request);
absl::Status ValidateRecordHire(const v1::RecordHireRequest& request);
absl::Status ValidateRecordDeparture(const v1::RecordDepartureRequest& request);
absl::Status ValidateRetractResearcherStep(const v1::RetractResearcherStepRequest& request);

absl::StatusOr<v1::Event> DecideDesignateLab(const LedgerState& state,
                                             const v1::DesignateLabRequest& request);
absl::StatusOr<v1::Event> DecideEnrolResearcher(const LedgerState& state,
                                                const v1::EnrolResearcherRequest& request);
// The degree is the track's: DEGREE_MASTERS or DEGREE_PHD.
absl::StatusOr<v1::Event> DecideRecordGraduation(const LedgerState& state,
                                                 const v1::RecordGraduationRequest& request);
absl::StatusOr<v1::Event> DecideRecordHire(const LedgerState& state,
                                           const v1::RecordHireRequest& request);
absl::StatusOr<v1::Event> DecideRecordDeparture(const LedgerState& state,
                                                const v1::RecordDepartureRequest& request);
absl::StatusOr<v1::Event> DecideRetractResearcherStep(
    const LedgerState& state, const v1::RetractResearcherStepRequest& request);

// The rows of DesignateLab, EnrolResearcher, RecordGraduation, RecordHire,
// RecordDeparture, RetractResearcherStep.
const std::vector<CommandSpec>& ResearcherCommands();

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_RESEARCHERS_H_
