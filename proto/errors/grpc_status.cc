#include "proto/errors/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "proto/errors/refusal.h"

namespace alliance {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  google::rpc::Status details;
  details.set_code(static_cast<int>(status.code()));
  details.set_message(std::string(status.message()));
  bool has_error_info = false;
  status.ForEachPayload([&](absl::string_view type_url, const absl::Cord& payload) {
    if (!absl::StartsWith(type_url, "type.googleapis.com/google.rpc.")) return;
    google::protobuf::Any* any = details.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
    if (absl::EndsWith(type_url, ".ErrorInfo")) has_error_info = true;
  });
  if (!has_error_info) {
    google::rpc::ErrorInfo info;
    info.set_reason("UNSPECIFIED_ERROR");
    info.set_domain(std::string(kErrorDomain));
    details.add_details()->PackFrom(info);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // grpc::StatusCode and absl::StatusCode share the canonical numbering
  // (google.rpc.Code), so the cast keeps the code.
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  if (status.error_details().empty()) return converted;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return converted;
  for (const google::protobuf::Any& detail : details.details()) {
    // The payload is the Any's value under its type URL: the form Refuse
    // writes, so GetRefusalDetails reads it back.
    converted.SetPayload(detail.type_url(), absl::Cord(detail.value()));
  }
  return converted;
}

}  // namespace alliance
