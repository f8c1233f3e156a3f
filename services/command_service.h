// CommandService: the gRPC adapter for the program's commands (the API and
// its refusals are documented in proto/alliance/v1/commands.proto). It has
// no code per command: every row of the command table
// (services/domain/commands.h) is registered as the method
// /alliance.v1.CommandService/<row name>, and one handler serves them all:
// it parses the request as the row's request type, identifies the caller
// by its client certificate (services/access/caller.h), validates the
// request on the gRPC thread, and hands it to the ledger core
// (services/ledger/ledger.h), which checks the row's authority and the
// rules and answers after the event is durable. No handler thread ever
// waits on the disk. Every refusal is logged (access/refusal_log.h).
//
// The table and the service in commands.proto must name the same methods
// with the same request types; the constructor asserts it, and a test
// calls every method over a channel.
#ifndef ALLIANCE_SERVICES_COMMAND_SERVICE_H_
#define ALLIANCE_SERVICES_COMMAND_SERVICE_H_

#include <grpcpp/impl/codegen/service_type.h>

#include <cstddef>

#include "services/access/caller.h"
#include "services/ledger/ledger.h"

namespace alliance {

class CommandService final : public grpc::Service {
 public:
  // `ledger` and `callers` must outlive the service.
  CommandService(Ledger* ledger, const Callers* callers);

 private:
  Ledger* const ledger_;
  const Callers* const callers_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_COMMAND_SERVICE_H_
