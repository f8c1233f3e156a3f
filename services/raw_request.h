// ParseRawRequest: a request that reached a raw gRPC method (a ByteBuffer,
// as CommandService's table-driven methods and QueryService's byte-served
// queries receive it) parsed into `request`, whose type says what it must be.
#ifndef ALLIANCE_SERVICES_RAW_REQUEST_H_
#define ALLIANCE_SERVICES_RAW_REQUEST_H_

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "proto/errors/refusal.h"

namespace alliance {

// OK, or INVALID_ARGUMENT MALFORMED_REQUEST naming the type expected.
inline absl::Status ParseRawRequest(const grpc::ByteBuffer& bytes,
                                    google::protobuf::Message* request) {
  grpc::ByteBuffer copy(bytes);  // shares the slices; the reader consumes its own
  grpc::ProtoBufferReader reader(&copy);
  if (request->ParseFromZeroCopyStream(&reader)) return absl::OkStatus();
  return Refuse(absl::StatusCode::kInvalidArgument, "MALFORMED_REQUEST",
                absl::StrCat("the request is not a valid ", request->GetTypeName()));
}

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_RAW_REQUEST_H_
