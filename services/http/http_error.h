// A refusal as the JSON/HTTP face answers it: AIP-193's HTTP/1.1 JSON error
// (proto/alliance/v1/http_error.proto), its HTTP status from AIP-193's table
// of gRPC codes, its details the google.rpc.Status's (ErrorInfo, BadRequest).
#ifndef ALLIANCE_SERVICES_HTTP_HTTP_ERROR_H_
#define ALLIANCE_SERVICES_HTTP_HTTP_ERROR_H_

#include <grpcpp/support/status.h>

#include <string>

#include "alliance/v1/http_error.pb.h"

namespace alliance::http {

// AIP-193's HTTP status of `code`: 400 for INVALID_ARGUMENT,
// FAILED_PRECONDITION and OUT_OF_RANGE, 401, 403, 404, 409 for
// ALREADY_EXISTS and ABORTED, 429, 499, 501, 503, 504, else 500.
int HttpStatusOf(grpc::StatusCode code);

// google.rpc.Code's name of `code` ("NOT_FOUND"); "UNKNOWN" past the table.
std::string CodeName(grpc::StatusCode code);

// The error body of `status`: `code` its HTTP status (`http_status` when
// non-zero, for a case HTTP has a code of its own for), `status` its code's
// name, the message, and the details of its google.rpc.Status.
v1::HttpError ToHttpError(const grpc::Status& status, int http_status = 0);

}  // namespace alliance::http

#endif  // ALLIANCE_SERVICES_HTTP_HTTP_ERROR_H_
