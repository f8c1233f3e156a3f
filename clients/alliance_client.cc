#include "clients/alliance_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <uuid/uuid.h>

#include <array>
#include <cassert>
#include <cstdint>
#include <future>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/status.pb.h"

namespace alliance::client {
AllianceClient::AllianceClient(std::shared_ptr<grpc::Channel> channel,
                               AllianceClientOptions options)
    : options_(std::move(options)),
      generic_(std::make_unique<grpc::GenericStub>(channel)),
      queries_(v1::QueryService::NewStub(channel)) {
  assert(channel != nullptr);
  assert(options_.deadline > absl::ZeroDuration());
}

absl::Status AllianceClient::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  return absl::OkStatus();
}

template <typename Response, typename Invoke>
absl::StatusOr<Response> AllianceClient::Call(Invoke invoke) {
  grpc::ClientContext context;
  if (absl::Status s = Prepare(&context); !s.ok()) return s;
  Response response;
  grpc::Status status = invoke(&context, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::AppendResult> AllianceClient::Send(absl::string_view method,
                                                      const google::protobuf::Message& request) {
  grpc::ClientContext context;
  if (absl::Status s = Prepare(&context); !s.ok()) return s;
  std::string bytes;
  if (!request.SerializeToString(&bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("the ", method, " request does not serialize"));
  }
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer reply_buffer;
  std::promise<grpc::Status> done;
  generic_->UnaryCall(&context,
                      absl::StrCat("/", v1::CommandService::service_full_name(), "/", method),
                      grpc::StubOptions(), &request_buffer, &reply_buffer,
                      [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return FromGrpcStatus(status);
  std::vector<grpc::Slice> slices;
  std::string reply_bytes;
  if (reply_buffer.Dump(&slices).ok()) {
    for (const grpc::Slice& part : slices) {
      reply_bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
    }
  }
  v1::AppendResult reply;
  if (!reply.ParseFromString(reply_bytes)) {
    return absl::DataLossError(absl::StrCat("the server's answer to ", method, " does not parse"));
  }
  return reply;
}

absl::StatusOr<v1::AppendResult> AllianceClient::EstablishProgram(
    const v1::EstablishProgramRequest& request) {
  return Send("EstablishProgram", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::SelectConsortium(
    const v1::SelectConsortiumRequest& request) {
  return Send("SelectConsortium", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::DesignateLab(
    const v1::DesignateLabRequest& request) {
  return Send("DesignateLab", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::DisburseFunds(
    const v1::DisburseFundsRequest& request) {
  return Send("DisburseFunds", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::ReverseDisbursement(
    const v1::ReverseDisbursementRequest& request) {
  return Send("ReverseDisbursement", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::RecordHire(const v1::RecordHireRequest& request) {
  return Send("RecordHire", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::OpenSelectionRound(
    const v1::OpenSelectionRoundRequest& request) {
  return Send("OpenSelectionRound", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::SignAgreement(
    const v1::SignAgreementRequest& request) {
  return Send("SignAgreement", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::AmendAgreement(
    const v1::AmendAgreementRequest& request) {
  return Send("AmendAgreement", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::JoinConsortium(
    const v1::JoinConsortiumRequest& request) {
  return Send("JoinConsortium", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::WithdrawParticipant(
    const v1::WithdrawParticipantRequest& request) {
  return Send("WithdrawParticipant", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::EnrolResearcher(
    const v1::EnrolResearcherRequest& request) {
  return Send("EnrolResearcher", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::RecordGraduation(
    const v1::RecordGraduationRequest& request) {
  return Send("RecordGraduation", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::RecordDeparture(
    const v1::RecordDepartureRequest& request) {
  return Send("RecordDeparture", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::RetractResearcherStep(
    const v1::RetractResearcherStepRequest& request) {
  return Send("RetractResearcherStep", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::RecordEvaluation(
    const v1::RecordEvaluationRequest& request) {
  return Send("RecordEvaluation", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::CorrectEvaluation(
    const v1::CorrectEvaluationRequest& request) {
  return Send("CorrectEvaluation", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::SuspendConsortium(
    const v1::ChangeConsortiumStateRequest& request) {
  return Send("SuspendConsortium", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::ResumeConsortium(
    const v1::ChangeConsortiumStateRequest& request) {
  return Send("ResumeConsortium", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::TerminateConsortium(
    const v1::ChangeConsortiumStateRequest& request) {
  return Send("TerminateConsortium", request);
}

absl::StatusOr<v1::AppendResult> AllianceClient::CompleteConsortium(
    const v1::ChangeConsortiumStateRequest& request) {
  return Send("CompleteConsortium", request);
}

absl::StatusOr<v1::ConsortiumStatus> AllianceClient::GetConsortium(
    const v1::GetConsortiumRequest& request) {
  return Call<v1::ConsortiumStatus>(
      [&](grpc::ClientContext* context, v1::ConsortiumStatus* response) {
        return queries_->GetConsortium(context, request, response);
      });
}

absl::StatusOr<v1::ListConsortiaResponse> AllianceClient::ListConsortia(
    const v1::ListConsortiaRequest& request) {
  return Call<v1::ListConsortiaResponse>(
      [&](grpc::ClientContext* context, v1::ListConsortiaResponse* response) {
        return queries_->ListConsortia(context, request, response);
      });
}

absl::StatusOr<v1::ProgramSummary> AllianceClient::GetProgramSummary(
    const v1::GetProgramSummaryRequest& request) {
  return Call<v1::ProgramSummary>([&](grpc::ClientContext* context, v1::ProgramSummary* response) {
    return queries_->GetProgramSummary(context, request, response);
  });
}

absl::StatusOr<v1::ParticipantStatus> AllianceClient::GetParticipant(
    const v1::GetParticipantRequest& request) {
  return Call<v1::ParticipantStatus>(
      [&](grpc::ClientContext* context, v1::ParticipantStatus* response) {
        return queries_->GetParticipant(context, request, response);
      });
}

absl::StatusOr<v1::ReadEventsResponse> AllianceClient::ReadEvents(
    const v1::ReadEventsRequest& request) {
  return Call<v1::ReadEventsResponse>(
      [&](grpc::ClientContext* context, v1::ReadEventsResponse* response) {
        return queries_->ReadEvents(context, request, response);
      });
}

std::string NewEventId() {
  // libuuid draws the 122 random bits from the kernel's cryptographic
  // generator (getrandom), so ids from many agencies' systems do not
  // collide; a seeded Mersenne Twister is predictable from its output.
  uuid_t uuid;
  uuid_generate_random(uuid);
  char text[37];  // 36 characters and the terminator
  uuid_unparse_lower(uuid, text);
  return std::string(text, 36);
}

}  // namespace alliance::client
