#include "tests/support/test_access.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/whole_file.h"

namespace alliance::testing {
namespace {

// Runs `command` with the shell; its output goes to the test's stderr.
absl::Status Run(const std::string& command) {
  const int status = std::system(command.c_str());
  if (status != 0) {
    return absl::InternalError(absl::StrCat("`", command, "` exited with ", status));
  }
  return absl::OkStatus();
}

std::string Quote(absl::string_view text) { return absl::StrCat("'", text, "'"); }

// A file's text, "" when it cannot be read (what is read from it then fails
// to verify or parse, with a message of its own).
std::string ReadText(const std::string& path) { return ReadWholeFile(path).value_or(""); }

constexpr char kPkiScript[] = ALLIANCE_SOURCE_DIR "/deploy/pki.sh";
constexpr char kDeployIdentities[] = ALLIANCE_SOURCE_DIR "/deploy/identities.textpb";
constexpr char kDeployPolicy[] = ALLIANCE_SOURCE_DIR "/deploy/authz-policy.json";
// Not in the registry: a certificate of the right form from the right CA,
// and one from a CA of its own.
constexpr char kStranger[] = "stranger";
constexpr char kOutsider[] = "outsider";

}  // namespace

TestAccess& TestAccess::Get() {
  static TestAccess* const access = [] {
    auto* made = new TestAccess();
    if (absl::Status s = made->Make(); !s.ok()) {
      std::cerr << "cannot make the test's access files: " << s << "\n";
      std::abort();
    }
    return made;
  }();
  return *access;
}

std::string TestAccess::certificate_path(absl::string_view name) const {
  return absl::StrCat(pki_dir_, "/", name, ".crt");
}
std::string TestAccess::key_path(absl::string_view name) const {
  return absl::StrCat(pki_dir_, "/", name, ".key");
}

absl::Status TestAccess::Certify(const std::vector<std::string>& names) {
  std::vector<std::string> quoted;
  for (const std::string& name : names) quoted.push_back(Quote(name));
  return Run(absl::StrCat("bash ", kPkiScript, " ", Quote(pki_dir_), " ",
                          absl::StrJoin(quoted, " "), " >&2"));
}

// The PKI every test process starts from, made once per user and content
// of the files it is made from (deploy/pki.sh, deploy/identities.textpb):
// certifying ten names takes most of a second, and every test case is a
// process of its own. Made in a folder of its own, then renamed into place,
// so a process never sees half of it.
static absl::StatusOr<std::string> SharedPki() {
  const std::string script = ReadText(kPkiScript);
  const std::string registry_text = ReadText(kDeployIdentities);
  // What this function makes besides the registry's names: a change to it
  // changes this string, and so the folder.
  constexpr char kExtras[] = "stranger, test-expired (-1 days), outsider and outsider-server";
  const std::string shared =
      absl::StrCat("/tmp/alliance-test-pki-", getuid(), "-",
                   std::hash<std::string>()(absl::StrCat(script, registry_text, kExtras)));
  if (std::filesystem::exists(shared + "/done")) return shared;
  char pattern[] = "/tmp/alliance-test-pki-new-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return absl::InternalError("mkdtemp failed");
  const std::string fresh = pattern;
  // Every name deploy/identities.textpb registers (its `name: "..."`).
  // Scanned by hand: std::regex trips GCC 12's -Wmaybe-uninitialized under
  // ASan.
  std::vector<std::string> names;
  for (size_t at = registry_text.find("name:"); at != std::string::npos;
       at = registry_text.find("name:", at + 1)) {
    const size_t open = registry_text.find('"', at);
    const size_t close = open == std::string::npos ? open : registry_text.find('"', open + 1);
    if (close == std::string::npos) break;
    names.push_back(Quote(registry_text.substr(open + 1, close - open - 1)));
  }
  if (names.empty()) return absl::InternalError("deploy/identities.textpb names no identity");
  names.push_back(kStranger);
  if (absl::Status s = Run(absl::StrCat("bash ", kPkiScript, " ", Quote(fresh), " ",
                                        absl::StrJoin(names, " "), " >&2"));
      !s.ok()) {
    return s;
  }
  // A registered name's certificate that has expired (the tests register
  // "test-expired"; its certificate is kept as made here).
  if (absl::Status s = Run(absl::StrCat("ALLIANCE_PKI_LEAF_DAYS=-1 bash ", kPkiScript, " ",
                                        Quote(fresh), " test-expired >&2"));
      !s.ok()) {
    return s;
  }
  // A certificate of the right form from a CA the server does not trust.
  if (absl::Status s = Run(absl::StrCat(
          "bash ", kPkiScript, " ", Quote(fresh + "-other"), " ", kOutsider, " >&2 && cp ",
          Quote(fresh + "-other/"), kOutsider, ".crt ", Quote(fresh + "-other/"), kOutsider,
          ".key ", Quote(fresh), " && cp ", Quote(fresh + "-other/server.crt"), " ",
          Quote(fresh + "/outsider-server.crt"), " && cp ", Quote(fresh + "-other/server.key"), " ",
          Quote(fresh + "/outsider-server.key"), " && rm -rf ", Quote(fresh + "-other"),
          " && touch ", Quote(fresh + "/done")));
      !s.ok()) {
    return s;
  }
  std::error_code error;
  std::filesystem::rename(fresh, shared, error);
  if (error) {
    // Another process got there first: its folder is as good as ours.
    std::filesystem::remove_all(fresh, error);
    if (!std::filesystem::exists(shared + "/done")) {
      return absl::InternalError(absl::StrCat("cannot make ", shared));
    }
  }
  return shared;
}

absl::Status TestAccess::Make() {
  char pattern[] = "/tmp/alliance-access-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return absl::InternalError("mkdtemp failed");
  dir_ = pattern;
  static const std::string* const to_remove = new std::string(dir_);
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(*to_remove, ignored);
  });
  pki_dir_ = dir_ + "/pki";
  identities_path_ = dir_ + "/identities.textpb";
  policy_path_ = dir_ + "/authz-policy.json";
  absl::StatusOr<std::string> base = SharedPki();
  if (!base.ok()) return base.status();
  // This process's own copy: the identities a test adds are certified here
  // (pki.sh writes the CA's serial file), never in the shared folder.
  std::error_code copied;
  std::filesystem::copy(*base, pki_dir_, std::filesystem::copy_options::recursive, copied);
  if (copied) return absl::InternalError(absl::StrCat("copying ", *base, ": ", copied.message()));
  std::error_code error;
  std::filesystem::copy_file(kDeployIdentities, identities_path_, error);
  if (error) return absl::InternalError(absl::StrCat("copying deploy's files: ", error.message()));
  // deploy's policy, with the tests' identities among those that record.
  absl::StatusOr<std::string> policy = ReadWholeFile(kDeployPolicy);
  if (!policy.ok()) return policy.status();
  std::string policy_text = *std::move(policy);
  const std::string anchor = "\"alliance://identity/ulsan\"";
  const size_t at = policy_text.find(anchor);
  if (at == std::string::npos) {
    return absl::InternalError(
        "deploy/authz-policy.json no longer names alliance://identity/ulsan "
        "among those that send commands: update test_access.cc");
  }
  policy_text.insert(at + anchor.size(),
                     ", \"alliance://identity/univ-*\", \"alliance://identity/test-*\"");
  std::ofstream policy_out(policy_path_);
  policy_out << policy_text;
  if (!policy_out.flush()) return absl::InternalError("cannot write the test policy");
  return absl::OkStatus();
}

std::shared_ptr<grpc::ChannelCredentials> TestAccess::Credentials(
    absl::string_view identity) const {
  grpc::SslCredentialsOptions files;
  files.pem_root_certs = ReadText(ca_path());
  files.pem_cert_chain = ReadText(certificate_path(identity));
  files.pem_private_key = ReadText(key_path(identity));
  return grpc::SslCredentials(files);
}

std::shared_ptr<grpc::ServerCredentials> TestAccess::StandInServerCredentials() const {
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back(
      {ReadText(pki_dir_ + "/server.key"), ReadText(pki_dir_ + "/server.crt")});
  return grpc::SslServerCredentials(options);
}

std::vector<std::string> TestAccess::TlsFlags() const {
  return {"--tls_cert=" + pki_dir_ + "/server.crt", "--tls_key=" + pki_dir_ + "/server.key",
          "--tls_client_ca=" + ca_path()};
}

std::vector<std::string> TestAccess::ServerFlags() const {
  std::vector<std::string> flags = TlsFlags();
  flags.push_back("--identities=" + identities_path_);
  flags.push_back("--authz_policy=" + policy_path_);
  return flags;
}

std::vector<std::string> TestAccess::ClientFlags(absl::string_view identity) const {
  return {"--pki_dir=" + pki_dir_, absl::StrCat("--identity=", identity),
          "--identities=" + identities_path_};
}

absl::Status TestAccess::AddIdentity(absl::string_view name, absl::string_view fields) {
  if (added_.contains(name)) return absl::OkStatus();
  if (absl::Status s = Certify({std::string(name)}); !s.ok()) return s;
  std::ofstream registry(identities_path_, std::ios::app);
  registry << "identities { name: \"" << name << "\" " << fields << " }\n";
  if (!registry.flush()) return absl::InternalError("cannot append to the test registry");
  added_.insert(std::string(name));
  return absl::OkStatus();
}

absl::StatusOr<std::string> TestAccess::AddUniversity(absl::string_view participant_id) {
  const std::string name = absl::StrCat("univ-", participant_id);
  if (absl::Status s = AddIdentity(
          name, absl::StrCat("role: ROLE_UNIVERSITY organisation: \"대학교\" participant_id: \"",
                             participant_id, "\""));
      !s.ok()) {
    return s;
  }
  return name;
}

}  // namespace alliance::testing
