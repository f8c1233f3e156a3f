#include "services/http/http_error.h"

#include "google/rpc/code.pb.h"
#include "google/rpc/status.pb.h"

namespace alliance::http {

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS
      return 500;
  }
}

std::string CodeName(grpc::StatusCode code) {
  const int value = static_cast<int>(code);
  if (!google::rpc::Code_IsValid(value)) return "UNKNOWN";
  return google::rpc::Code_Name(static_cast<google::rpc::Code>(value));
}

v1::HttpError ToHttpError(const grpc::Status& status, int http_status) {
  v1::HttpError error;
  v1::HttpError::Body* body = error.mutable_error();
  body->set_code(http_status != 0 ? http_status : HttpStatusOf(status.error_code()));
  body->set_status(CodeName(status.error_code()));
  body->set_message(status.error_message());
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    *body->mutable_details() = details.details();
  }
  return error;
}

}  // namespace alliance::http
