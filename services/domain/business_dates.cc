#include "services/domain/business_dates.h"

#include <cassert>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"
#include "proto/errors/refusal.h"

namespace alliance::domain {
namespace {

// The fields of one event kind the check reads; nullptr where the kind has
// none. Every kind of events.proto has occurred_at (validation requires it).
struct DatedFields {
  const google::protobuf::FieldDescriptor* payload = nullptr;
  const google::protobuf::FieldDescriptor* occurred_at = nullptr;
  const google::protobuf::FieldDescriptor* consortium_id = nullptr;
  const google::protobuf::FieldDescriptor* program_id = nullptr;
};

// By the oneof `kind`'s field number, resolved once.
const DatedFields* FieldsOf(const v1::Event& event) {
  static const absl::flat_hash_map<int, DatedFields>* const fields = [] {
    auto* fields = new absl::flat_hash_map<int, DatedFields>();
    const google::protobuf::OneofDescriptor* kind =
        v1::Event::descriptor()->FindOneofByName("kind");
    assert(kind != nullptr);
    for (int i = 0; i < kind->field_count(); ++i) {
      const google::protobuf::Descriptor* payload = kind->field(i)->message_type();
      assert(payload != nullptr);
      DatedFields& f = (*fields)[kind->field(i)->number()];
      f.payload = kind->field(i);
      f.occurred_at = payload->FindFieldByName("occurred_at");
      f.consortium_id = payload->FindFieldByName("consortium_id");
      f.program_id = payload->FindFieldByName("program_id");
      assert(f.occurred_at != nullptr &&
             f.occurred_at->message_type() == google::protobuf::Timestamp::descriptor());
    }
    return fields;
  }();
  auto it = fields->find(static_cast<int>(event.kind_case()));
  return it == fields->end() ? nullptr : &it->second;
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

std::string Format(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_full, time, absl::UTCTimeZone());
}

// `began` is what started the life the event must lie in ("consortium x
// was selected").
// The server's clock to the second: what a person compares a date with.
std::string FormatSeconds(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

absl::Status OccurredBefore(absl::string_view reason, absl::string_view event_type,
                            absl::Time occurred_at, absl::string_view began, absl::Time bound,
                            absl::string_view id_key, const std::string& id) {
  return Refuse(absl::StatusCode::kFailedPrecondition, reason,
                absl::StrCat("the ", event_type, " is dated ", Format(occurred_at), ", before ",
                             began, " (", Format(bound), "); check occurred_at"),
                {{"occurred_at", Format(occurred_at)},
                 {"not_before", Format(bound)},
                 {std::string(id_key), id}});
}

}  // namespace

absl::Status CheckBusinessDate(const LedgerState& state, const v1::Event& event, absl::Time now) {
  const DatedFields* fields = FieldsOf(event);
  if (fields == nullptr) return absl::OkStatus();  // no kind: CheckDecidedEvents refuses it
  const google::protobuf::Reflection* event_reflection = event.GetReflection();
  const google::protobuf::Message& payload = event_reflection->GetMessage(event, fields->payload);
  const google::protobuf::Reflection* reflection = payload.GetReflection();
  const absl::Time occurred_at = ToTime(static_cast<const google::protobuf::Timestamp&>(
      reflection->GetMessage(payload, fields->occurred_at)));
  const std::string event_type = fields->payload->message_type()->name();

  const absl::Time latest = now + kClockSkewAllowance;
  if (occurred_at > latest) {
    return Refuse(absl::StatusCode::kFailedPrecondition, "OCCURRED_IN_FUTURE",
                  absl::StrCat("the ", event_type, " is dated ", Format(occurred_at),
                               ", after the server's clock (", FormatSeconds(now), ", allowing ",
                               absl::FormatDuration(kClockSkewAllowance),
                               " of clock skew); record an event once it has happened, and check "
                               "occurred_at and your system's clock"),
                  {{"occurred_at", Format(occurred_at)},
                   {"server_time", FormatSeconds(now)},
                   {"clock_skew_allowance", absl::FormatDuration(kClockSkewAllowance)}});
  }

  // The consortium's own life, once it exists; before that (its selection)
  // the program's.
  if (fields->consortium_id != nullptr) {
    const std::string consortium_id = reflection->GetString(payload, fields->consortium_id);
    if (auto it = state.consortia.find(consortium_id); it != state.consortia.end()) {
      const absl::Time selected_at = ToTime(it->second.selected_at());
      if (occurred_at < selected_at) {
        return OccurredBefore("OCCURRED_BEFORE_SELECTION", event_type, occurred_at,
                              absl::StrCat("consortium ", consortium_id, " was selected"),
                              selected_at, "consortium_id", consortium_id);
      }
      return absl::OkStatus();
    }
  }
  if (fields->program_id != nullptr) {
    const std::string program_id = reflection->GetString(payload, fields->program_id);
    if (auto it = state.programs.find(program_id); it != state.programs.end()) {
      const absl::Time established_at = ToTime(it->second.established_at());
      if (occurred_at < established_at) {
        return OccurredBefore("OCCURRED_BEFORE_PROGRAM", event_type, occurred_at,
                              absl::StrCat("program ", program_id, " was established"),
                              established_at, "program_id", program_id);
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace alliance::domain
