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
#include "services/domain/commands.h"
#include "services/raw_request.h"

namespace alliance {
namespace {

using google::protobuf::util::TimeUtil;

// The header's value, or "" when absent.
std::string Header(const grpc::CallbackServerContext& context, const char* name) {
  auto it = context.client_metadata().find(name);
  if (it == context.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::StatusOr<v1::Recorder> Authenticate(const grpc::CallbackServerContext& context) {
  v1::Recorder recorder;
  recorder.set_agency(Header(context, kAgencyHeader));
  recorder.set_principal(Header(context, kPrincipalHeader));
  if (recorder.agency().empty() || recorder.principal().empty()) {
    return Refuse(absl::StatusCode::kUnauthenticated, "RECORDER_MISSING",
                  absl::StrCat("commands must name who records them: send the metadata headers ",
                               kAgencyHeader, " (e.g. KIAT) and ", kPrincipalHeader,
                               " (the person or system)"));
  }
  if (recorder.agency().size() > kRecorderNameMax ||
      recorder.principal().size() > kRecorderNameMax) {
    return Refuse(absl::StatusCode::kInvalidArgument, "RECORDER_TOO_LONG",
                  absl::StrCat(kAgencyHeader, " and ", kPrincipalHeader, " may hold at most ",
                               kRecorderNameMax, " bytes each"));
  }
  return recorder;
}

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

// The path every command takes: the request parsed as its row's type,
// identity, validation (on this gRPC thread, so malformed input never
// occupies the decider), then the ledger core, which answers after the
// event is durable.
grpc::ServerUnaryReactor* Handle(Ledger* ledger, const domain::CommandSpec* spec,
                                 grpc::CallbackServerContext* context,
                                 const grpc::ByteBuffer* bytes, v1::AppendResult* reply) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // Owned by the done callback below, which the core calls last.
  std::shared_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(spec->request_type)
          ->New());
  if (absl::Status parsed = ParseRawRequest(*bytes, request.get()); !parsed.ok()) {
    reactor->Finish(ToGrpcStatus(parsed));
    return reactor;
  }
  absl::StatusOr<v1::Recorder> recorder = Authenticate(*context);
  if (!recorder.ok()) {
    reactor->Finish(ToGrpcStatus(recorder.status()));
    return reactor;
  }
  if (absl::Status valid = spec->validate(*request); !valid.ok()) {
    reactor->Finish(ToGrpcStatus(valid));
    return reactor;
  }
  Command command;
  command.spec = spec;
  command.request = request.get();
  command.recorded_by = *std::move(recorder);
  command.done = [reactor, reply, request](absl::StatusOr<AppendResult> result) {
    if (!result.ok()) {
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

CommandService::CommandService(Ledger* ledger) : ledger_(ledger) {
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
    AddMethod(new grpc::internal::RpcServiceMethod(MethodPaths()[index].c_str(),
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
    MarkMethodCallback(index++,
                       new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, v1::AppendResult>(
                           [this, spec](grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request, v1::AppendResult* reply) {
                             return Handle(ledger_, spec, context, request, reply);
                           }));
  }
}

}  // namespace alliance
