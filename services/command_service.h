// CommandService: the gRPC adapter for the program's commands (the API and
// its refusals are documented in proto/alliance/v1/commands.proto). It has
// no code per command: every row of the command table
// (services/domain/commands.h) is registered as the method
// /alliance.v1.CommandService/<row name>, and one handler serves them all:
// it parses the request as the row's request type, checks the caller's
// identity headers, validates the request on the gRPC thread, and hands it
// to the ledger core (services/ledger/ledger.h), which answers after the
// event is durable. No handler thread ever waits on the disk.
//
// The table and the service in commands.proto must name the same methods
// with the same request types; the constructor asserts it, and a test
// calls every method over a channel.
#ifndef ALLIANCE_SERVICES_COMMAND_SERVICE_H_
#define ALLIANCE_SERVICES_COMMAND_SERVICE_H_

#include <grpcpp/impl/codegen/service_type.h>

#include <cstddef>

#include "services/ledger/ledger.h"

namespace alliance {

// Metadata headers that name who records an event (commands.proto).
inline constexpr char kAgencyHeader[] = "alliance-agency";
inline constexpr char kPrincipalHeader[] = "alliance-principal";
// Longest accepted agency or principal name, in bytes.
inline constexpr size_t kRecorderNameMax = 128;

class CommandService final : public grpc::Service {
 public:
  // `ledger` must outlive the service.
  explicit CommandService(Ledger* ledger);

 private:
  Ledger* const ledger_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_COMMAND_SERVICE_H_
