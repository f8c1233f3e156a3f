#include "services/command_service.h"

#include <cassert>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "alliance/v1/commands.grpc.pb.h"
#include "google/protobuf/util/time_util.h"
#include "proto/errors/grpc_status.h"
#include "proto/errors/refusal.h"
#include "services/access/refusal_log.h"
#include "services/domain/authority.h"
#include "services/domain/commands.h"
#include "services/raw_request.h"

namespace alliance {
namespace {

using google::protobuf::util::TimeUtil;

void ToProto(const AppendResult& result, v1::AppendResult* reply) {
  reply->set_event_id(result.event_id);
  reply->set_stream_id(result.stream_id);
  reply->set_stream_version(result.last_stream_version);
  reply->set_global_position(result.last_global_position);
  *reply->mutable_recorded_at() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(result.recorded_at));
  reply->set_replayed(result.replayed);
  reply->set_first_global_position(result.first_global_position);
  reply->set_first_stream_version(result.first_stream_version);
  reply->set_event_count(
      static_cast<uint32_t>(result.last_global_position - result.first_global_position + 1));
}

// The path every command takes: the request parsed as its row's type, the
// caller identified, validation (on this gRPC thread, so malformed input
// never occupies the decider), then the ledger core, which checks the row's
// authority and the rules and answers after the event is durable.
grpc::ServerUnaryReactor* Handle(Ledger* ledger, const Callers& callers,
                                 const domain::CommandSpec* spec, const std::string& method,
                                 grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* bytes, v1::AppendResult* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Owned by the done callback below, which the core calls last.
  std::shared_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(spec->request_type)
          ->New());
  absl::StatusOr<v1::Identity> caller = callers.Admit(*context, method);
  const std::string identity = caller.ok() ? caller->name() : "";
  auto refuse = [&](const absl::Status& status, absl::string_view consortium_id) {
    LogRefusal(status, method, identity, consortium_id);
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  };
  if (!caller.ok()) return refuse(caller.status(), "");
  if (absl::Status role = domain::AuthorizeRole(*spec, *caller); !role.ok()) {
    return refuse(role, "");
  }
  if (absl::Status parsed = ParseRawRequest(*bytes, request.get()); !parsed.ok()) {
    return refuse(parsed, "");
  }
  if (absl::Status valid = spec->validate(*request); !valid.ok()) {
    return refuse(valid, domain::ConsortiumOf(*request));
  }
  Command command;
  command.spec = spec;
  command.request = request.get();
  command.caller = *std::move(caller);
  command.done = [reactor, reply, request, &method, identity](absl::StatusOr<AppendResult> result) {
    if (!result.ok()) {
      LogRefusal(result.status(), method, identity, domain::ConsortiumOf(*request));
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    ToProto(*result, reply);
    reactor->Finish(grpc::Status::OK);
  };
  ledger->Submit(std::move(command));
  return reactor;
}

// "/alliance.v1.CommandService/<name>" of every row, in the table's order.
// gRPC keeps a method's name as a C string for the service's life: built
// once, never changed, shared by every CommandService.
const std::vector<std::string>& MethodPaths() {
  static const std::vector<std::string>* const paths = [] {
    auto* paths = new std::vector<std::string>();
    for (const domain::CommandSpec& spec : domain::Commands()) {
      paths->push_back(absl::StrCat("/", v1::CommandService::service_full_name(), "/", spec.name));
    }
    return paths;
  }();
  return *paths;
}

}  // namespace

CommandService::CommandService(Ledger* ledger, const Callers* callers)
    : ledger_(ledger), callers_(callers) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          v1::CommandService::service_full_name());
  assert(service != nullptr);
  assert(static_cast<size_t>(service->method_count()) == domain::Commands().size());
  int index = 0;
  for (const domain::CommandSpec& row : domain::Commands()) {
    const domain::CommandSpec* spec = &row;
    // The proto's method of this name takes this row's request type.
    [[maybe_unused]] const google::protobuf::MethodDescriptor* method =
        service->FindMethodByName(std::string(spec->name));
    assert(method != nullptr && method->input_type() == spec->request_type &&
           method->output_type() == v1::AppendResult::descriptor());
    const std::string& path = MethodPaths()[index];
    AddMethod(new grpc::internal::RpcServiceMethod(path.c_str(),
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodCallback(
        index++, new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, v1::AppendResult>(
                     [this, spec, &path](grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request, v1::AppendResult* reply) {
                       return Handle(ledger_, *callers_, spec, path, context, request, reply);
                     }));
  }
}

}  // namespace alliance
