// The access files a test's server runs with, made once per test process
// in a temporary folder by the same scripts and files deploy/run.sh uses:
// deploy/pki.sh's development PKI, deploy/identities.textpb's identities
// (plus "stranger", a certificate from the same CA that the registry does
// not hold; "outsider", signed by a CA of its own, and that CA's
// "outsider-server" certificate; and "test-expired", expired, for a test
// to register) and
// deploy/authz-policy.json, which also lets the tests' own identities
// (named test-* and univ-*) send commands.
//
//   const TestAccess& access = TestAccess::Get();
//   args.push_back("--identities=" + access.identities_path());  // or ServerFlags()
//   OpenChannel(address, access.Files("kiat"));                  // clients/channel.h
//
// Tests that select made-up consortia need their lead universities as
// identities: AddUniversity registers one (a certificate named
// univ-<participant_id>, a registry entry) and the server's registry is
// re-read (IdentityRegistry::Reload, or SIGHUP to allianced).
//
// Not thread-safe; the folder is removed when the process exits.
#ifndef ALLIANCE_TESTS_SUPPORT_TEST_ACCESS_H_
#define ALLIANCE_TESTS_SUPPORT_TEST_ACCESS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace alliance::testing {

class TestAccess {
 public:
  // The process's access files, made on first use; aborts (with the
  // script's output) when they cannot be made.
  static TestAccess& Get();

  const std::string& pki_dir() const { return pki_dir_; }
  const std::string& identities_path() const { return identities_path_; }
  const std::string& policy_path() const { return policy_path_; }
  std::string ca_path() const { return pki_dir_ + "/ca.crt"; }
  std::string certificate_path(absl::string_view name) const;
  std::string key_path(absl::string_view name) const;

  // Channel credentials presenting `identity`'s certificate.
  std::shared_ptr<grpc::ChannelCredentials> Credentials(absl::string_view identity) const;
  // TLS server credentials of the PKI's server certificate, asking no
  // client certificate: for a test's own stand-in server.
  std::shared_ptr<grpc::ServerCredentials> StandInServerCredentials() const;

  // allianced's flags for these files (TLS, registry, method policy).
  std::vector<std::string> ServerFlags() const;
  // Only the TLS ones: --tls_cert, --tls_key, --tls_client_ca.
  std::vector<std::string> TlsFlags() const;
  // alliancectl's flags to call as `identity`.
  std::vector<std::string> ClientFlags(absl::string_view identity) const;

  // The name of the university identity of `participant_id`, registering
  // it (certificate and registry entry) when new.
  absl::StatusOr<std::string> AddUniversity(absl::string_view participant_id);
  // Registers identity `name` (test-*: the method policy lets it send
  // commands) with `fields`, the rest of its registry entry in text format
  // ("role: ROLE_ENTERPRISE organisation: \"X\" participant_id: \"...\""),
  // and makes its certificate. A name already added is left as it is.
  absl::Status AddIdentity(absl::string_view name, absl::string_view fields);

 private:
  TestAccess() = default;
  absl::Status Make();
  absl::Status Certify(const std::vector<std::string>& names);

  std::string dir_;
  std::string pki_dir_;
  std::string identities_path_;
  std::string policy_path_;
  absl::flat_hash_set<std::string> added_;
};

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SUPPORT_TEST_ACCESS_H_
