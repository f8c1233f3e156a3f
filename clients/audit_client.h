// AuditClient: the auditor's side of alliance.v1.AuditService
// (proto/alliance/v1/audit.proto), as a Certificate Transparency monitor
// runs it: it pins the server's tree-head key, keeps the last signed tree
// head it accepted, and checks every head, signature and proof the server
// sends with its own code (storage/merkle.h, proto/audit/tree_head.h) from
// what it holds, trusting nothing the server says about itself.
//
// The contract:
//   - Two files are the client's whole memory: the pinned key (PEM, as
//     `openssl pkey -pubout` writes it) and the last accepted head (a
//     SignedTreeHead in protobuf text format). They are its own record and
//     are trusted as written; only AcceptHead() and PinKey() write them, each
//     atomically (a temporary file renamed over the old), so a crash leaves
//     the old file or the new one, never half of one.
//   - FetchVerifiedHead() accepts a head only when its signature verifies
//     with the pinned key and, when a head was accepted before, the server
//     proves (RFC 9162 §2.1.4) that the new tree extends it: a server that
//     rewrites or rolls back history is caught here. It stores nothing; the
//     caller stores the head with AcceptHead() once everything else it meant
//     to check of that head has verified too, so a server caught lying in a
//     run moves this client's trust nowhere.
//   - Every method returns absl::Status or absl::StatusOr; nothing throws.
//     When something the server sent fails a check (a signature, a proof, a
//     head smaller than the one accepted, an answer to another question),
//     the status is FAILED_PRECONDITION marked untrusted: IsUntrusted() is
//     true, and its message says what did not hold (for a head: that its
//     history does not extend the one this client saw, and that the stored
//     head was kept). A call that failed (server unreachable, refused,
//     deadline) or a local file that cannot be read is returned as it is,
//     not untrusted.
//
//   AuditClient audit(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()),
//                     {.pinned_key_path = "/home/me/.alliance/tree-head-key.pem",
//                      .head_file_path = "/home/me/.alliance/tree-head.textpb"});
//   absl::StatusOr<VerifiedHead> head = audit.FetchVerifiedHead();
//   if (!head.ok()) return IsUntrusted(head.status()) ? kLiedTo : kFailed;
//   absl::StatusOr<v1::LoggedEvent> event = audit.ProveInclusion(3, *head);
//   if (event.ok()) status = audit.AcceptHead(head->head);
//
// Not thread-safe: one object, one thread (it is a command-line tool's).
#ifndef ALLIANCE_CLIENTS_AUDIT_CLIENT_H_
#define ALLIANCE_CLIENTS_AUDIT_CLIENT_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/v1/audit.grpc.pb.h"
#include "clients/alliance_client.h"
#include "storage/merkle.h"

namespace alliance::client {

// Where the pinned key and the accepted head live unless told otherwise:
// beside each other, under the user's home (ExpandHome).
inline constexpr absl::string_view kDefaultPinnedKeyPath = "~/.alliance/tree-head-key.pem";
inline constexpr absl::string_view kDefaultHeadFilePath = "~/.alliance/tree-head.textpb";

// VerifyLog reads the whole log on the server: an hour before giving up on
// it, where a unary call gets seconds.
inline constexpr absl::Duration kDefaultVerifyDeadline = absl::Hours(1);

// `path` with a leading "~/" replaced by $HOME; any other path unchanged.
// FAILED_PRECONDITION when it starts with "~/" and HOME is not set.
absl::StatusOr<std::string> ExpandHome(absl::string_view path);

// FAILED_PRECONDITION with `message`, marked: something the server sent
// failed this client's own check.
absl::Status UntrustedError(absl::string_view message);
// True for a status UntrustedError made.
bool IsUntrusted(const absl::Status& status);

struct AuditClientOptions {
  // The pinned key (PEM) and the accepted head (text format), home already
  // expanded. The head file may be missing: no head accepted yet.
  std::string pinned_key_path;
  std::string head_file_path;
  // Each unary call's deadline, and VerifyLog's (the whole stream's).
  absl::Duration deadline = kDefaultDeadline;
  absl::Duration verify_deadline = kDefaultVerifyDeadline;
};

// The head this client accepted last, as its head file holds it.
struct StoredHead {
  v1::SignedTreeHead head;
  storage::MerkleHash root;
  // When this client accepted it: the head file's modification time (the
  // head's own timestamp is when the server signed it).
  absl::Time accepted_at;
};

// A head that passed every check against what this client held.
struct VerifiedHead {
  v1::SignedTreeHead head;
  storage::MerkleHash root;
  // The stored head it was proved to extend; none on first use (then only
  // its signature was checked).
  std::optional<StoredHead> previous;
};

// What PinKey() did.
enum class KeyPin {
  kPinnedNow,  // no pin file: the server's key was written to it (trust on first use)
  kMatches,    // the pin file holds the server's key
};

class AuditClient {
 public:
  // `channel` must not be null; the options' paths must be non-empty.
  AuditClient(std::shared_ptr<grpc::Channel> channel, AuditClientOptions options);

  AuditClient(const AuditClient&) = delete;
  AuditClient& operator=(const AuditClient&) = delete;

  const AuditClientOptions& options() const { return options_; }

  // The server's key (GetPublicKey) with its id and DER recomputed from its
  // PEM; untrusted when the server's own id or DER disagree with its PEM.
  absl::StatusOr<v1::TreeHeadKey> FetchKey();

  // FetchKey(), then: with no pin file, writes the key's PEM there
  // (kPinnedNow); with one, compares. FAILED_PRECONDITION (not untrusted:
  // no proof failed, the key is simply another) when the server's key is
  // not the pinned one, naming both key ids.
  absl::StatusOr<std::pair<v1::TreeHeadKey, KeyPin>> PinKey();

  // The pinned key; FAILED_PRECONDITION telling to run `alliancectl audit
  // key --pin_key=<file>` first when the file is missing.
  absl::StatusOr<v1::TreeHeadKey> LoadPinnedKey() const;

  // The head accepted last; nullopt when the head file is missing.
  // FAILED_PRECONDITION when it does not parse or its root is not 32 bytes.
  absl::StatusOr<std::optional<StoredHead>> LoadStoredHead() const;

  // GetTreeHead, checked: its signature with the pinned key; then, when a
  // head was accepted before, that the new tree is not smaller and that
  // the server's consistency proof from the stored head to the new one
  // verifies (no call when the sizes are equal: the roots must be). Stores
  // nothing (see AcceptHead).
  absl::StatusOr<VerifiedHead> FetchVerifiedHead();

  // Makes `head` the stored head: writes the head file atomically (its
  // folder created when missing).
  absl::Status AcceptHead(const v1::SignedTreeHead& head);

  // The event at `global_position` (from 1), proved to be in `head`'s tree:
  // the inclusion proof of leaf global_position - 1 in a tree of
  // head.tree_size leaves, checked against the verified root with the leaf
  // hash computed here from the event's canonical bytes, which must decode
  // to the event at that position. The returned event is the one decoded
  // here from those bytes. OUT_OF_RANGE when the position is 0 or past the
  // head.
  absl::StatusOr<v1::LoggedEvent> ProveInclusion(uint64_t global_position,
                                                 const VerifiedHead& head);

  // The consistency proof from the tree of `first_size` leaves with root
  // `first_root` (a root this client trusts) to `head`'s tree, checked
  // here; untrusted when the head's tree is smaller than first_size or the
  // proof does not verify. No call when the sizes are equal.
  absl::StatusOr<v1::ConsistencyProof> ProveConsistency(uint64_t first_size,
                                                        const storage::MerkleHash& first_root,
                                                        const VerifiedHead& head);

  // VerifyLog, against `trusted` when given (its size and root), calling
  // `on_progress` with each progress message; returns the result. The
  // server recomputes the tree: this client can check only that a result
  // claiming to verify the trusted size gives the trusted root (untrusted
  // otherwise). UNKNOWN when the stream ends without a result.
  absl::StatusOr<v1::VerifyResult> VerifyLog(
      const std::optional<StoredHead>& trusted,
      absl::FunctionRef<void(const v1::VerifyProgress&)> on_progress);

  // ReadLog of positions 1..to_position, `visit` called with each event in
  // order (the server's word: the caller checks them); stops at the first
  // error `visit` returns and returns it. The whole stream has the verify
  // deadline: it is as long.
  absl::Status ReadLog(uint64_t to_position,
                       absl::FunctionRef<absl::Status(const v1::LoggedEvent&)> visit);

 private:
  AuditClientOptions options_;
  std::unique_ptr<v1::AuditService::Stub> stub_;
};

}  // namespace alliance::client

#endif  // ALLIANCE_CLIENTS_AUDIT_CLIENT_H_
