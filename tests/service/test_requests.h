// Requests of the 2023 Alliance program (domain.md, "The 2023 consortia") and
// readers of the refusal details a gRPC status carries. Needs only the
// generated protos, so that the process test (which must not link
// alliance_services) can use it too.
//
//   v1::EstablishProgramRequest program = Program2023Request();
//   v1::SelectConsortiumRequest chungnam = SelectionRequest(kChungnam);
//   grpc::Status status = stub->DisburseFunds(&context, request, &result);
//   EXPECT_EQ(ReasonOf(status), "ANNUAL_LIMIT_EXCEEDED");
#ifndef ALLIANCE_TESTS_SERVICE_TEST_REQUESTS_H_
#define ALLIANCE_TESTS_SERVICE_TEST_REQUESTS_H_

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "alliance/v1/types.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "tests/support/test_participant_id.h"

namespace alliance::testing {

// The 2023 program and its rules.
inline constexpr char kProgramId[] = "alliance-2023";
inline constexpr int32_t kFirstYear = 2023;
inline constexpr int32_t kLastYear = 2028;
inline constexpr int64_t kTotalBudgetKrw = 41'400'000'000;
inline constexpr int64_t kConsortiumLimitKrw = 6'900'000'000;
inline constexpr int64_t kAnnualLimitKrw = 1'380'000'000;
inline constexpr int32_t kTermYears = 5;
inline constexpr int32_t kMinMidsized = 2;
inline constexpr int32_t kHiringTarget = 30;

// The three 2023 consortia.
inline constexpr char kChungnam[] = "chungnam-future-vehicles";
inline constexpr char kGyeongnam[] = "gyeongnam-metal-3d-printing";
inline constexpr char kUlsan[] = "ulsan-secondary-batteries";

// Their innovation labs (ids are illustrative, as in clients/seed).
inline constexpr char kChungnamLab[] = "kongju-future-vehicle-lab";
inline constexpr char kGyeongnamLab[] = "changwon-metal-3d-printing-lab";
inline constexpr char kUlsanLab[] = "ulsan-secondary-battery-lab";

// Who the fixture's default channel is, and what its events record
// (deploy/identities.textpb).
inline constexpr char kAgency[] = "KIAT";
inline constexpr char kPrincipal[] = "kiat";

// A fresh random (version 4) UUID in lowercase 8-4-4-4-12 form. Thread-safe.
std::string NewEventId();

google::protobuf::Timestamp Timestamp(int64_t unix_seconds);
// 2023-01-01T00:00:00Z, 2023-04-28T00:00:00Z, 2023-05-25T05:00:00Z.
inline constexpr int64_t kEstablishedAt = 1'672'531'200;
inline constexpr int64_t kSelectedAt = 1'682'640'000;
inline constexpr int64_t kLabsDesignatedAt = 1'684'990'800;
// 2024-03-01T00:00:00Z: when the tests' hires and payments happen.
inline constexpr int64_t kLaterIn2024 = 1'709'251'200;

// 2023-09-01T00:00:00Z: when the tests' researchers enrol.
inline constexpr int64_t kEnrolledAt = 1'693'526'400;

// The participant id (a valid business registration number) of the
// organisation the test calls `name` ("conex", "kongju-univ", ...).
inline std::string Pid(absl::string_view name) { return TestParticipantId(name); }

// A meta with a fresh event id (expected version ANY).
v1::CommandMeta NewMeta();

v1::ProgramRules Rules2023();
// EstablishProgram for "alliance-2023" with the 2023 rules.
v1::EstablishProgramRequest Program2023Request();
// A later, smaller program (2025..2027, three-year terms) whose consortium
// limit (3.0 billion) is below its term times its annual limit (1.2
// billion): the grants of all years can pass the consortium limit with each
// under the annual one.
v1::ProgramRules Rules2025();
// EstablishProgram for another program id with the given rules.
v1::EstablishProgramRequest ProgramRequest(const std::string& program_id,
                                           const v1::ProgramRules& rules);

v1::Participant MakeParticipant(const std::string& id, const std::string& name_ko,
                                const std::string& name_en, v1::ParticipantRole role);

// SelectConsortium for one of kChungnam, kGyeongnam, kUlsan (into
// "alliance-2023", round 2023, with every participant of the release).
v1::SelectConsortiumRequest SelectionRequest(const std::string& consortium_id);
// The three of them, in the order above.
std::vector<v1::SelectConsortiumRequest> Consortia2023Requests();
// A valid selection of a made-up consortium: `region_code` (one of the 17,
// with its official name; "" for a code that is not), a lead university
// Pid("<consortium_id>-univ") and two mid-sized enterprises
// Pid("<consortium_id>-ent-1") and Pid("<consortium_id>-ent-2").
v1::SelectConsortiumRequest OtherSelectionRequest(const std::string& consortium_id,
                                                  const std::string& program_id, int32_t round_year,
                                                  const std::string& region_code);

// DesignateLab of the consortium's lab, hosted by its lead university.
v1::DesignateLabRequest LabRequest(const std::string& consortium_id);
v1::DesignateLabRequest LabRequest(const std::string& consortium_id, const std::string& lab_id,
                                   const std::string& university_participant_id);
// The lab id LabRequest(consortium_id) designates.
std::string LabIdOf(const std::string& consortium_id);

v1::DisburseFundsRequest DisburseRequest(const std::string& consortium_id, int32_t program_year,
                                         int64_t amount_krw, const std::string& payment_reference);
// With a fresh unique payment reference.
v1::DisburseFundsRequest DisburseRequest(const std::string& consortium_id, int32_t program_year,
                                         int64_t amount_krw);

// A payment run to one consortium: payment i pays amounts_krw[i] for
// `program_year` under reference "<reference_prefix>-<i>".
v1::DisburseFundsBatchRequest DisburseBatchRequest(const std::string& consortium_id,
                                                   int32_t program_year,
                                                   const std::vector<int64_t>& amounts_krw,
                                                   const std::string& reference_prefix);

v1::ReverseDisbursementRequest ReverseRequest(const std::string& consortium_id,
                                              const std::string& corrects_event_id,
                                              const std::string& reason = "paid twice by mistake");

// The default degree is that of a PhD-track researcher not yet graduated,
// as EnrolRequest enrols one.
v1::RecordHireRequest HireRequest(const std::string& consortium_id,
                                  const std::string& researcher_id, const std::string& lab_id,
                                  const std::string& enterprise_participant_id,
                                  v1::Degree degree = v1::DEGREE_PHD_CANDIDATE);

// The lifecycle's commands, with a fresh meta each.
v1::OpenSelectionRoundRequest RoundRequest(int32_t round_year, int32_t slots,
                                           const std::string& program_id = kProgramId);
// The year's agreement at `grant_krw` (the annual limit by default).
v1::SignAgreementRequest AgreementRequest(const std::string& consortium_id, int32_t program_year,
                                          int64_t grant_krw = kAnnualLimitKrw);
v1::AmendAgreementRequest AmendRequest(const std::string& consortium_id, int32_t program_year,
                                       int64_t grant_krw);
v1::JoinConsortiumRequest JoinRequest(const std::string& consortium_id,
                                      const v1::Participant& participant);
v1::WithdrawParticipantRequest WithdrawRequest(const std::string& consortium_id,
                                               const std::string& participant_id);
// Enrolled at kEnrolledAt unless `at` (unix seconds) says otherwise.
v1::EnrolResearcherRequest EnrolRequest(const std::string& consortium_id,
                                        const std::string& researcher_id, const std::string& lab_id,
                                        v1::DegreeTrack track = v1::DEGREE_TRACK_PHD,
                                        int64_t at = kEnrolledAt);
v1::RecordGraduationRequest GraduationRequest(const std::string& consortium_id,
                                              const std::string& researcher_id, int64_t at);
v1::RecordDepartureRequest DepartureRequest(const std::string& consortium_id,
                                            const std::string& researcher_id, int64_t at);
v1::RetractResearcherStepRequest RetractStepRequest(const std::string& consortium_id,
                                                    const std::string& corrects_event_id);
v1::RecordEvaluationRequest EvaluationRequest(const std::string& consortium_id,
                                              int32_t program_year, v1::EvaluationGrade grade,
                                              int32_t score);
v1::CorrectEvaluationRequest CorrectEvaluationRequest(const std::string& consortium_id,
                                                      const std::string& corrects_event_id,
                                                      v1::EvaluationGrade grade, int32_t score);
// Suspend, resume, terminate or complete (the RPC says which).
v1::ChangeConsortiumStateRequest StateRequest(const std::string& consortium_id,
                                              const std::string& reason, int64_t at);

// Give-up bounds of a test's calls: one call, and one that reads or folds
// a long log (an audit stream, an as-of query over thousands of events).
inline constexpr std::chrono::seconds kCallDeadline{5};
inline constexpr std::chrono::seconds kLongCallDeadline{60};

// A client context with a kCallDeadline deadline. (Who calls is the
// channel's client certificate: ServerTest::ChannelAs.)
std::unique_ptr<grpc::ClientContext> NewContext();
// Sets `context`'s deadline `after` from now.
void SetDeadline(grpc::ClientContext* context, std::chrono::seconds after = kCallDeadline);

// The refusal details of a status: ErrorInfo.reason ("" when none),
// ErrorInfo.metadata, ErrorInfo.domain, and BadRequest.field_violations[0].field
// ("" when none).
std::string ReasonOf(const grpc::Status& status);
std::map<std::string, std::string> MetadataOf(const grpc::Status& status);
std::string DomainOf(const grpc::Status& status);
std::string FieldOf(const grpc::Status& status);

// "CODE: message [reason]", for assertion messages.
std::string Describe(const grpc::Status& status);

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SERVICE_TEST_REQUESTS_H_
