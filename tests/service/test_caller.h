// The identity a test of the ledger core (no gRPC, no certificates) submits
// a command as: the one its row's authority names (services/domain/
// authority.h), so the core's tests exercise the rules, not the refusals
// of access (access_test.cc and authority_test.cc test those).
#ifndef ALLIANCE_TESTS_SERVICE_TEST_CALLER_H_
#define ALLIANCE_TESTS_SERVICE_TEST_CALLER_H_

#include <functional>
#include <string>

#include "alliance/v1/access.pb.h"
#include "google/protobuf/message.h"
#include "services/domain/authority.h"
#include "services/domain/commands.h"
#include "tests/support/test_participant_id.h"

namespace alliance::testing {

// The ministry's or KIAT's identity by the row's role; for a university's
// command the lead of the request's consortium, `lead_of` it (its
// participant id; "" when the ledger holds no such consortium, and any
// university will do: the rules refuse it).
inline v1::Identity TestCaller(const domain::CommandSpec& spec,
                               const google::protobuf::Message& request,
                               const std::function<std::string(const std::string&)>& lead_of) {
  v1::Identity caller;
  caller.set_role(spec.authority.role);
  switch (spec.authority.role) {
    case v1::ROLE_MINISTRY:
      caller.set_name("ministry");
      caller.set_organisation("MOTIE");
      break;
    case v1::ROLE_MANAGING_AGENCY:
      caller.set_name("kiat");
      caller.set_organisation("KIAT");
      break;
    default: {
      std::string lead = lead_of(domain::ConsortiumOf(request));
      if (lead.empty()) lead = TestParticipantId("some-university");
      caller.set_name("univ-" + lead);
      caller.set_organisation("대학교");
      caller.set_participant_id(lead);
    }
  }
  return caller;
}

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SERVICE_TEST_CALLER_H_
