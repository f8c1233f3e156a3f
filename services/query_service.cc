#include "services/query_service.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "proto/errors/grpc_status.h"
#include "proto/errors/refusal.h"
#include "services/domain/authority.h"
#include "services/domain/business_registration.h"
#include "services/domain/streams.h"
#include "services/domain/validation.h"
#include "services/ledger/as_of.h"
#include "services/raw_request.h"
#include "services/unary_answer.h"

namespace alliance {
namespace {

// "KR-44": the longest ISO 3166-2:KR code is 5 bytes; a little room.
constexpr size_t kRegionCodeLengthMax = 8;

constexpr char kGetConsortium[] = "/alliance.v1.QueryService/GetConsortium";
constexpr char kListConsortia[] = "/alliance.v1.QueryService/ListConsortia";
constexpr char kGetProgramSummary[] = "/alliance.v1.QueryService/GetProgramSummary";
constexpr char kGetParticipant[] = "/alliance.v1.QueryService/GetParticipant";
constexpr char kReadEvents[] = "/alliance.v1.QueryService/ReadEvents";

// An answer's bytes, counted in `unsent` from when they are built until gRPC
// releases them (ReplyWith's slice), so that callers who never read cannot
// make the server hold without bound.
class CountedReply {
 public:
  CountedReply(std::string bytes, std::shared_ptr<std::atomic<int64_t>> unsent)
      : bytes_(std::move(bytes)), unsent_(std::move(unsent)) {
    unsent_->fetch_add(static_cast<int64_t>(bytes_.size()));
  }
  ~CountedReply() { unsent_->fetch_sub(static_cast<int64_t>(bytes_.size())); }
  CountedReply(const CountedReply&) = delete;
  CountedReply& operator=(const CountedReply&) = delete;
  const std::string& bytes() const { return bytes_; }

 private:
  const std::string bytes_;
  const std::shared_ptr<std::atomic<int64_t>> unsent_;
};

// RESOURCE_EXHAUSTED while too many answers wait for callers to read them.
absl::Status CheckUnsentReplies(const std::atomic<int64_t>& unsent, int64_t max_bytes) {
  if (unsent.load() <= max_bytes) return absl::OkStatus();
  return Refuse(absl::StatusCode::kResourceExhausted, "REPLIES_UNREAD",
                absl::StrCat("more than ", max_bytes >> 20,
                             " MiB of answers wait for their callers to read them; retry with "
                             "backoff (or read the answers already asked for)"));
}

// PERMISSION_DENIED: the caller's role does not see this consortium (or
// participant); authority.h says who sees what.
absl::Status NotVisible(const v1::Identity& caller, absl::string_view what, absl::string_view id) {
  return Refuse(absl::StatusCode::kPermissionDenied,
                absl::StrCat("ROLE_MAY_NOT_READ_", absl::AsciiStrToUpper(what)),
                absl::StrCat("identity \"", caller.name(), "\" (", v1::Role_Name(caller.role()),
                             ") may not read ", what, " '", id, "'"),
                {{"identity", caller.name()}, {"id", std::string(id)}});
}

// Whether `caller` may read the participant stored as `bytes`.
bool MayReadParticipantBytes(const v1::Identity& caller, const PublishedModels& published,
                             absl::string_view bytes) {
  if (domain::ReadsEverything(caller)) return true;
  v1::ParticipantStatus participant;
  if (!participant.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  return domain::MayReadParticipant(caller, participant, [&](absl::string_view consortium_id) {
    auto it = published.consortia->find(std::string(consortium_id));
    return it == published.consortia->end() ? std::string() : it->second->region_code;
  });
}

// NOT_FOUND with `reason` for a model the published snapshot does not hold.
absl::Status NotInLedger(absl::string_view reason, absl::string_view what, absl::string_view id) {
  return Refuse(absl::StatusCode::kNotFound, reason,
                absl::StrCat(what, " '", id, "' is not in the ledger"), {{"id", std::string(id)}});
}

// `bytes` as the reply, in one slice that holds `owner` (which keeps the
// bytes alive) until gRPC has sent them.
template <typename Owner>
void ReplyWith(std::shared_ptr<const Owner> owner, absl::string_view bytes,
               grpc::ByteBuffer* reply) {
  auto* hold = new std::shared_ptr<const Owner>(std::move(owner));
  grpc::Slice slice(
      const_cast<char*>(bytes.data()), bytes.size(),
      [](void* held) { delete static_cast<std::shared_ptr<const Owner>*>(held); }, hold);
  *reply = grpc::ByteBuffer(&slice, 1);
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

bool Matches(const v1::ListConsortiaRequest& request, const v1::Identity& caller,
             const PublishedConsortium& consortium) {
  if (!domain::MayReadConsortium(caller, consortium.region_code, consortium.participant_ids)) {
    return false;
  }
  if (!request.program_id().empty() && consortium.program_id != request.program_id()) return false;
  if (!request.region_code().empty() && consortium.region_code != request.region_code()) {
    return false;
  }
  if (!request.field().empty() && consortium.field_ko != request.field() &&
      consortium.field_en != request.field()) {
    return false;
  }
  // Current or former members, as the participant index holds them.
  if (!request.participant_id().empty() &&
      std::find(consortium.participant_ids.begin(), consortium.participant_ids.end(),
                request.participant_id()) == consortium.participant_ids.end()) {
    return false;
  }
  if (request.state() != v1::CONSORTIUM_STATE_UNSPECIFIED && consortium.state != request.state()) {
    return false;
  }
  return true;
}

// Appends field `number` of ListConsortiaResponse, length-delimited, to `out`.
void AppendField(int number, absl::string_view bytes, std::string* out) {
  google::protobuf::io::StringOutputStream stream(out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
      number, google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  coded.WriteVarint32(static_cast<uint32_t>(bytes.size()));
  coded.WriteRaw(bytes.data(), static_cast<int>(bytes.size()));
}

// One page as a serialized ListConsortiaResponse: each consortium's stored
// bytes as a `consortia` entry, then the `next_page_token`.
absl::StatusOr<std::string> ListPage(const PublishedModels& models,
                                     const v1::ListConsortiaRequest& request,
                                     const v1::Identity& caller) {
  if (request.page_size() < 0) return InvalidField("page_size", "must not be negative");
  if (!request.program_id().empty()) {
    if (absl::Status s = domain::CheckId("program_id", request.program_id()); !s.ok()) return s;
  }
  if (request.region_code().size() > kRegionCodeLengthMax) {
    return InvalidField("region_code", "is an ISO 3166-2:KR code, like \"KR-44\"");
  }
  if (request.field().size() > domain::kTextLengthMax) {
    return InvalidField("field",
                        absl::StrCat("must be at most ", domain::kTextLengthMax, " bytes"));
  }
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
  std::string page;
  int count = 0;
  auto it =
      after_id->empty() ? models.consortia->begin() : models.consortia->upper_bound(*after_id);
  std::string last_id;
  for (; it != models.consortia->end(); ++it) {
    if (!Matches(request, caller, *it->second)) continue;
    if (count == page_size) {
      // One more match exists: the page is full and another follows.
      AppendField(v1::ListConsortiaResponse::kNextPageTokenFieldNumber,
                  EncodePageToken(request, last_id), &page);
      return page;
    }
    last_id = it->first;
    ++count;
    AppendField(v1::ListConsortiaResponse::kConsortiaFieldNumber, it->second->bytes, &page);
  }
  return page;
}

// Whether a query asks for its model as it stood at some moment.
template <typename Request>
bool WantsAsOf(const Request& request) {
  return request.as_of_position() != 0 || request.has_as_of_time();
}

// The position an as-of query asks for; INVALID_ARGUMENT for both kinds at
// once, OUT_OF_RANGE past the log.
template <typename Request>
absl::StatusOr<uint64_t> AsOfPosition(storage::EventLog& log, const Request& request) {
  if (request.as_of_position() != 0 && request.has_as_of_time()) {
    return InvalidField("as_of_time", "give as_of_position or as_of_time, not both");
  }
  if (request.has_as_of_time()) {
    const absl::Time time = absl::FromUnixSeconds(request.as_of_time().seconds()) +
                            absl::Nanoseconds(request.as_of_time().nanos());
    absl::StatusOr<uint64_t> position = PositionAtTime(log, time);
    if (!position.ok()) return position.status();
    return *position;
  }
  absl::StatusOr<uint64_t> last = log.LastPosition();
  if (!last.ok()) return last.status();
  if (request.as_of_position() > *last) {
    return Refuse(absl::StatusCode::kOutOfRange, "AS_OF_AFTER_LOG",
                  absl::StrCat("as_of_position ", request.as_of_position(),
                               " is past the log, which ends at ", *last),
                  {{"as_of_position", absl::StrCat(request.as_of_position())},
                   {"last_position", absl::StrCat(*last)}});
  }
  return request.as_of_position();
}

// Answers with the model `find` picks from the state as of the request's
// moment (if `visible` to the caller), or NOT_FOUND saying it was not in
// the ledger then. Reads the store and folds up to kCheckpointEvents events
// on the calling thread.
template <typename Request, typename Find, typename Visible>
grpc::ServerUnaryReactor* AnswerAsOf(UnaryAnswer& answer, Ledger& ledger, const Request& request,
                                     Find find, Visible visible, absl::string_view reason,
                                     absl::string_view what, const std::string& id,
                                     grpc::ByteBuffer* reply) {
  std::shared_ptr<storage::EventLog> log = ledger.log();
  absl::StatusOr<uint64_t> as_of = AsOfPosition(*log, request);
  if (!as_of.ok()) return answer.Finish(as_of.status());
  const uint64_t position = *as_of;
  absl::StatusOr<domain::LedgerState> state = StateAsOf(*log, position);
  if (!state.ok()) return answer.Finish(state.status());
  const google::protobuf::Message* model = find(*state);
  if (model == nullptr) {
    return answer.Finish(
        Refuse(absl::StatusCode::kNotFound, reason,
               absl::StrCat(what, " '", id, "' was not in the ledger at position ", position),
               {{"id", id}, {"as_of_position", absl::StrCat(position)}}));
  }
  if (absl::Status seen = visible(*state, *model); !seen.ok()) return answer.Finish(seen);
  auto bytes = std::make_shared<const std::string>(model->SerializeAsString());
  ReplyWith(bytes, *bytes, reply);
  return answer.Finish(absl::OkStatus());
}

template <typename Map>
const google::protobuf::Message* Find(const Map& models, const std::string& id) {
  auto it = models.find(id);
  return it == models.end() ? nullptr : &it->second;
}

}  // namespace

grpc::ServerUnaryReactor* QueryService::GetConsortium(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request_bytes,
                                                      grpc::ByteBuffer* reply) {
  UnaryAnswer answer(context, kGetConsortium);
  absl::StatusOr<v1::Identity> caller = callers_->Admit(*context, kGetConsortium);
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  v1::GetConsortiumRequest request;
  if (absl::Status s = ParseRawRequest(*request_bytes, &request); !s.ok()) return answer.Finish(s);
  answer.set_consortium(request.consortium_id());
  // Checked as a command checks it: an id that cannot be one is refused,
  // and no refusal quotes more than an id's length of it.
  if (absl::Status s = domain::CheckId("consortium_id", request.consortium_id()); !s.ok()) {
    return answer.Finish(s);
  }
  if (WantsAsOf(request)) {
    return AnswerAsOf(
        answer, *ledger_, request,
        [&](const domain::LedgerState& s) { return Find(s.consortia, request.consortium_id()); },
        [&](const domain::LedgerState&, const google::protobuf::Message& model) {
          return domain::MayReadConsortium(*caller, static_cast<const v1::ConsortiumStatus&>(model))
                     ? absl::OkStatus()
                     : NotVisible(*caller, "consortium", request.consortium_id());
        },
        "CONSORTIUM_NOT_FOUND", "consortium", request.consortium_id(), reply);
  }
  const std::shared_ptr<const PublishedModels> published = ledger_->Published();
  auto it = published->consortia->find(request.consortium_id());
  if (it == published->consortia->end()) {
    return answer.Finish(
        NotInLedger("CONSORTIUM_NOT_FOUND", "consortium", request.consortium_id()));
  }
  if (!domain::MayReadConsortium(*caller, it->second->region_code, it->second->participant_ids)) {
    return answer.Finish(NotVisible(*caller, "consortium", request.consortium_id()));
  }
  ReplyWith(it->second, it->second->bytes, reply);
  return answer.Finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* QueryService::ListConsortia(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request_bytes,
                                                      grpc::ByteBuffer* reply) {
  UnaryAnswer answer(context, kListConsortia);
  absl::StatusOr<v1::Identity> caller = callers_->Admit(*context, kListConsortia);
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  v1::ListConsortiaRequest request;
  if (absl::Status s = ParseRawRequest(*request_bytes, &request); !s.ok()) return answer.Finish(s);
  if (absl::Status s = CheckUnsentReplies(*unsent_reply_bytes_, replies_unread_max_bytes_); !s.ok())
    return answer.Finish(s);
  absl::StatusOr<std::string> page = ListPage(*ledger_->Published(), request, *caller);
  if (!page.ok()) return answer.Finish(page.status());
  auto owned = std::make_shared<const CountedReply>(*std::move(page), unsent_reply_bytes_);
  ReplyWith(owned, owned->bytes(), reply);
  return answer.Finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* QueryService::GetProgramSummary(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request_bytes,
                                                          grpc::ByteBuffer* reply) {
  UnaryAnswer answer(context, kGetProgramSummary);
  absl::StatusOr<v1::Identity> caller = callers_->Admit(*context, kGetProgramSummary);
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  v1::GetProgramSummaryRequest request;
  if (absl::Status s = ParseRawRequest(*request_bytes, &request); !s.ok()) return answer.Finish(s);
  if (absl::Status s = domain::CheckId("program_id", request.program_id()); !s.ok()) {
    return answer.Finish(s);
  }
  // A program's totals are every caller's to read: the program is public.
  if (WantsAsOf(request)) {
    return AnswerAsOf(
        answer, *ledger_, request,
        [&](const domain::LedgerState& s) { return Find(s.programs, request.program_id()); },
        [](const domain::LedgerState&, const google::protobuf::Message&) {
          return absl::OkStatus();
        },
        "PROGRAM_NOT_FOUND", "program", request.program_id(), reply);
  }
  const std::shared_ptr<const PublishedModels> published = ledger_->Published();
  auto it = published->programs->find(request.program_id());
  if (it == published->programs->end()) {
    return answer.Finish(NotInLedger("PROGRAM_NOT_FOUND", "program", request.program_id()));
  }
  ReplyWith(it->second, *it->second, reply);
  return answer.Finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* QueryService::GetParticipant(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request_bytes,
                                                       grpc::ByteBuffer* reply) {
  UnaryAnswer answer(context, kGetParticipant);
  absl::StatusOr<v1::Identity> caller = callers_->Admit(*context, kGetParticipant);
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  v1::GetParticipantRequest request;
  if (absl::Status s = ParseRawRequest(*request_bytes, &request); !s.ok()) return answer.Finish(s);
  if (request.participant_id().empty()) return answer.Finish(MissingField("participant_id"));
  if (absl::Status valid = domain::CheckBusinessRegistrationNumber(request.participant_id());
      !valid.ok()) {
    return answer.Finish(InvalidField("participant_id", valid.message()));
  }
  if (WantsAsOf(request)) {
    return AnswerAsOf(
        answer, *ledger_, request,
        [&](const domain::LedgerState& s) {
          return Find(s.participants, request.participant_id());
        },
        [&](const domain::LedgerState& s, const google::protobuf::Message& model) {
          const bool visible = domain::MayReadParticipant(
              *caller, static_cast<const v1::ParticipantStatus&>(model),
              [&](absl::string_view consortium_id) {
                auto it = s.consortia.find(consortium_id);
                return it == s.consortia.end() ? std::string() : it->second.region_code();
              });
          return visible ? absl::OkStatus()
                         : NotVisible(*caller, "participant", request.participant_id());
        },
        "PARTICIPANT_NOT_FOUND", "participant", request.participant_id(), reply);
  }
  const std::shared_ptr<const PublishedModels> published = ledger_->Published();
  auto it = published->participants->find(request.participant_id());
  if (it == published->participants->end()) {
    return answer.Finish(
        NotInLedger("PARTICIPANT_NOT_FOUND", "participant", request.participant_id()));
  }
  if (!MayReadParticipantBytes(*caller, *published, *it->second)) {
    return answer.Finish(NotVisible(*caller, "participant", request.participant_id()));
  }
  ReplyWith(it->second, *it->second, reply);
  return answer.Finish(absl::OkStatus());
}

grpc::ServerUnaryReactor* QueryService::ReadEvents(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request_bytes,
                                                   grpc::ByteBuffer* reply_bytes) {
  UnaryAnswer answer(context, kReadEvents);
  absl::StatusOr<v1::Identity> caller = callers_->Admit(*context, kReadEvents);
  if (!caller.ok()) return answer.Finish(caller.status());
  answer.set_identity(caller->name());
  // The log holds every consortium's events: only the roles that read every
  // consortium read it.
  if (!domain::ReadsEverything(*caller)) {
    return answer.Finish(
        Refuse(absl::StatusCode::kPermissionDenied, "ROLE_MAY_NOT_READ_EVENTS",
               absl::StrCat("identity \"", caller->name(), "\" (", v1::Role_Name(caller->role()),
                            ") may not read the event log; its consortia's status is "
                            "GetConsortium's"),
               {{"identity", caller->name()}}));
  }
  v1::ReadEventsRequest parsed_request;
  if (absl::Status s = ParseRawRequest(*request_bytes, &parsed_request); !s.ok()) {
    return answer.Finish(s);
  }
  const v1::ReadEventsRequest* request = &parsed_request;
  if (absl::Status s = CheckUnsentReplies(*unsent_reply_bytes_, replies_unread_max_bytes_); !s.ok())
    return answer.Finish(s);
  if (request->max_count() < 0)
    return answer.Finish(InvalidField("max_count", "must not be negative"));
  if (request->stream_id().size() > domain::kStreamIdLengthMax) {
    return answer.Finish(
        InvalidField("stream_id", absl::StrCat("must be at most ", domain::kStreamIdLengthMax,
                                               " bytes: consortium-<id> or program-<id>")));
  }
  const int max_count = request->max_count() == 0 ? kReadEventsDefault
                                                  : std::min(request->max_count(), kReadEventsMax);
  const uint64_t from = std::max<uint64_t>(request->from(), 1);
  absl::StatusOr<std::vector<v1::EventEnvelope>> events =
      request->stream_id().empty()
          ? ledger_->log()->ReadAll(from, max_count)
          : ledger_->log()->ReadStream(request->stream_id(), from, max_count);
  if (!events.ok()) return answer.Finish(events.status());
  v1::ReadEventsResponse reply;
  if (static_cast<int>(events->size()) == max_count) {
    const v1::EventEnvelope& last = events->back();
    reply.set_next_from(request->stream_id().empty() ? last.global_position() + 1
                                                     : last.stream_version() + 1);
  }
  for (v1::EventEnvelope& event : *events) *reply.add_events() = std::move(event);
  auto bytes = std::make_shared<const CountedReply>(reply.SerializeAsString(), unsent_reply_bytes_);
  ReplyWith(bytes, bytes->bytes(), reply_bytes);
  return answer.Finish(absl::OkStatus());
}

}  // namespace alliance
