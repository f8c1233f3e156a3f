#include "services/domain/commands.h"

#include <cassert>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "google/protobuf/descriptor.h"
#include "services/domain/business_dates.h"
#include "services/domain/funding.h"
#include "services/domain/oversight.h"
#include "services/domain/program.h"
#include "services/domain/researchers.h"
#include "services/domain/selection.h"
#include "services/domain/streams.h"
#include "services/domain/validation.h"

namespace alliance::domain {
namespace {

// A payment run is one command, so it must fit in one command's events.
static_assert(kBatchDisbursementsMax <= kCommandEventsMax,
              "a DisburseFundsBatch must fit in one command's events");

std::vector<v1::Event> AsEvents(v1::Event event) {
  std::vector<v1::Event> events;
  events.push_back(std::move(event));
  return events;
}
absl::StatusOr<std::vector<v1::Event>> AsEvents(absl::StatusOr<v1::Event> event) {
  if (!event.ok()) return event.status();
  return AsEvents(*std::move(event));
}
absl::StatusOr<std::vector<v1::Event>> AsEvents(absl::StatusOr<std::vector<v1::Event>> events) {
  return events;
}

// The command's rules, then the business date of each event it decided.
template <typename Request, auto Decide>
absl::StatusOr<std::vector<v1::Event>> DecideDated(const LedgerState& state, const Request& request,
                                                   absl::Time now) {
  absl::StatusOr<std::vector<v1::Event>> events = AsEvents(Decide(state, request));
  if (!events.ok()) return events;
  for (const v1::Event& event : *events) {
    if (absl::Status dated = CheckBusinessDate(state, event, now); !dated.ok()) return dated;
  }
  return events;
}

// One row: the typed functions behind the table's Message-typed pointers.
template <typename Request, std::string (*Stream)(const Request&),
          absl::Status (*Validate)(const Request&), auto Decide>
CommandSpec Row(absl::string_view name) {
  return CommandSpec{
      name,
      Request::descriptor(),
      [](const google::protobuf::Message& request) -> const v1::CommandMeta& {
        return static_cast<const Request&>(request).meta();
      },
      [](google::protobuf::Message* request) {
        return static_cast<Request*>(request)->mutable_meta();
      },
      [](const google::protobuf::Message& request) {
        return Stream(static_cast<const Request&>(request));
      },
      [](const google::protobuf::Message& request) {
        return Validate(static_cast<const Request&>(request));
      },
      [](const LedgerState& state, const google::protobuf::Message& request, absl::Time now) {
        return DecideDated<Request, Decide>(state, static_cast<const Request&>(request), now);
      },
  };
}

std::string EstablishProgramStream(const v1::EstablishProgramRequest& r) {
  return ProgramStreamId(r.program().program_id());
}
std::string OpenSelectionRoundStream(const v1::OpenSelectionRoundRequest& r) {
  return ProgramStreamId(r.round().program_id());
}
std::string SelectConsortiumStream(const v1::SelectConsortiumRequest& r) {
  return ConsortiumStreamId(r.selection().consortium_id());
}
std::string JoinConsortiumStream(const v1::JoinConsortiumRequest& r) {
  return ConsortiumStreamId(r.joining().consortium_id());
}
std::string DesignateLabStream(const v1::DesignateLabRequest& r) {
  return ConsortiumStreamId(r.designation().consortium_id());
}
std::string SignAgreementStream(const v1::SignAgreementRequest& r) {
  return ConsortiumStreamId(r.agreement().consortium_id());
}
std::string DisburseFundsStream(const v1::DisburseFundsRequest& r) {
  return ConsortiumStreamId(r.disbursement().consortium_id());
}
// An empty run has no stream; validation refuses it before the stream is used.
std::string DisburseFundsBatchStream(const v1::DisburseFundsBatchRequest& r) {
  if (r.disbursements().empty()) return "";
  return ConsortiumStreamId(r.disbursements(0).consortium_id());
}
std::string RecordHireStream(const v1::RecordHireRequest& r) {
  return ConsortiumStreamId(r.hire().consortium_id());
}
std::string EnrolResearcherStream(const v1::EnrolResearcherRequest& r) {
  return ConsortiumStreamId(r.enrolment().consortium_id());
}
std::string RecordEvaluationStream(const v1::RecordEvaluationRequest& r) {
  return ConsortiumStreamId(r.evaluation().consortium_id());
}
// The flat requests name their consortium at the top.
template <typename Request>
std::string FlatStream(const Request& r) {
  return ConsortiumStreamId(r.consortium_id());
}

using namespace ::alliance::v1;  // the request types, in the table only

const std::vector<CommandSpec>& Table() {
  static const std::vector<CommandSpec>* const table = new std::vector<CommandSpec>{
      Row<EstablishProgramRequest, EstablishProgramStream, ValidateEstablishProgram,
          DecideEstablishProgram>("EstablishProgram"),
      Row<SelectConsortiumRequest, SelectConsortiumStream, ValidateSelectConsortium,
          DecideSelectConsortium>("SelectConsortium"),
      Row<DesignateLabRequest, DesignateLabStream, ValidateDesignateLab, DecideDesignateLab>(
          "DesignateLab"),
      Row<DisburseFundsRequest, DisburseFundsStream, ValidateDisburseFunds, DecideDisburseFunds>(
          "DisburseFunds"),
      Row<DisburseFundsBatchRequest, DisburseFundsBatchStream, ValidateDisburseFundsBatch,
          DecideDisburseFundsBatch>("DisburseFundsBatch"),
      Row<ReverseDisbursementRequest, FlatStream<ReverseDisbursementRequest>,
          ValidateReverseDisbursement, DecideReverseDisbursement>("ReverseDisbursement"),
      Row<RecordHireRequest, RecordHireStream, ValidateRecordHire, DecideRecordHire>("RecordHire"),
      Row<OpenSelectionRoundRequest, OpenSelectionRoundStream, ValidateOpenSelectionRound,
          DecideOpenSelectionRound>("OpenSelectionRound"),
      Row<SignAgreementRequest, SignAgreementStream, ValidateSignAgreement, DecideSignAgreement>(
          "SignAgreement"),
      Row<AmendAgreementRequest, FlatStream<AmendAgreementRequest>, ValidateAmendAgreement,
          DecideAmendAgreement>("AmendAgreement"),
      Row<JoinConsortiumRequest, JoinConsortiumStream, ValidateJoinConsortium,
          DecideJoinConsortium>("JoinConsortium"),
      Row<WithdrawParticipantRequest, FlatStream<WithdrawParticipantRequest>,
          ValidateWithdrawParticipant, DecideWithdrawParticipant>("WithdrawParticipant"),
      Row<EnrolResearcherRequest, EnrolResearcherStream, ValidateEnrolResearcher,
          DecideEnrolResearcher>("EnrolResearcher"),
      Row<RecordGraduationRequest, FlatStream<RecordGraduationRequest>, ValidateRecordGraduation,
          DecideRecordGraduation>("RecordGraduation"),
      Row<RecordDepartureRequest, FlatStream<RecordDepartureRequest>, ValidateRecordDeparture,
          DecideRecordDeparture>("RecordDeparture"),
      Row<RetractResearcherStepRequest, FlatStream<RetractResearcherStepRequest>,
          ValidateRetractResearcherStep, DecideRetractResearcherStep>("RetractResearcherStep"),
      Row<RecordEvaluationRequest, RecordEvaluationStream, ValidateRecordEvaluation,
          DecideRecordEvaluation>("RecordEvaluation"),
      Row<CorrectEvaluationRequest, FlatStream<CorrectEvaluationRequest>, ValidateCorrectEvaluation,
          DecideCorrectEvaluation>("CorrectEvaluation"),
      Row<ChangeConsortiumStateRequest, FlatStream<ChangeConsortiumStateRequest>,
          ValidateSuspendConsortium, DecideSuspendConsortium>("SuspendConsortium"),
      Row<ChangeConsortiumStateRequest, FlatStream<ChangeConsortiumStateRequest>,
          ValidateResumeConsortium, DecideResumeConsortium>("ResumeConsortium"),
      Row<ChangeConsortiumStateRequest, FlatStream<ChangeConsortiumStateRequest>,
          ValidateTerminateConsortium, DecideTerminateConsortium>("TerminateConsortium"),
      Row<ChangeConsortiumStateRequest, FlatStream<ChangeConsortiumStateRequest>,
          ValidateCompleteConsortium, DecideCompleteConsortium>("CompleteConsortium"),
  };
  return *table;
}

}  // namespace

absl::string_view EventTypeName(const v1::Event& event) {
  // Every member of the oneof `kind` is a message named for its event; the
  // names are looked up once, by field number.
  static const absl::flat_hash_map<int, std::string>* const names = [] {
    auto* names = new absl::flat_hash_map<int, std::string>();
    const google::protobuf::OneofDescriptor* kind =
        v1::Event::descriptor()->FindOneofByName("kind");
    assert(kind != nullptr);
    for (int i = 0; i < kind->field_count(); ++i) {
      assert(kind->field(i)->message_type() != nullptr);
      (*names)[kind->field(i)->number()] = kind->field(i)->message_type()->name();
    }
    return names;
  }();
  auto it = names->find(static_cast<int>(event.kind_case()));
  return it == names->end() ? absl::string_view() : absl::string_view(it->second);
}

absl::Span<const CommandSpec> Commands() { return Table(); }

const CommandSpec* FindCommand(absl::string_view name) {
  for (const CommandSpec& spec : Table()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace alliance::domain
