// The one place where the domain's error values become gRPC statuses. A
// refusal (proto/errors/refusal.h) keeps its code and message, and its reason,
// metadata and field travel as google.rpc.Status details (ErrorInfo,
// BadRequest) in the grpc-status-details-bin trailer, as Google's API
// guidelines (AIP-193) do: a caller branches on ErrorInfo.reason, a person
// reads the message.
#ifndef ALLIANCE_SERVICES_GRPC_STATUS_H_
#define ALLIANCE_SERVICES_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace alliance {

// OK maps to OK. Any other status keeps its code and message; every payload
// whose type URL names a google.rpc detail is attached as a detail. A status
// with no ErrorInfo gets one with reason "UNSPECIFIED_ERROR" so that every
// refusal carries a reason.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_GRPC_STATUS_H_
