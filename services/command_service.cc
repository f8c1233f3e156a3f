#include "services/command_service.h"

#include <openssl/sha.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/time_util.h"
#include "services/domain/decide.h"
#include "services/domain/streams.h"
#include "services/domain/validate.h"
#include "services/grpc_status.h"
#include "storage/appender.h"
#include "storage/refusal.h"

namespace alliance {
namespace {

// A payment run is one command whose events the appender takes at once.
static_assert(domain::kBatchDisbursementsMax <= storage::kCommandEventsMax,
              "a DisburseFundsBatch must fit in one command's events");

using google::protobuf::util::TimeUtil;

// The header's value, or "" when absent.
std::string Header(const grpc::CallbackServerContext& context, const char* name) {
  auto it = context.client_metadata().find(name);
  if (it == context.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::StatusOr<v1::Recorder> Authenticate(const grpc::CallbackServerContext& context) {
  v1::Recorder recorder;
  recorder.set_agency(Header(context, kAgencyHeader));
  recorder.set_principal(Header(context, kPrincipalHeader));
  if (recorder.agency().empty() || recorder.principal().empty()) {
    return Refuse(absl::StatusCode::kUnauthenticated, "RECORDER_MISSING",
                  absl::StrCat("commands must name who records them: send the metadata headers ",
                               kAgencyHeader, " (e.g. KIAT) and ", kPrincipalHeader,
                               " (the person or system)"));
  }
  if (recorder.agency().size() > kRecorderNameMax ||
      recorder.principal().size() > kRecorderNameMax) {
    return Refuse(absl::StatusCode::kInvalidArgument, "RECORDER_TOO_LONG",
                  absl::StrCat(kAgencyHeader, " and ", kPrincipalHeader, " may hold at most ",
                               kRecorderNameMax, " bytes each"));
  }
  return recorder;
}

storage::ExpectedVersion ToStorage(const v1::CommandMeta& meta) {
  storage::ExpectedVersion expected;
  switch (meta.expected_version().kind()) {
    case v1::ExpectedVersion::KIND_NO_STREAM:
      expected.kind = storage::ExpectedVersion::Kind::kNoStream;
      break;
    case v1::ExpectedVersion::KIND_EXACT:
      expected.kind = storage::ExpectedVersion::Kind::kExact;
      expected.version = meta.expected_version().version();
      break;
    default:
      expected.kind = storage::ExpectedVersion::Kind::kAny;
  }
  return expected;
}

// SHA-256 of the command's content: the RPC name and the request serialized
// deterministically, without the event id and expected version (a retry may
// state its expectation differently and is still the same command).
template <typename Request>
std::string Fingerprint(absl::string_view method, const Request& request) {
  Request content = request;
  content.mutable_meta()->clear_event_id();
  content.mutable_meta()->clear_expected_version();
  std::string bytes(method);
  bytes.push_back('\0');
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    content.SerializeToCodedStream(&coded);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

void ToProto(const storage::AppendResult& result, v1::AppendResult* reply) {
  reply->set_event_id(result.event_id);
  reply->set_stream_id(result.stream_id);
  reply->set_stream_version(result.last_stream_version);
  reply->set_global_position(result.last_global_position);
  *reply->mutable_recorded_at() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(result.recorded_at));
  reply->set_replayed(result.replayed);
  reply->set_first_global_position(result.first_global_position);
  reply->set_first_stream_version(result.first_stream_version);
  reply->set_event_count(
      static_cast<uint32_t>(result.last_global_position - result.first_global_position + 1));
}

// What a rule decided, as the appender takes it: the events of the command.
absl::StatusOr<std::vector<v1::Event>> AsEvents(absl::StatusOr<v1::Event> event) {
  if (!event.ok()) return event.status();
  std::vector<v1::Event> events;
  events.push_back(*std::move(event));
  return events;
}
absl::StatusOr<std::vector<v1::Event>> AsEvents(absl::StatusOr<std::vector<v1::Event>> events) {
  return events;
}

// The path every command takes: identity, validation, then the appender.
// `decide` is a function of domain/decide.h: (const LedgerState&, const
// Request&) -> one event or several.
template <typename Request, typename Decide>
grpc::ServerUnaryReactor* Handle(Ledger* ledger, grpc::CallbackServerContext* context,
                                 const Request* request, v1::AppendResult* reply,
                                 absl::string_view method, std::string stream_id,
                                 absl::Status (*validate)(const Request&), Decide decide) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<v1::Recorder> recorder = Authenticate(*context);
  if (!recorder.ok()) {
    reactor->Finish(ToGrpcStatus(recorder.status()));
    return reactor;
  }
  if (absl::Status valid = validate(*request); !valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  storage::AppendRequest append;
  append.stream_id = std::move(stream_id);
  append.expected_version = ToStorage(request->meta());
  append.event_id = request->meta().event_id();
  append.request_sha256 = Fingerprint(method, *request);
  append.recorded_by = *std::move(recorder);
  append.correlation_id = request->meta().correlation_id();
  // The request outlives the call's reactor, so the closures may hold it.
  append.decide = [ledger, request, decide](uint64_t) -> absl::StatusOr<std::vector<v1::Event>> {
    return AsEvents(decide(ledger->state(), *request));
  };
  append.done = [reactor, reply](absl::StatusOr<storage::AppendResult> result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    ToProto(*result, reply);
    reactor->Finish(grpc::Status::OK);
  };
  ledger->Submit(std::move(append));
  return reactor;
}

// A payment run's stream: its consortium's. An empty run has none; validation
// refuses it before the stream is used.
std::string BatchStreamId(const v1::DisburseFundsBatchRequest& request) {
  if (request.disbursements().empty()) return "";
  return domain::ConsortiumStreamId(request.disbursements(0).consortium_id());
}

}  // namespace

grpc::ServerUnaryReactor* CommandService::EstablishProgram(
    grpc::CallbackServerContext* context, const v1::EstablishProgramRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "EstablishProgram",
                domain::ProgramStreamId(request->program().program_id()),
                &domain::ValidateEstablishProgram, &domain::DecideEstablishProgram);
}

grpc::ServerUnaryReactor* CommandService::SelectConsortium(
    grpc::CallbackServerContext* context, const v1::SelectConsortiumRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "SelectConsortium",
                domain::ConsortiumStreamId(request->selection().consortium_id()),
                &domain::ValidateSelectConsortium, &domain::DecideSelectConsortium);
}

grpc::ServerUnaryReactor* CommandService::DesignateLab(grpc::CallbackServerContext* context,
                                                       const v1::DesignateLabRequest* request,
                                                       v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "DesignateLab",
                domain::ConsortiumStreamId(request->designation().consortium_id()),
                &domain::ValidateDesignateLab, &domain::DecideDesignateLab);
}

grpc::ServerUnaryReactor* CommandService::DisburseFunds(grpc::CallbackServerContext* context,
                                                        const v1::DisburseFundsRequest* request,
                                                        v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "DisburseFunds",
                domain::ConsortiumStreamId(request->disbursement().consortium_id()),
                &domain::ValidateDisburseFunds, &domain::DecideDisburseFunds);
}

grpc::ServerUnaryReactor* CommandService::DisburseFundsBatch(
    grpc::CallbackServerContext* context, const v1::DisburseFundsBatchRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "DisburseFundsBatch", BatchStreamId(*request),
                &domain::ValidateDisburseFundsBatch, &domain::DecideDisburseFundsBatch);
}

grpc::ServerUnaryReactor* CommandService::ReverseDisbursement(
    grpc::CallbackServerContext* context, const v1::ReverseDisbursementRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "ReverseDisbursement",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateReverseDisbursement, &domain::DecideReverseDisbursement);
}

grpc::ServerUnaryReactor* CommandService::RecordHire(grpc::CallbackServerContext* context,
                                                     const v1::RecordHireRequest* request,
                                                     v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "RecordHire",
                domain::ConsortiumStreamId(request->hire().consortium_id()),
                &domain::ValidateRecordHire, &domain::DecideRecordHire);
}

grpc::ServerUnaryReactor* CommandService::OpenSelectionRound(
    grpc::CallbackServerContext* context, const v1::OpenSelectionRoundRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "OpenSelectionRound",
                domain::ProgramStreamId(request->round().program_id()),
                &domain::ValidateOpenSelectionRound, &domain::DecideOpenSelectionRound);
}

grpc::ServerUnaryReactor* CommandService::SignAgreement(grpc::CallbackServerContext* context,
                                                        const v1::SignAgreementRequest* request,
                                                        v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "SignAgreement",
                domain::ConsortiumStreamId(request->agreement().consortium_id()),
                &domain::ValidateSignAgreement, &domain::DecideSignAgreement);
}

grpc::ServerUnaryReactor* CommandService::AmendAgreement(grpc::CallbackServerContext* context,
                                                         const v1::AmendAgreementRequest* request,
                                                         v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "AmendAgreement",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateAmendAgreement, &domain::DecideAmendAgreement);
}

grpc::ServerUnaryReactor* CommandService::JoinConsortium(grpc::CallbackServerContext* context,
                                                         const v1::JoinConsortiumRequest* request,
                                                         v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "JoinConsortium",
                domain::ConsortiumStreamId(request->joining().consortium_id()),
                &domain::ValidateJoinConsortium, &domain::DecideJoinConsortium);
}

grpc::ServerUnaryReactor* CommandService::WithdrawParticipant(
    grpc::CallbackServerContext* context, const v1::WithdrawParticipantRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "WithdrawParticipant",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateWithdrawParticipant, &domain::DecideWithdrawParticipant);
}

grpc::ServerUnaryReactor* CommandService::EnrolResearcher(grpc::CallbackServerContext* context,
                                                          const v1::EnrolResearcherRequest* request,
                                                          v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "EnrolResearcher",
                domain::ConsortiumStreamId(request->enrolment().consortium_id()),
                &domain::ValidateEnrolResearcher, &domain::DecideEnrolResearcher);
}

grpc::ServerUnaryReactor* CommandService::RecordGraduation(
    grpc::CallbackServerContext* context, const v1::RecordGraduationRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "RecordGraduation",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateRecordGraduation, &domain::DecideRecordGraduation);
}

grpc::ServerUnaryReactor* CommandService::RecordDeparture(grpc::CallbackServerContext* context,
                                                          const v1::RecordDepartureRequest* request,
                                                          v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "RecordDeparture",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateRecordDeparture, &domain::DecideRecordDeparture);
}

grpc::ServerUnaryReactor* CommandService::RetractResearcherStep(
    grpc::CallbackServerContext* context, const v1::RetractResearcherStepRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "RetractResearcherStep",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateRetractResearcherStep, &domain::DecideRetractResearcherStep);
}

grpc::ServerUnaryReactor* CommandService::RecordEvaluation(
    grpc::CallbackServerContext* context, const v1::RecordEvaluationRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "RecordEvaluation",
                domain::ConsortiumStreamId(request->evaluation().consortium_id()),
                &domain::ValidateRecordEvaluation, &domain::DecideRecordEvaluation);
}

grpc::ServerUnaryReactor* CommandService::CorrectEvaluation(
    grpc::CallbackServerContext* context, const v1::CorrectEvaluationRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "CorrectEvaluation",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateCorrectEvaluation, &domain::DecideCorrectEvaluation);
}

grpc::ServerUnaryReactor* CommandService::SuspendConsortium(
    grpc::CallbackServerContext* context, const v1::ChangeConsortiumStateRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "SuspendConsortium",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateSuspendConsortium, &domain::DecideSuspendConsortium);
}

grpc::ServerUnaryReactor* CommandService::ResumeConsortium(
    grpc::CallbackServerContext* context, const v1::ChangeConsortiumStateRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "ResumeConsortium",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateResumeConsortium, &domain::DecideResumeConsortium);
}

grpc::ServerUnaryReactor* CommandService::TerminateConsortium(
    grpc::CallbackServerContext* context, const v1::ChangeConsortiumStateRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "TerminateConsortium",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateTerminateConsortium, &domain::DecideTerminateConsortium);
}

grpc::ServerUnaryReactor* CommandService::CompleteConsortium(
    grpc::CallbackServerContext* context, const v1::ChangeConsortiumStateRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, request, reply, "CompleteConsortium",
                domain::ConsortiumStreamId(request->consortium_id()),
                &domain::ValidateCompleteConsortium, &domain::DecideCompleteConsortium);
}

}  // namespace alliance
