#include "services/query_service.h"

#include <grpcpp/support/proto_buffer_reader.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "proto/errors/grpc_status.h"
#include "proto/errors/refusal.h"
#include "services/domain/business_registration.h"

namespace alliance {
namespace {

grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// NOT_FOUND with `reason` for a model the published snapshot does not hold.
absl::Status NotInLedger(absl::string_view reason, absl::string_view what, absl::string_view id) {
  return Refuse(absl::StatusCode::kNotFound, reason,
                absl::StrCat(what, " '", id, "' is not in the ledger"), {{"id", std::string(id)}});
}

// Copies the model under `id` of `models` into *reply.
template <typename Model>
absl::Status CopyModel(const absl::btree_map<std::string, std::shared_ptr<const Model>>& models,
                       absl::string_view reason, absl::string_view what, const std::string& id,
                       Model* reply) {
  auto it = models.find(id);
  if (it == models.end()) return NotInLedger(reason, what, id);
  *reply = *it->second;
  return absl::OkStatus();
}

// The filters a page token was issued for, so it cannot be replayed with
// others: the fields joined by '\0', which none of them may hold.
std::string FilterKey(const v1::ListConsortiaRequest& request) {
  return absl::StrCat(request.program_id(), absl::string_view("\0", 1), request.region_code(),
                      absl::string_view("\0", 1), request.field(), absl::string_view("\0", 1),
                      request.participant_id(), absl::string_view("\0", 1),
                      static_cast<int>(request.state()));
}

std::string EncodePageToken(const v1::ListConsortiaRequest& request,
                            absl::string_view last_consortium_id) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(FilterKey(request), absl::string_view("\x01", 1), last_consortium_id));
}

// The last consortium id of the previous page; "" for the first page.
absl::StatusOr<std::string> DecodePageToken(const v1::ListConsortiaRequest& request) {
  if (request.page_token().empty()) return std::string();
  std::string raw;
  std::string prefix = absl::StrCat(FilterKey(request), absl::string_view("\x01", 1));
  if (!absl::WebSafeBase64Unescape(request.page_token(), &raw) || raw.rfind(prefix, 0) != 0) {
    return InvalidField("page_token",
                        "is not a token this server issued for these filters; send the "
                        "next_page_token of the previous response with the same filters");
  }
  return raw.substr(prefix.size());
}

bool Matches(const v1::ListConsortiaRequest& request, const v1::ConsortiumStatus& status) {
  if (!request.program_id().empty() && status.program_id() != request.program_id()) return false;
  if (!request.region_code().empty() && status.region_code() != request.region_code()) return false;
  if (!request.field().empty() && status.field_ko() != request.field() &&
      status.field_en() != request.field()) {
    return false;
  }
  if (!request.participant_id().empty()) {
    // Current or former members, as the participant index holds them.
    bool member =
        std::any_of(status.members().begin(), status.members().end(), [&](const v1::Membership& m) {
          return m.participant().participant_id() == request.participant_id();
        });
    if (!member) return false;
  }
  if (request.state() != v1::CONSORTIUM_STATE_UNSPECIFIED && status.state() != request.state()) {
    return false;
  }
  return true;
}

absl::Status ListPage(const PublishedModels& models, const v1::ListConsortiaRequest& request,
                      v1::ListConsortiaResponse* reply) {
  if (request.page_size() < 0) return InvalidField("page_size", "must not be negative");
  if (!request.participant_id().empty()) {
    if (absl::Status valid = domain::CheckBusinessRegistrationNumber(request.participant_id());
        !valid.ok()) {
      return InvalidField("participant_id", valid.message());
    }
  }
  if (!v1::ConsortiumState_IsValid(request.state())) {
    return InvalidField("state", "is not a known ConsortiumState; leave it unset for any state");
  }
  int page_size = request.page_size() == 0 ? kListPageSizeDefault
                                           : std::min(request.page_size(), kListPageSizeMax);
  absl::StatusOr<std::string> after_id = DecodePageToken(request);
  if (!after_id.ok()) return after_id.status();

  // Every consortium in id order, filtered: the program has tens of them,
  // so a scan of the published map costs less than keeping indexes of it.
  auto it =
      after_id->empty() ? models.consortia->begin() : models.consortia->upper_bound(*after_id);
  std::string last_id;
  for (; it != models.consortia->end(); ++it) {
    const v1::ConsortiumStatus& status = *it->second;
    if (!Matches(request, status)) continue;
    if (reply->consortia_size() == page_size) {
      // One more match exists: the page is full and another follows.
      reply->set_next_page_token(EncodePageToken(request, last_id));
      return absl::OkStatus();
    }
    last_id = it->first;
    *reply->add_consortia() = status;
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* QueryService::GetConsortium(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request_bytes,
                                                      grpc::ByteBuffer* reply) {
  v1::GetConsortiumRequest request;
  {
    grpc::ByteBuffer copy(*request_bytes);  // shares the slices; the reader consumes its own
    grpc::ProtoBufferReader reader(&copy);
    if (!request.ParseFromZeroCopyStream(&reader)) {
      return Answer(context, Refuse(absl::StatusCode::kInvalidArgument, "MALFORMED_REQUEST",
                                    "the request is not a valid alliance.v1.GetConsortiumRequest"));
    }
  }
  if (request.consortium_id().empty()) return Answer(context, MissingField("consortium_id"));
  const std::shared_ptr<const PublishedModels> published = ledger_->Published();
  auto it = published->consortium_bytes->find(request.consortium_id());
  if (it == published->consortium_bytes->end()) {
    return Answer(context,
                  NotInLedger("CONSORTIUM_NOT_FOUND", "consortium", request.consortium_id()));
  }
  // The slice holds a reference to the bytes until gRPC has sent them.
  auto* hold = new std::shared_ptr<const std::string>(it->second);
  grpc::Slice slice(
      const_cast<char*>((*hold)->data()), (*hold)->size(),
      [](void* held) { delete static_cast<std::shared_ptr<const std::string>*>(held); }, hold);
  *reply = grpc::ByteBuffer(&slice, 1);
  return Answer(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* QueryService::ListConsortia(grpc::CallbackServerContext* context,
                                                      const v1::ListConsortiaRequest* request,
                                                      v1::ListConsortiaResponse* reply) {
  absl::Status status = ListPage(*ledger_->Published(), *request, reply);
  if (!status.ok()) reply->Clear();
  return Answer(context, status);
}

grpc::ServerUnaryReactor* QueryService::GetProgramSummary(
    grpc::CallbackServerContext* context, const v1::GetProgramSummaryRequest* request,
    v1::ProgramSummary* reply) {
  if (request->program_id().empty()) return Answer(context, MissingField("program_id"));
  return Answer(context, CopyModel(*ledger_->Published()->programs, "PROGRAM_NOT_FOUND", "program",
                                   request->program_id(), reply));
}

grpc::ServerUnaryReactor* QueryService::GetParticipant(grpc::CallbackServerContext* context,
                                                       const v1::GetParticipantRequest* request,
                                                       v1::ParticipantStatus* reply) {
  if (request->participant_id().empty()) return Answer(context, MissingField("participant_id"));
  if (absl::Status valid = domain::CheckBusinessRegistrationNumber(request->participant_id());
      !valid.ok()) {
    return Answer(context, InvalidField("participant_id", valid.message()));
  }
  return Answer(context, CopyModel(*ledger_->Published()->participants, "PARTICIPANT_NOT_FOUND",
                                   "participant", request->participant_id(), reply));
}

grpc::ServerUnaryReactor* QueryService::ReadEvents(grpc::CallbackServerContext* context,
                                                   const v1::ReadEventsRequest* request,
                                                   v1::ReadEventsResponse* reply) {
  if (request->max_count() < 0)
    return Answer(context, InvalidField("max_count", "must not be negative"));
  const int max_count = request->max_count() == 0 ? kReadEventsDefault
                                                  : std::min(request->max_count(), kReadEventsMax);
  const uint64_t from = std::max<uint64_t>(request->from(), 1);
  absl::StatusOr<std::vector<v1::EventEnvelope>> events =
      request->stream_id().empty()
          ? ledger_->log()->ReadAll(from, max_count)
          : ledger_->log()->ReadStream(request->stream_id(), from, max_count);
  if (!events.ok()) return Answer(context, events.status());
  if (static_cast<int>(events->size()) == max_count) {
    const v1::EventEnvelope& last = events->back();
    reply->set_next_from(request->stream_id().empty() ? last.global_position() + 1
                                                      : last.stream_version() + 1);
  }
  for (v1::EventEnvelope& event : *events) *reply->add_events() = std::move(event);
  return Answer(context, absl::OkStatus());
}

}  // namespace alliance
