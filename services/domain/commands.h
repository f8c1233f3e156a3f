// The command table: one row for each command of alliance.v1.CommandService,
// naming its RPC, its request type, the stream its events go to, its
// stateless validation, who may record it and its rules. Each concept file (program.cc,
// selection.cc, funding.cc, researchers.cc, oversight.cc) writes its rows
// beside its rules (command_row.h); this table is their concatenation. The
// gRPC service registers one method per row (services/command_service.h),
// the ledger core decides through the row, and alliancectl and its seed
// loader build and send requests by it: a command is written once.
//
// A new command touches four files: commands.proto (its RPC and request),
// its concept's header (its functions, its refusals) and .cc (validate,
// decide, its row), and its command line in clients/alliancectl.cc. A new
// kind of event adds events.proto and its fold (fold.cc).
//
//   const CommandSpec* spec = FindCommand("DisburseFunds");
//   if (absl::Status valid = spec->validate(request); !valid.ok()) ...
//   absl::StatusOr<std::vector<v1::Event>> events = spec->decide(state, request, now);
//
// Rows hold plain function pointers over google::protobuf::Message; each
// row's functions downcast to the row's request type, which the caller
// guarantees (REQUIRES: request.GetDescriptor() == spec->request_type).
#ifndef ALLIANCE_SERVICES_DOMAIN_COMMANDS_H_
#define ALLIANCE_SERVICES_DOMAIN_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/events.pb.h"
#include "google/protobuf/message.h"
#include "services/domain/authority.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

struct CommandSpec {
  // The RPC's name in CommandService ("DisburseFunds"); also the first part
  // of the command's fingerprint.
  absl::string_view name;
  const google::protobuf::Descriptor* request_type;
  // The request's CommandMeta (event id, expected version, correlation id).
  const v1::CommandMeta& (*meta)(const google::protobuf::Message& request);
  v1::CommandMeta* (*mutable_meta)(google::protobuf::Message* request);
  // The stream the command's events are appended to; "" when the request
  // names none (validate refuses it first).
  std::string (*stream_id)(const google::protobuf::Message& request);
  // Stateless checks (validation.h and the concept's header): OK or
  // INVALID_ARGUMENT naming the field.
  absl::Status (*validate)(const google::protobuf::Message& request);
  // The rules (the concept's header: program.h, selection.h, funding.h,
  // researchers.h, oversight.h), then each event's business date
  // (business_dates.h) against `now`, the server's clock: the events to
  // append, 1 to kCommandEventsMax, or a refusal. REQUIRES: validate passed.
  absl::StatusOr<std::vector<v1::Event>> (*decide)(const LedgerState& state,
                                                   const google::protobuf::Message& request,
                                                   absl::Time now);
  // Who may record it (authority.h), checked before `decide`.
  Authority authority;
};

// Events one command may append: a payment run's payments are one command.
inline constexpr size_t kCommandEventsMax = 1000;

// The name of the event's kind ("FundsDisbursed"), as EventEnvelope.event_type
// records it; "" when no kind is set.
absl::string_view EventTypeName(const v1::Event& event);

// Every command, in CommandService's order.
absl::Span<const CommandSpec> Commands();

// The row of RPC `name`; nullptr when there is none.
const CommandSpec* FindCommand(absl::string_view name);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_COMMANDS_H_
