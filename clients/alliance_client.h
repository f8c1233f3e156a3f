// AllianceClient: a thin, synchronous C++ client for the Alliance case
// ledger's CommandService and QueryService (proto/alliance/v1).
//
// The contract:
//   - One method per RPC. Each returns the response on success, or an
//     absl::Status on failure; it never throws.
//   - Who calls is the channel's: its client certificate (clients/channel.h)
//     names the identity the server records and authorises.
//   - Every call has a deadline (options.deadline, 5 s unless changed); a call
//     that runs past it fails with DEADLINE_EXCEEDED.
//   - A failed call's status keeps the gRPC code and message, and carries the
//     server's google.rpc details (ErrorInfo, BadRequest) as payloads under
//     their type URLs, so alliance::GetRefusalDetails (proto/errors/refusal.h)
//     reads the refusal's reason and numbers from it.
//   - Commands are not retried here. A command is safe to retry with the same
//     meta.event_id and the same content: the server then answers with the
//     original result and `replayed` set.
//
// Example:
//
//   absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = alliance::client::OpenChannel(
//       "127.0.0.1:50051", alliance::client::IdentityFiles("var/pki", "kiat"));
//   alliance::client::AllianceClient client(*channel, {});
//
//   alliance::v1::DisburseFundsRequest request;
//   request.mutable_meta()->set_event_id(alliance::client::NewEventId());
//   ... fill request.mutable_disbursement() ...
//   absl::StatusOr<alliance::v1::AppendResult> result = client.DisburseFunds(request);
//   if (!result.ok()) {
//     if (auto refusal = alliance::GetRefusalDetails(result.status());
//         refusal && refusal->reason == "ANNUAL_LIMIT_EXCEEDED") { ... }
//   }
//
// Thread safety: an AllianceClient may be shared by threads; each call uses
// its own grpc::ClientContext.
#ifndef ALLIANCE_CLIENTS_ALLIANCE_CLIENT_H_
#define ALLIANCE_CLIENTS_ALLIANCE_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/v1/commands.grpc.pb.h"
#include "alliance/v1/queries.grpc.pb.h"
#include "proto/errors/grpc_status.h"

namespace alliance::client {

// Five seconds: long enough for a durable (fsynced) append under load, short
// enough that a stuck server does not hang an agency's batch job.
inline constexpr absl::Duration kDefaultDeadline = absl::Seconds(5);

struct AllianceClientOptions {
  // Deadline of each call, counted from its start. Raise it for large
  // ReadEvents pages over a slow link. Must be positive.
  absl::Duration deadline = kDefaultDeadline;
};

class AllianceClient {
 public:
  // `channel` must not be null. The client keeps a reference to it.
  AllianceClient(std::shared_ptr<grpc::Channel> channel, AllianceClientOptions options);

  AllianceClient(const AllianceClient&) = delete;
  AllianceClient& operator=(const AllianceClient&) = delete;

  // CommandService. On success: what the server appended, or, with
  // `replayed` set, what it had appended for the same event id before.
  absl::StatusOr<v1::AppendResult> EstablishProgram(const v1::EstablishProgramRequest& request);
  absl::StatusOr<v1::AppendResult> SelectConsortium(const v1::SelectConsortiumRequest& request);
  absl::StatusOr<v1::AppendResult> DesignateLab(const v1::DesignateLabRequest& request);
  absl::StatusOr<v1::AppendResult> DisburseFunds(const v1::DisburseFundsRequest& request);
  absl::StatusOr<v1::AppendResult> ReverseDisbursement(
      const v1::ReverseDisbursementRequest& request);
  absl::StatusOr<v1::AppendResult> RecordHire(const v1::RecordHireRequest& request);
  absl::StatusOr<v1::AppendResult> OpenSelectionRound(const v1::OpenSelectionRoundRequest& request);
  absl::StatusOr<v1::AppendResult> SignAgreement(const v1::SignAgreementRequest& request);
  absl::StatusOr<v1::AppendResult> AmendAgreement(const v1::AmendAgreementRequest& request);
  absl::StatusOr<v1::AppendResult> JoinConsortium(const v1::JoinConsortiumRequest& request);
  absl::StatusOr<v1::AppendResult> WithdrawParticipant(
      const v1::WithdrawParticipantRequest& request);
  absl::StatusOr<v1::AppendResult> EnrolResearcher(const v1::EnrolResearcherRequest& request);
  absl::StatusOr<v1::AppendResult> RecordGraduation(const v1::RecordGraduationRequest& request);
  absl::StatusOr<v1::AppendResult> RecordDeparture(const v1::RecordDepartureRequest& request);
  absl::StatusOr<v1::AppendResult> RetractResearcherStep(
      const v1::RetractResearcherStepRequest& request);
  absl::StatusOr<v1::AppendResult> RecordEvaluation(const v1::RecordEvaluationRequest& request);
  absl::StatusOr<v1::AppendResult> CorrectEvaluation(const v1::CorrectEvaluationRequest& request);
  // The four state changes share a request; the method says which.
  absl::StatusOr<v1::AppendResult> SuspendConsortium(
      const v1::ChangeConsortiumStateRequest& request);
  absl::StatusOr<v1::AppendResult> ResumeConsortium(
      const v1::ChangeConsortiumStateRequest& request);
  absl::StatusOr<v1::AppendResult> TerminateConsortium(
      const v1::ChangeConsortiumStateRequest& request);
  absl::StatusOr<v1::AppendResult> CompleteConsortium(
      const v1::ChangeConsortiumStateRequest& request);

  // Any CommandService RPC by name ("DisburseFunds") with its request: what
  // the typed methods above call, and what a caller sending commands from
  // data (the seed file) uses.
  absl::StatusOr<v1::AppendResult> Send(absl::string_view method,
                                        const google::protobuf::Message& request);

  // QueryService. NOT_FOUND for an unknown consortium, program or
  // participant (one that is in no consortium).
  absl::StatusOr<v1::ConsortiumStatus> GetConsortium(const v1::GetConsortiumRequest& request);
  absl::StatusOr<v1::ListConsortiaResponse> ListConsortia(const v1::ListConsortiaRequest& request);
  absl::StatusOr<v1::ProgramSummary> GetProgramSummary(const v1::GetProgramSummaryRequest& request);
  absl::StatusOr<v1::ParticipantStatus> GetParticipant(const v1::GetParticipantRequest& request);
  absl::StatusOr<v1::ReadEventsResponse> ReadEvents(const v1::ReadEventsRequest& request);

 private:
  // Runs one unary call: prepares the context (headers, deadline), lets
  // `invoke` make the call, and converts the outcome.
  template <typename Response, typename Invoke>
  absl::StatusOr<Response> Call(Invoke invoke);
  // The headers and the deadline of a call.
  absl::Status Prepare(grpc::ClientContext* context) const;

  AllianceClientOptions options_;
  std::unique_ptr<grpc::GenericStub> generic_;
  std::unique_ptr<v1::QueryService::StubInterface> queries_;
};

// FromGrpcStatus (proto/errors/grpc_status.h) turns a call's grpc::Status
// into the absl::Status the methods above return.
using ::alliance::FromGrpcStatus;

// A fresh random RFC 4122 version 4 UUID in its 36-character lowercase text
// form ("xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx", N one of 8, 9, a, b): the
// meta.event_id of a new command. Thread-safe.
std::string NewEventId();

}  // namespace alliance::client

#endif  // ALLIANCE_CLIENTS_ALLIANCE_CLIENT_H_
