// How a concept file (program.cc, funding.cc, ...) writes the rows of its
// commands for the command table (commands.h): a row is its request type,
// the function naming its stream, its Validate* and its Decide*, under its
// RPC's name, with who may record it (authority.h):
//
//   Row<v1::DisburseFundsRequest, DisburseFundsStream, ValidateDisburseFunds,
//       DecideDisburseFunds>("DisburseFunds", kByManagingAgency)
//
// The row's decide runs the command's rules, then the business date of each
// event they decided (business_dates.h). For the concept files only.
#ifndef ALLIANCE_SERVICES_DOMAIN_COMMAND_ROW_H_
#define ALLIANCE_SERVICES_DOMAIN_COMMAND_ROW_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/v1/events.pb.h"
#include "google/protobuf/message.h"
#include "services/domain/business_dates.h"
#include "services/domain/commands.h"
#include "services/domain/ledger_state.h"
#include "services/domain/streams.h"

namespace alliance::domain {
namespace command_row_internal {

inline absl::StatusOr<std::vector<v1::Event>> AsEvents(absl::StatusOr<v1::Event> event) {
  if (!event.ok()) return event.status();
  std::vector<v1::Event> events;
  events.push_back(*std::move(event));
  return events;
}
inline absl::StatusOr<std::vector<v1::Event>> AsEvents(
    absl::StatusOr<std::vector<v1::Event>> events) {
  return events;
}

// The command's rules, then the business date of each event it decided.
template <typename Request, auto Decide>
absl::StatusOr<std::vector<v1::Event>> DecideDated(const LedgerState& state, const Request& request,
                                                   absl::Time now) {
  absl::StatusOr<std::vector<v1::Event>> events = AsEvents(Decide(state, request));
  if (!events.ok()) return events;
  for (const v1::Event& event : *events) {
    if (absl::Status dated = CheckBusinessDate(state, event, now); !dated.ok()) return dated;
  }
  return events;
}

}  // namespace command_row_internal

// One row: the typed functions behind the table's Message-typed pointers.
template <typename Request, std::string (*Stream)(const Request&),
          absl::Status (*Validate)(const Request&), auto Decide>
CommandSpec Row(absl::string_view name, Authority authority) {
  return CommandSpec{
      name,
      Request::descriptor(),
      [](const google::protobuf::Message& request) -> const v1::CommandMeta& {
        return static_cast<const Request&>(request).meta();
      },
      [](google::protobuf::Message* request) {
        return static_cast<Request*>(request)->mutable_meta();
      },
      [](const google::protobuf::Message& request) {
        return Stream(static_cast<const Request&>(request));
      },
      [](const google::protobuf::Message& request) {
        return Validate(static_cast<const Request&>(request));
      },
      [](const LedgerState& state, const google::protobuf::Message& request, absl::Time now) {
        return command_row_internal::DecideDated<Request, Decide>(
            state, static_cast<const Request&>(request), now);
      },
      authority,
  };
}

// The stream of a request that names its consortium at the top.
template <typename Request>
std::string FlatStream(const Request& request) {
  return ConsortiumStreamId(request.consortium_id());
}

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_COMMAND_ROW_H_
