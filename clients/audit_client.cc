#include "clients/audit_client.h"

#include <fcntl.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/client_context.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clients/format.h"
#include "proto/audit/tree_head.h"

namespace alliance::client {
namespace {

namespace pb = google::protobuf;

// The payload that marks a status untrusted (UntrustedError). Not a
// google.rpc type, so GetRefusalDetails never mistakes it for a refusal.
constexpr absl::string_view kUntrustedPayloadUrl = "alliance.client/untrusted";

// A pin file or a head file is a few hundred bytes: anything past 1 MiB is
// not one of ours.
constexpr size_t kStateFileBytesMax = 1 << 20;

// The head file's first line, so a person who opens it knows what it is.
constexpr absl::string_view kHeadFileComment =
    "# The last signed tree head alliancectl accepted (alliance.v1.SignedTreeHead).\n"
    "# Written by `alliancectl audit`; it is this client's memory of the log.\n";

std::string ErrnoText(int error) { return std::strerror(error); }

// The file's contents; nullopt when it does not exist.
absl::StatusOr<std::optional<std::string>> ReadStateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path, ": ", ErrnoText(errno)));
  }
  std::string text;
  std::vector<char> buffer(1 << 12);
  absl::Status status;
  for (;;) {
    const ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      status =
          absl::FailedPreconditionError(absl::StrCat("cannot read ", path, ": ", ErrnoText(errno)));
      break;
    }
    if (got == 0) break;
    text.append(buffer.data(), static_cast<size_t>(got));
    if (text.size() > kStateFileBytesMax) {
      status = absl::FailedPreconditionError(absl::StrCat(
          path, " is larger than ", kStateFileBytesMax, " bytes: not one of alliancectl's files"));
      break;
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  return text;
}

absl::Status WriteAll(int fd, absl::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("cannot write ", path, ": ", ErrnoText(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

// Replaces `path` with `contents` so that a crash or a full disk leaves the
// old file or the new one: a temporary file beside it, synced, renamed
// over it, and the folder synced so the rename itself is durable.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  const std::filesystem::path target(path);
  const std::filesystem::path folder =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create ", folder.string(), ": ", error.message()));
  }
  const std::string temporary = absl::StrCat(path, ".tmp-", ::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", temporary, ": ", ErrnoText(errno)));
  }
  absl::Status status = WriteAll(fd, contents, temporary);
  if (status.ok() && ::fsync(fd) != 0) {
    status = absl::InternalError(absl::StrCat("cannot sync ", temporary, ": ", ErrnoText(errno)));
  }
  if (::close(fd) != 0 && status.ok()) {
    status = absl::InternalError(absl::StrCat("cannot close ", temporary, ": ", ErrnoText(errno)));
  }
  if (status.ok() && ::rename(temporary.c_str(), path.c_str()) != 0) {
    status = absl::InternalError(
        absl::StrCat("cannot rename ", temporary, " to ", path, ": ", ErrnoText(errno)));
  }
  if (!status.ok()) {
    ::unlink(temporary.c_str());
    return status;
  }
  // The rename is done; a folder that cannot be synced (some file systems
  // refuse) only weakens durability, so it is not an error.
  if (const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

absl::Time ModificationTime(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return absl::InfinitePast();
  return absl::TimeFromTimespec(info.st_mtim);
}

// "the tree of 47 events (root 3a7f…)" in full hex: an auditor compares
// roots across machines by eye or by grep.
std::string DescribeTree(uint64_t tree_size, const storage::MerkleHash& root) {
  return absl::StrCat("the tree of ", tree_size, " events (root ", storage::HashHex(root), ")");
}

std::string DescribeStored(const StoredHead& stored) {
  return absl::StrCat(
      DescribeTree(stored.head.tree_size(), stored.root), " accepted ",
      FormatUtcTime(absl::FromUnixSeconds(absl::ToUnixSeconds(stored.accepted_at))));
}

// What every refusal of a head ends with: this client's memory is untouched.
std::string KeptSuffix(const std::optional<StoredHead>& stored, const std::string& head_file) {
  if (!stored) return absl::StrCat("; nothing was stored in ", head_file);
  return absl::StrCat("; the head accepted before (", stored->head.tree_size(),
                      " events) is kept in ", head_file);
}

// The hashes of a proof; untrusted when one is not 32 bytes.
absl::StatusOr<std::vector<storage::MerkleHash>> ProofHashes(
    const pb::RepeatedPtrField<std::string>& bytes, absl::string_view proof) {
  std::vector<storage::MerkleHash> hashes;
  hashes.reserve(bytes.size());
  for (int i = 0; i < bytes.size(); ++i) {
    std::optional<storage::MerkleHash> hash = storage::HashFromBytes(bytes[i]);
    if (!hash) {
      return UntrustedError(absl::StrCat("hash ", i, " of the server's ", proof, " is ",
                                         bytes[i].size(), " bytes, not ",
                                         storage::kMerkleHashBytes));
    }
    hashes.push_back(*hash);
  }
  return hashes;
}

}  // namespace

absl::StatusOr<std::string> ExpandHome(absl::string_view path) {
  if (!absl::StartsWith(path, "~/")) return std::string(path);
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return absl::FailedPreconditionError(
        absl::StrCat("HOME is not set, so ", path, " names no file: give the path in full"));
  }
  return absl::StrCat(home, path.substr(1));
}

absl::Status UntrustedError(absl::string_view message) {
  absl::Status status = absl::FailedPreconditionError(message);
  status.SetPayload(kUntrustedPayloadUrl, absl::Cord("1"));
  return status;
}

bool IsUntrusted(const absl::Status& status) {
  return status.GetPayload(kUntrustedPayloadUrl).has_value();
}

AuditClient::AuditClient(std::shared_ptr<grpc::Channel> channel, AuditClientOptions options)
    : options_(std::move(options)), stub_(v1::AuditService::NewStub(channel)) {
  assert(channel != nullptr);
  assert(!options_.pinned_key_path.empty() && !options_.head_file_path.empty());
  assert(options_.deadline > absl::ZeroDuration());
}

absl::StatusOr<v1::TreeHeadKey> AuditClient::FetchKey() {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  v1::TreeHeadKey served;
  if (grpc::Status status = stub_->GetPublicKey(&context, v1::GetPublicKeyRequest(), &served);
      !status.ok()) {
    return FromGrpcStatus(status);
  }
  // The PEM is what a person pins and compares; the id and DER beside it
  // are recomputed from it rather than believed.
  absl::StatusOr<v1::TreeHeadKey> key = TreeHeadKeyFromPem(served.public_key_pem());
  if (!key.ok()) {
    return UntrustedError(absl::StrCat("the server's tree-head key is not an Ed25519 public key: ",
                                       key.status().message()));
  }
  if (served.key_id() != key->key_id() || served.public_key_der() != key->public_key_der()) {
    return UntrustedError(absl::StrCat("the server names its key ", served.key_id(),
                                       " but its PEM is key ", key->key_id()));
  }
  return key;
}

absl::StatusOr<std::pair<v1::TreeHeadKey, KeyPin>> AuditClient::PinKey() {
  absl::StatusOr<v1::TreeHeadKey> key = FetchKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::optional<std::string>> pinned_pem = ReadStateFile(options_.pinned_key_path);
  if (!pinned_pem.ok()) return pinned_pem.status();
  if (!pinned_pem->has_value()) {
    if (absl::Status s = WriteFileAtomically(options_.pinned_key_path, key->public_key_pem());
        !s.ok()) {
      return s;
    }
    return std::make_pair(*std::move(key), KeyPin::kPinnedNow);
  }
  absl::StatusOr<v1::TreeHeadKey> pinned = TreeHeadKeyFromPem(**pinned_pem);
  if (!pinned.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        options_.pinned_key_path, " holds no Ed25519 public key: ", pinned.status().message()));
  }
  if (pinned->key_id() != key->key_id()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the server's tree-head key ", key->key_id(), " is not the key pinned in ",
                     options_.pinned_key_path, " (", pinned->key_id(),
                     "): this is another server, or its key was replaced. Ask its operator; "
                     "pin a new key only after checking its id, by removing the file and running "
                     "`alliancectl audit key --pin_key=",
                     options_.pinned_key_path, "` again"));
  }
  return std::make_pair(*std::move(key), KeyPin::kMatches);
}

absl::StatusOr<v1::TreeHeadKey> AuditClient::LoadPinnedKey() const {
  absl::StatusOr<std::optional<std::string>> pem = ReadStateFile(options_.pinned_key_path);
  if (!pem.ok()) return pem.status();
  if (!pem->has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no pinned tree-head key in ", options_.pinned_key_path,
        ": pin the server's key first with `alliancectl audit key --pin_key=",
        options_.pinned_key_path, "` (and check its key id with the server's operator)"));
  }
  absl::StatusOr<v1::TreeHeadKey> key = TreeHeadKeyFromPem(**pem);
  if (!key.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        options_.pinned_key_path, " holds no Ed25519 public key: ", key.status().message()));
  }
  return key;
}

absl::StatusOr<std::optional<StoredHead>> AuditClient::LoadStoredHead() const {
  const std::string& path = options_.head_file_path;
  absl::StatusOr<std::optional<std::string>> text = ReadStateFile(path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::nullopt;
  StoredHead stored;
  if (!pb::TextFormat::ParseFromString(**text, &stored.head)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     " is not a SignedTreeHead in text format: move it away to start over "
                     "(the next head is then accepted on its signature alone)"));
  }
  std::optional<storage::MerkleHash> root = storage::HashFromBytes(stored.head.root_hash());
  if (!root) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": root_hash is ",
                                                      stored.head.root_hash().size(),
                                                      " bytes, not ", storage::kMerkleHashBytes));
  }
  stored.root = *root;
  stored.accepted_at = ModificationTime(path);
  return stored;
}

absl::StatusOr<VerifiedHead> AuditClient::FetchVerifiedHead() {
  absl::StatusOr<v1::TreeHeadKey> key = LoadPinnedKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::optional<StoredHead>> stored = LoadStoredHead();
  if (!stored.ok()) return stored.status();
  const std::string kept = KeptSuffix(*stored, options_.head_file_path);

  VerifiedHead verified;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    if (grpc::Status status =
            stub_->GetTreeHead(&context, v1::GetTreeHeadRequest(), &verified.head);
        !status.ok()) {
      return FromGrpcStatus(status);
    }
  }
  const v1::SignedTreeHead& head = verified.head;
  if (absl::Status s = VerifyTreeHead(head, *key); !s.ok()) {
    return UntrustedError(
        absl::StrCat("the server's tree head does not verify with the key pinned in ",
                     options_.pinned_key_path, " (", s.message(),
                     "), so its history cannot be shown to extend the one this "
                     "client saw",
                     kept));
  }
  // VerifyTreeHead checked the root is 32 bytes.
  verified.root = *storage::HashFromBytes(head.root_hash());
  verified.previous = *std::move(stored);
  if (!verified.previous) return verified;  // first use: the signature is all there is to check

  const StoredHead& previous = *verified.previous;
  const std::string does_not_extend =
      "the server's history does not extend the one this client saw: ";
  if (head.tree_size() < previous.head.tree_size()) {
    return UntrustedError(absl::StrCat(
        does_not_extend, "its signed head is ", DescribeTree(head.tree_size(), verified.root),
        ", smaller than ", DescribeStored(previous), " (a server rolling its log back)", kept));
  }
  std::vector<storage::MerkleHash> path;
  if (head.tree_size() > previous.head.tree_size()) {
    v1::GetConsistencyProofRequest request;
    request.set_first(previous.head.tree_size());
    request.set_second(head.tree_size());
    v1::ConsistencyProof proof;
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    if (grpc::Status status = stub_->GetConsistencyProof(&context, request, &proof); !status.ok()) {
      const absl::Status failed = FromGrpcStatus(status);
      absl::Status described(
          failed.code(),
          absl::StrCat("the server gave no consistency proof from ", DescribeStored(previous),
                       " to ", DescribeTree(head.tree_size(), verified.root), ": ",
                       failed.message(), kept));
      // The refusal's details (its reason and numbers) travel on.
      failed.ForEachPayload([&described](absl::string_view url, const absl::Cord& payload) {
        described.SetPayload(url, payload);
      });
      return described;
    }
    if (proof.first() != request.first() || proof.second() != request.second()) {
      return UntrustedError(absl::StrCat(does_not_extend, "asked to prove ", request.first(),
                                         " to ", request.second(), " events, it answered ",
                                         proof.first(), " to ", proof.second(), kept));
    }
    absl::StatusOr<std::vector<storage::MerkleHash>> hashes =
        ProofHashes(proof.consistency_path(), "consistency proof");
    if (!hashes.ok()) {
      return UntrustedError(absl::StrCat(does_not_extend, hashes.status().message(), kept));
    }
    path = *std::move(hashes);
  }
  // Equal sizes need no proof: VerifyConsistency then demands equal roots.
  if (absl::Status s = storage::VerifyConsistency(previous.head.tree_size(), head.tree_size(),
                                                  previous.root, verified.root, path);
      !s.ok()) {
    return UntrustedError(absl::StrCat(
        does_not_extend, DescribeTree(head.tree_size(), verified.root), " is not proved to extend ",
        DescribeStored(previous), " (", s.message(), ")", kept));
  }
  return verified;
}

absl::Status AuditClient::AcceptHead(const v1::SignedTreeHead& head) {
  std::string text;
  if (!pb::TextFormat::PrintToString(head, &text)) {
    return absl::InternalError("the tree head does not print as text");
  }
  return WriteFileAtomically(options_.head_file_path, absl::StrCat(kHeadFileComment, text));
}

absl::StatusOr<v1::LoggedEvent> AuditClient::ProveInclusion(uint64_t global_position,
                                                            const VerifiedHead& head) {
  const uint64_t tree_size = head.head.tree_size();
  if (global_position == 0 || global_position > tree_size) {
    return absl::OutOfRangeError(absl::StrCat("position ", global_position,
                                              " is not in the verified tree of ", tree_size,
                                              " events (positions run from 1)"));
  }
  const std::string not_proved =
      absl::StrCat("the server did not prove the event at position ", global_position, " is in ",
                   DescribeTree(tree_size, head.root), ": ");
  v1::GetInclusionProofRequest request;
  request.set_leaf_index(global_position - 1);
  request.set_tree_size(tree_size);
  v1::InclusionProof proof;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    if (grpc::Status status = stub_->GetInclusionProof(&context, request, &proof); !status.ok()) {
      return FromGrpcStatus(status);
    }
  }
  if (proof.leaf_index() != request.leaf_index() || proof.tree_size() != request.tree_size()) {
    return UntrustedError(absl::StrCat(not_proved, "asked for leaf ", request.leaf_index(),
                                       " of a tree of ", request.tree_size(), ", it answered leaf ",
                                       proof.leaf_index(), " of a tree of ", proof.tree_size()));
  }
  // The bytes are what the leaf hash covers; the decoded event beside them
  // is the server's convenience and is checked against them, not believed.
  const std::string& bytes = proof.event().canonical_bytes();
  v1::LoggedEvent event;
  event.set_global_position(global_position);
  event.set_canonical_bytes(bytes);
  if (!event.mutable_event()->ParseFromString(bytes)) {
    return UntrustedError(absl::StrCat(not_proved, "its canonical bytes are not an event"));
  }
  if (event.event().global_position() != global_position ||
      proof.event().global_position() != global_position) {
    return UntrustedError(absl::StrCat(not_proved, "it sent the event of position ",
                                       event.event().global_position(), " (labelled ",
                                       proof.event().global_position(), ")"));
  }
  if (!pb::util::MessageDifferencer::Equals(event.event(), proof.event().event())) {
    return UntrustedError(absl::StrCat(
        not_proved, "the decoded event it sent is not the event its canonical bytes hold"));
  }
  absl::StatusOr<std::vector<storage::MerkleHash>> path =
      ProofHashes(proof.inclusion_path(), "inclusion proof");
  if (!path.ok()) return UntrustedError(absl::StrCat(not_proved, path.status().message()));
  if (absl::Status s = storage::VerifyInclusion(storage::LeafHash(bytes), request.leaf_index(),
                                                tree_size, *path, head.root);
      !s.ok()) {
    return UntrustedError(absl::StrCat(not_proved, s.message()));
  }
  return event;
}

absl::StatusOr<v1::ConsistencyProof> AuditClient::ProveConsistency(
    uint64_t first_size, const storage::MerkleHash& first_root, const VerifiedHead& head) {
  const uint64_t second_size = head.head.tree_size();
  const std::string does_not_extend = absl::StrCat("the server's history does not extend ",
                                                   DescribeTree(first_size, first_root), ": ");
  if (first_size > second_size) {
    return UntrustedError(absl::StrCat(does_not_extend, "its verified head is only ",
                                       DescribeTree(second_size, head.root)));
  }
  v1::ConsistencyProof proof;
  proof.set_first(first_size);
  proof.set_second(second_size);
  if (first_size < second_size) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
    v1::GetConsistencyProofRequest request;
    request.set_first(first_size);
    request.set_second(second_size);
    if (grpc::Status status = stub_->GetConsistencyProof(&context, request, &proof); !status.ok()) {
      return FromGrpcStatus(status);
    }
    if (proof.first() != first_size || proof.second() != second_size) {
      return UntrustedError(absl::StrCat(does_not_extend, "asked to prove ", first_size, " to ",
                                         second_size, " events, it answered ", proof.first(),
                                         " to ", proof.second()));
    }
  }
  absl::StatusOr<std::vector<storage::MerkleHash>> path =
      ProofHashes(proof.consistency_path(), "consistency proof");
  if (!path.ok()) return UntrustedError(absl::StrCat(does_not_extend, path.status().message()));
  if (absl::Status s =
          storage::VerifyConsistency(first_size, second_size, first_root, head.root, *path);
      !s.ok()) {
    return UntrustedError(absl::StrCat(does_not_extend, "the proof to ",
                                       DescribeTree(second_size, head.root), " does not verify (",
                                       s.message(), ")"));
  }
  return proof;
}

absl::StatusOr<v1::VerifyResult> AuditClient::VerifyLog(
    const std::optional<StoredHead>& trusted,
    absl::FunctionRef<void(const v1::VerifyProgress&)> on_progress) {
  v1::VerifyLogRequest request;
  if (trusted) {
    request.set_trusted_tree_size(trusted->head.tree_size());
    request.set_trusted_root_hash(trusted->head.root_hash());
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.verify_deadline));
  std::unique_ptr<grpc::ClientReader<v1::VerifyLogResponse>> reader =
      stub_->VerifyLog(&context, request);
  v1::VerifyLogResponse response;
  std::optional<v1::VerifyResult> result;
  while (reader->Read(&response)) {
    if (response.has_progress()) on_progress(response.progress());
    if (response.has_result()) result = response.result();
  }
  if (grpc::Status status = reader->Finish(); !status.ok()) return FromGrpcStatus(status);
  if (!result) return absl::UnknownError("the server ended VerifyLog without a result");
  if (trusted && result->verified() && result->events_verified() == trusted->head.tree_size() &&
      result->root_hash() != trusted->head.root_hash()) {
    return UntrustedError(
        absl::StrCat("the server says the log verifies, but at ", result->events_verified(),
                     " events its root is not the root of the head this client accepted (",
                     storage::HashHex(trusted->root), ")"));
  }
  return *std::move(result);
}

absl::Status AuditClient::ReadLog(uint64_t to_position,
                                  absl::FunctionRef<absl::Status(const v1::LoggedEvent&)> visit) {
  v1::ReadLogRequest request;
  request.set_from_position(1);
  request.set_to_position(to_position);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options_.verify_deadline));
  std::unique_ptr<grpc::ClientReader<v1::LoggedEvent>> reader = stub_->ReadLog(&context, request);
  v1::LoggedEvent event;
  absl::Status visited;
  while (visited.ok() && reader->Read(&event)) visited = visit(event);
  if (!visited.ok()) {
    context.TryCancel();
    (void)reader->Finish();
    return visited;
  }
  if (grpc::Status status = reader->Finish(); !status.ok()) return FromGrpcStatus(status);
  return absl::OkStatus();
}

}  // namespace alliance::client
