// CommandService: the gRPC adapter for the program's commands (the API and
// its refusals are documented in proto/alliance/v1/commands.proto). Thin:
// each RPC finds its row of the command table (services/domain/commands.h),
// checks the caller's identity headers, validates the request on the gRPC
// thread, and hands it to the ledger core (services/ledger/ledger.h), which
// answers after the event is durable. No handler thread ever waits on the
// disk.
#ifndef ALLIANCE_SERVICES_COMMAND_SERVICE_H_
#define ALLIANCE_SERVICES_COMMAND_SERVICE_H_

#include "alliance/v1/commands.grpc.pb.h"
#include "services/ledger/ledger.h"

namespace alliance {

// Metadata headers that name who records an event (commands.proto).
inline constexpr char kAgencyHeader[] = "alliance-agency";
inline constexpr char kPrincipalHeader[] = "alliance-principal";
// Longest accepted agency or principal name, in bytes.
inline constexpr size_t kRecorderNameMax = 128;

class CommandService final : public v1::CommandService::CallbackService {
 public:
  // `ledger` must outlive the service.
  explicit CommandService(Ledger* ledger) : ledger_(ledger) {}

  grpc::ServerUnaryReactor* EstablishProgram(grpc::CallbackServerContext* context,
                                             const v1::EstablishProgramRequest* request,
                                             v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* SelectConsortium(grpc::CallbackServerContext* context,
                                             const v1::SelectConsortiumRequest* request,
                                             v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* DesignateLab(grpc::CallbackServerContext* context,
                                         const v1::DesignateLabRequest* request,
                                         v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* DisburseFunds(grpc::CallbackServerContext* context,
                                          const v1::DisburseFundsRequest* request,
                                          v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* DisburseFundsBatch(grpc::CallbackServerContext* context,
                                               const v1::DisburseFundsBatchRequest* request,
                                               v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* ReverseDisbursement(grpc::CallbackServerContext* context,
                                                const v1::ReverseDisbursementRequest* request,
                                                v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* RecordHire(grpc::CallbackServerContext* context,
                                       const v1::RecordHireRequest* request,
                                       v1::AppendResult* reply) override;

  grpc::ServerUnaryReactor* OpenSelectionRound(grpc::CallbackServerContext* context,
                                               const v1::OpenSelectionRoundRequest* request,
                                               v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* SignAgreement(grpc::CallbackServerContext* context,
                                          const v1::SignAgreementRequest* request,
                                          v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* AmendAgreement(grpc::CallbackServerContext* context,
                                           const v1::AmendAgreementRequest* request,
                                           v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* JoinConsortium(grpc::CallbackServerContext* context,
                                           const v1::JoinConsortiumRequest* request,
                                           v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* WithdrawParticipant(grpc::CallbackServerContext* context,
                                                const v1::WithdrawParticipantRequest* request,
                                                v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* EnrolResearcher(grpc::CallbackServerContext* context,
                                            const v1::EnrolResearcherRequest* request,
                                            v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* RecordGraduation(grpc::CallbackServerContext* context,
                                             const v1::RecordGraduationRequest* request,
                                             v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* RecordDeparture(grpc::CallbackServerContext* context,
                                            const v1::RecordDepartureRequest* request,
                                            v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* RetractResearcherStep(grpc::CallbackServerContext* context,
                                                  const v1::RetractResearcherStepRequest* request,
                                                  v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* RecordEvaluation(grpc::CallbackServerContext* context,
                                             const v1::RecordEvaluationRequest* request,
                                             v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* CorrectEvaluation(grpc::CallbackServerContext* context,
                                              const v1::CorrectEvaluationRequest* request,
                                              v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* SuspendConsortium(grpc::CallbackServerContext* context,
                                              const v1::ChangeConsortiumStateRequest* request,
                                              v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* ResumeConsortium(grpc::CallbackServerContext* context,
                                             const v1::ChangeConsortiumStateRequest* request,
                                             v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* TerminateConsortium(grpc::CallbackServerContext* context,
                                                const v1::ChangeConsortiumStateRequest* request,
                                                v1::AppendResult* reply) override;
  grpc::ServerUnaryReactor* CompleteConsortium(grpc::CallbackServerContext* context,
                                               const v1::ChangeConsortiumStateRequest* request,
                                               v1::AppendResult* reply) override;

 private:
  Ledger* ledger_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_COMMAND_SERVICE_H_
