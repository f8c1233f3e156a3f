#include "services/command_service.h"

#include <cassert>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "proto/errors/grpc_status.h"
#include "proto/errors/refusal.h"
#include "services/domain/commands.h"

namespace alliance {
namespace {

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

void ToProto(const AppendResult& result, v1::AppendResult* reply) {
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

// The path every command takes: identity, validation (on this gRPC thread,
// so malformed input never occupies the decider), then the ledger core,
// which answers after the event is durable.
grpc::ServerUnaryReactor* Handle(Ledger* ledger, grpc::CallbackServerContext* context,
                                 absl::string_view method, const google::protobuf::Message* request,
                                 v1::AppendResult* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const domain::CommandSpec* spec = domain::FindCommand(method);
  assert(spec != nullptr && request->GetDescriptor() == spec->request_type);
  absl::StatusOr<v1::Recorder> recorder = Authenticate(*context);
  if (!recorder.ok()) {
    reactor->Finish(ToGrpcStatus(recorder.status()));
    return reactor;
  }
  if (absl::Status valid = spec->validate(*request); !valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  Command command;
  command.spec = spec;
  command.request = request;  // outlives the call's reactor
  command.recorded_by = *std::move(recorder);
  command.done = [reactor, reply](absl::StatusOr<AppendResult> result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    ToProto(*result, reply);
    reactor->Finish(grpc::Status::OK);
  };
  ledger->Submit(std::move(command));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* CommandService::EstablishProgram(
    grpc::CallbackServerContext* context, const v1::EstablishProgramRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "EstablishProgram", request, reply);
}

grpc::ServerUnaryReactor* CommandService::SelectConsortium(
    grpc::CallbackServerContext* context, const v1::SelectConsortiumRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "SelectConsortium", request, reply);
}

grpc::ServerUnaryReactor* CommandService::DesignateLab(grpc::CallbackServerContext* context,
                                                       const v1::DesignateLabRequest* request,
                                                       v1::AppendResult* reply) {
  return Handle(ledger_, context, "DesignateLab", request, reply);
}

grpc::ServerUnaryReactor* CommandService::DisburseFunds(grpc::CallbackServerContext* context,
                                                        const v1::DisburseFundsRequest* request,
                                                        v1::AppendResult* reply) {
  return Handle(ledger_, context, "DisburseFunds", request, reply);
}

grpc::ServerUnaryReactor* CommandService::DisburseFundsBatch(
    grpc::CallbackServerContext* context, const v1::DisburseFundsBatchRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "DisburseFundsBatch", request, reply);
}

grpc::ServerUnaryReactor* CommandService::ReverseDisbursement(
    grpc::CallbackServerContext* context, const v1::ReverseDisbursementRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "ReverseDisbursement", request, reply);
}

grpc::ServerUnaryReactor* CommandService::RecordHire(grpc::CallbackServerContext* context,
                                                     const v1::RecordHireRequest* request,
                                                     v1::AppendResult* reply) {
  return Handle(ledger_, context, "RecordHire", request, reply);
}

grpc::ServerUnaryReactor* CommandService::OpenSelectionRound(
    grpc::CallbackServerContext* context, const v1::OpenSelectionRoundRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "OpenSelectionRound", request, reply);
}

grpc::ServerUnaryReactor* CommandService::SignAgreement(grpc::CallbackServerContext* context,
                                                        const v1::SignAgreementRequest* request,
                                                        v1::AppendResult* reply) {
  return Handle(ledger_, context, "SignAgreement", request, reply);
}

grpc::ServerUnaryReactor* CommandService::AmendAgreement(grpc::CallbackServerContext* context,
                                                         const v1::AmendAgreementRequest* request,
                                                         v1::AppendResult* reply) {
  return Handle(ledger_, context, "AmendAgreement", request, reply);
}

grpc::ServerUnaryReactor* CommandService::JoinConsortium(grpc::CallbackServerContext* context,
                                                         const v1::JoinConsortiumRequest* request,
                                                         v1::AppendResult* reply) {
  return Handle(ledger_, context, "JoinConsortium", request, reply);
}

grpc::ServerUnaryReactor* CommandService::WithdrawParticipant(
    grpc::CallbackServerContext* context, const v1::WithdrawParticipantRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "WithdrawParticipant", request, reply);
}

grpc::ServerUnaryReactor* CommandService::EnrolResearcher(grpc::CallbackServerContext* context,
                                                          const v1::EnrolResearcherRequest* request,
                                                          v1::AppendResult* reply) {
  return Handle(ledger_, context, "EnrolResearcher", request, reply);
}

grpc::ServerUnaryReactor* CommandService::RecordGraduation(
    grpc::CallbackServerContext* context, const v1::RecordGraduationRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "RecordGraduation", request, reply);
}

grpc::ServerUnaryReactor* CommandService::RecordDeparture(grpc::CallbackServerContext* context,
                                                          const v1::RecordDepartureRequest* request,
                                                          v1::AppendResult* reply) {
  return Handle(ledger_, context, "RecordDeparture", request, reply);
}

grpc::ServerUnaryReactor* CommandService::RetractResearcherStep(
    grpc::CallbackServerContext* context, const v1::RetractResearcherStepRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "RetractResearcherStep", request, reply);
}

grpc::ServerUnaryReactor* CommandService::RecordEvaluation(
    grpc::CallbackServerContext* context, const v1::RecordEvaluationRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "RecordEvaluation", request, reply);
}

grpc::ServerUnaryReactor* CommandService::CorrectEvaluation(
    grpc::CallbackServerContext* context, const v1::CorrectEvaluationRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "CorrectEvaluation", request, reply);
}

grpc::ServerUnaryReactor* CommandService::SuspendConsortium(
    grpc::CallbackServerContext* context, const v1::ChangeConsortiumStateRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "SuspendConsortium", request, reply);
}

grpc::ServerUnaryReactor* CommandService::ResumeConsortium(
    grpc::CallbackServerContext* context, const v1::ChangeConsortiumStateRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "ResumeConsortium", request, reply);
}

grpc::ServerUnaryReactor* CommandService::TerminateConsortium(
    grpc::CallbackServerContext* context, const v1::ChangeConsortiumStateRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "TerminateConsortium", request, reply);
}

grpc::ServerUnaryReactor* CommandService::CompleteConsortium(
    grpc::CallbackServerContext* context, const v1::ChangeConsortiumStateRequest* request,
    v1::AppendResult* reply) {
  return Handle(ledger_, context, "CompleteConsortium", request, reply);
}

}  // namespace alliance
