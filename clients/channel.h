// A channel to allianced as one identity: mutual TLS with the identity's
// client certificate, the server checked against the service's CA.
//
//   absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
//       OpenChannel("127.0.0.1:50051", IdentityFiles("var/pki", "kiat"));
//
// deploy/pki.sh lays out a development PKI as IdentityFiles expects it:
// <dir>/ca.crt, <dir>/<name>.crt, <dir>/<name>.key.
#ifndef ALLIANCE_CLIENTS_CHANNEL_H_
#define ALLIANCE_CLIENTS_CHANNEL_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace alliance::client {

struct TlsFiles {
  std::string ca_path;           // the CA that issued the server's certificate
  std::string certificate_path;  // the client certificate (chain), PEM
  std::string key_path;          // its private key, PEM
  // Plaintext instead (a server started with --plaintext, on loopback):
  // the files are not read.
  bool plaintext = false;
};

// The files of identity `name` in a PKI folder laid out by deploy/pki.sh.
TlsFiles IdentityFiles(absl::string_view pki_dir, absl::string_view name);

// A channel to `server` (host:port) presenting `files`. NOT_FOUND naming the
// file when one cannot be read. Creating a channel does not connect.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const std::string& server,
                                                           const TlsFiles& files);

}  // namespace alliance::client

#endif  // ALLIANCE_CLIENTS_CHANNEL_H_
