// A unary call's answer, given once: the status as gRPC's (with its
// ErrorInfo, proto/errors/grpc_status.h), and for a refusal one structured
// log line (access/refusal_log.h) naming the caller, the method and the
// consortium the call was about. The query and audit services answer
// through it, so no refusal goes unlogged.
//
//   UnaryAnswer answer(context, "/alliance.v1.QueryService/GetConsortium");
//   answer.set_consortium(request.consortium_id());
//   if (!caller.ok()) return answer.Finish(caller.status());
//   answer.set_identity(caller->name());
//   ...
//   return answer.Finish(absl::OkStatus());
#ifndef ALLIANCE_SERVICES_UNARY_ANSWER_H_
#define ALLIANCE_SERVICES_UNARY_ANSWER_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/errors/grpc_status.h"
#include "services/access/refusal_log.h"

namespace alliance {

class UnaryAnswer {
 public:
  UnaryAnswer(grpc::CallbackServerContext* context, absl::string_view method)
      : context_(context), method_(method) {}

  void set_identity(std::string identity) { identity_ = std::move(identity); }
  void set_consortium(std::string consortium_id) { consortium_ = std::move(consortium_id); }

  // Finishes the call with `status`, logging it when it is a refusal.
  grpc::ServerUnaryReactor* Finish(const absl::Status& status) {
    if (!status.ok()) LogRefusal(status, method_, identity_, consortium_);
    grpc::ServerUnaryReactor* reactor = context_->DefaultReactor();
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }

 private:
  grpc::CallbackServerContext* const context_;
  const absl::string_view method_;
  std::string identity_;
  std::string consortium_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_UNARY_ANSWER_H_
