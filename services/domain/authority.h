// Who may do what: the program's division of labour (alliance.v1.Role,
// access.proto) as rules over the caller's identity, decided like every
// other rule, against the ledger's state.
//
// Each command's row in the command table names its Authority (command_row.h);
// the ledger core checks it before the command's own rules, on the decider
// thread, against the same state. The query services ask MayRead* of every
// model they answer with or list. The caller's identity comes from its
// verified client certificate and the operator's registry, never from the
// request (services/access/).
//
//   if (absl::Status s = Authorize(*spec, state, request, caller); !s.ok()) return s;
//   if (!MayReadConsortium(caller, status)) ... refuse, or leave it out of a list
#ifndef ALLIANCE_SERVICES_DOMAIN_AUTHORITY_H_
#define ALLIANCE_SERVICES_DOMAIN_AUTHORITY_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "alliance/v1/access.pb.h"
#include "alliance/v1/queries.pb.h"
#include "google/protobuf/message.h"
#include "services/domain/ledger_state.h"

namespace alliance::domain {

struct CommandSpec;

// Who may record a command: one role, and for a university only in the
// consortia it leads (the request's `consortium_id`).
struct Authority {
  v1::Role role = v1::ROLE_UNSPECIFIED;
  bool lead_of_consortium = false;
};
inline constexpr Authority kByMinistry{v1::ROLE_MINISTRY};
inline constexpr Authority kByManagingAgency{v1::ROLE_MANAGING_AGENCY};
inline constexpr Authority kByLeadUniversity{v1::ROLE_UNIVERSITY, /*lead_of_consortium=*/true};

// OK when `caller` may record `spec`'s command `request` as the ledger
// stands (`state`). Otherwise PERMISSION_DENIED naming the rule:
// ROLE_MAY_NOT_<COMMAND> (e.g. ROLE_MAY_NOT_DISBURSE_FUNDS) when the
// caller's role does not record this command, NOT_LEAD_UNIVERSITY when a
// university records in a consortium it does not lead (one the ledger does
// not hold is left to the command's rules, which refuse it NOT_FOUND).
absl::Status Authorize(const CommandSpec& spec, const LedgerState& state,
                       const google::protobuf::Message& request, const v1::Identity& caller);

// Whether `identity` records commands of `authority` in a consortium whose
// lead university is `lead_participant_id` (looked at only when the
// authority is the lead's). Authorize decides with it; clients choose whom
// to send a command as with it (alliancectl seed).
bool Records(const Authority& authority, const v1::Identity& identity,
             absl::string_view lead_participant_id);

// The consortium a command's request names: its `consortium_id`, or that
// of the event it carries (RecordHireRequest.hire; of a run's first,
// DisburseFundsBatchRequest.disbursements); "" when none.
std::string ConsortiumOf(const google::protobuf::Message& request);

// The part of Authorize that needs no state: OK when `caller`'s role is
// the one `spec`'s command is recorded by. The services check it before
// validating a request (a caller that may never record a command learns
// that, not what is wrong with its request); Authorize checks it again.
absl::Status AuthorizeRole(const CommandSpec& spec, const v1::Identity& caller);

// ROLE_MAY_NOT_DISBURSE_FUNDS for "DisburseFunds".
std::string RoleMayNotReason(absl::string_view command_name);

// Whether `caller` may read the consortium: the ministry, the managing
// agency and auditors every one; a regional government those of its region;
// a university or an enterprise those it is or was a member of.
// `member_ids`: every member's participant_id, current or former.
bool MayReadConsortium(const v1::Identity& caller, absl::string_view region_code,
                       absl::Span<const std::string> member_ids);
bool MayReadConsortium(const v1::Identity& caller, const v1::ConsortiumStatus& consortium);
// Whether `caller` may read the participant: those who read every
// consortium, every participant; a university or an enterprise itself; a
// regional government one with a membership in a consortium of its region
// (`region_of` a consortium id: its region code, "" when unknown).
bool MayReadParticipant(const v1::Identity& caller, const v1::ParticipantStatus& participant,
                        absl::FunctionRef<std::string(absl::string_view)> region_of);
// Whether `caller` reads every consortium (lists need no filter).
bool ReadsEverything(const v1::Identity& caller);

}  // namespace alliance::domain

#endif  // ALLIANCE_SERVICES_DOMAIN_AUTHORITY_H_
