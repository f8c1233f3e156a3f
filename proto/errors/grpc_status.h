// The one place where refusals (refusal.h) meet the wire, both ways: the
// server turns its absl::Status into a grpc::Status, the client library
// turns a grpc::Status back. A refusal keeps its code and message, and its
// reason, metadata and field travel as google.rpc.Status details
// (ErrorInfo, BadRequest) in the grpc-status-details-bin trailer, as
// Google's API guidelines (AIP-193) do: a caller branches on
// ErrorInfo.reason, a person reads the message.
#ifndef ALLIANCE_PROTO_ERRORS_GRPC_STATUS_H_
#define ALLIANCE_PROTO_ERRORS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace alliance {

// OK maps to OK. Any other status keeps its code and message; every payload
// whose type URL names a google.rpc detail is attached as a detail. A status
// with no ErrorInfo gets one with reason "UNSPECIFIED_ERROR" so that every
// refusal carries a reason.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The absl::Status for a gRPC status: same code and message, and each detail
// of the google.rpc.Status in `status.error_details()` attached as a payload
// under its Any type URL (e.g. "type.googleapis.com/google.rpc.ErrorInfo"),
// so GetRefusalDetails reads it. Details that do not parse are dropped; the
// code and message are kept.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace alliance

#endif  // ALLIANCE_PROTO_ERRORS_GRPC_STATUS_H_
