// CommandService: the gRPC adapter for the program's commands (the API and
// its refusals are documented in proto/alliance/v1/commands.proto). Thin:
// each RPC checks the caller's identity headers, validates the request
// (services/domain/validate.h) on the gRPC thread, and hands the rules
// (services/domain/decide.h) to the ledger's appender, which answers after
// the event is durable. No handler thread ever waits on the disk.
#ifndef ALLIANCE_SERVICES_COMMAND_SERVICE_H_
#define ALLIANCE_SERVICES_COMMAND_SERVICE_H_

#include "alliance/v1/commands.grpc.pb.h"
#include "services/ledger.h"

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

 private:
  Ledger* ledger_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_COMMAND_SERVICE_H_
