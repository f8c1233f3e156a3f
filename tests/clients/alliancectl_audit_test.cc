// `alliancectl audit` as an auditor runs it: the real binary against a real
// allianced on a fresh folder, each call a child process whose exit code,
// output and files are checked. Then against servers that lie: another
// server's key, and an in-test AuditService that forwards to the real one
// but alters an inclusion proof, signs a head that forks the history, or
// replays an older head. Every lie must be caught on every run (exit 3, a
// message that says what did not hold), and the head the tool accepted
// before must stay on disk byte for byte.
#include <google/protobuf/text_format.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "alliance/v1/audit.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/audit/tree_head.h"
#include "storage/whole_file.h"
#include "tests/storage/temp_dir.h"
#include "tests/support/allianced_process.h"
#include "tests/support/free_port.h"
#include "tests/support/test_access.h"

namespace alliance::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// Give-up bounds, never measured.
constexpr absl::Duration kServingBound = absl::Seconds(60);
constexpr absl::Duration kCallBound = absl::Seconds(60);
constexpr absl::Duration kForwardDeadline = absl::Seconds(30);

// The exit code of a failed audit check (clients/alliancectl.cc).
constexpr int kExitUntrusted = 3;

// The seed data set records 46 events.
constexpr uint64_t kSeedEvents = 46;
// The seed's Gyeongnam consortium: its 2024 agreement has room left.
constexpr char kGyeongnam[] = "gyeongnam-metal-3d-printing";

// Each lie is told this many times: caught once is luck, caught every time
// is a check.
constexpr int kLieRepeats = 3;

using CtlRun = ProgramRun;

// The 64 hex digits after `label` in `text` ("root       <hex>").
std::string HexAfter(const std::string& text, const std::string& label) {
  const size_t at = text.find(label);
  if (at == std::string::npos) return "";
  return text.substr(at + label.size(), 64);
}

// An AuditService that answers through the real server and lies as told.
class LyingAuditService final : public v1::AuditService::Service {
 public:
  enum class Lie {
    kNone,
    // GetInclusionProof: one byte of one path hash flipped.
    kInclusionHash,
    // GetInclusionProof: the event altered (its principal), decoded and
    // canonical bytes alike, as a server rewriting a record would.
    kInclusionAlteredEvent,
    // GetInclusionProof: the event and proof of the next position.
    kInclusionOtherEvent,
    // GetTreeHead: the current size with another root, signed with the
    // service's key (needs one).
    kForkedRoot,
    // GetTreeHead: the first head this service ever answered.
    kReplayFirstHead,
  };

  // `signer`, when not null, signs every head this service answers and is
  // the key it publishes; otherwise the real server's heads and key pass
  // through. `signer` must outlive the service.
  LyingAuditService(const std::string& real_address, const TreeHeadSigner* signer)
      : real_(v1::AuditService::NewStub(
            grpc::CreateChannel(real_address, TestAccess::Get().Credentials("auditor")))),
        signer_(signer) {}

  void Tell(Lie lie, int path_index = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    lie_ = lie;
    path_index_ = path_index;
  }

  grpc::Status GetPublicKey(grpc::ServerContext*, const v1::GetPublicKeyRequest* request,
                            v1::TreeHeadKey* reply) override {
    if (signer_ != nullptr) {
      *reply = signer_->key();
      return grpc::Status::OK;
    }
    grpc::ClientContext context;
    SetDeadline(&context);
    return real_->GetPublicKey(&context, *request, reply);
  }

  grpc::Status GetTreeHead(grpc::ServerContext*, const v1::GetTreeHeadRequest* request,
                           v1::SignedTreeHead* reply) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (lie_ == Lie::kReplayFirstHead && first_head_) {
      *reply = *first_head_;
      return grpc::Status::OK;
    }
    grpc::ClientContext context;
    SetDeadline(&context);
    if (grpc::Status s = real_->GetTreeHead(&context, *request, reply); !s.ok()) return s;
    std::string root = reply->root_hash();
    if (lie_ == Lie::kForkedRoot) root[0] = static_cast<char>(root[0] ^ 0x01);
    if (signer_ != nullptr) {
      absl::StatusOr<v1::SignedTreeHead> signed_head =
          signer_->Sign(reply->tree_size(), root, absl::Now());
      if (!signed_head.ok()) {
        return grpc::Status(grpc::StatusCode::INTERNAL,
                            std::string(signed_head.status().message()));
      }
      *reply = *signed_head;
    }
    if (!first_head_) first_head_ = *reply;
    return grpc::Status::OK;
  }

  grpc::Status GetInclusionProof(grpc::ServerContext*, const v1::GetInclusionProofRequest* request,
                                 v1::InclusionProof* reply) override {
    std::lock_guard<std::mutex> lock(mu_);
    v1::GetInclusionProofRequest asked = *request;
    if (lie_ == Lie::kInclusionOtherEvent) asked.set_leaf_index(asked.leaf_index() + 1);
    grpc::ClientContext context;
    SetDeadline(&context);
    if (grpc::Status s = real_->GetInclusionProof(&context, asked, reply); !s.ok()) return s;
    if (lie_ == Lie::kInclusionOtherEvent) reply->set_leaf_index(request->leaf_index());
    if (lie_ == Lie::kInclusionHash && reply->inclusion_path_size() > 0) {
      std::string& hash =
          *reply->mutable_inclusion_path(path_index_ % reply->inclusion_path_size());
      hash[hash.size() / 2] = static_cast<char>(hash[hash.size() / 2] ^ 0x80);
    }
    if (lie_ == Lie::kInclusionAlteredEvent) {
      v1::EventEnvelope* event = reply->mutable_event()->mutable_event();
      event->mutable_recorded_by()->set_principal("someone-else");
      reply->mutable_event()->set_canonical_bytes(event->SerializeAsString());
    }
    return grpc::Status::OK;
  }

  grpc::Status GetConsistencyProof(grpc::ServerContext*,
                                   const v1::GetConsistencyProofRequest* request,
                                   v1::ConsistencyProof* reply) override {
    grpc::ClientContext context;
    SetDeadline(&context);
    return real_->GetConsistencyProof(&context, *request, reply);
  }

 private:
  static void SetDeadline(grpc::ClientContext* context) {
    context->set_deadline(absl::ToChronoTime(absl::Now() + kForwardDeadline));
  }

  const std::unique_ptr<v1::AuditService::Stub> real_;
  const TreeHeadSigner* const signer_;
  std::mutex mu_;
  Lie lie_ = Lie::kNone;
  int path_index_ = 0;
  std::optional<v1::SignedTreeHead> first_head_;
};

class AlliancectlAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = StartServer("store", &server_);
    ASSERT_FALSE(address_.empty());
    ASSERT_EQ(Ctl(address_, {"seed"}).exit_code, 0);
    pin_path_ = dir_.Sub("pinned/tree-head-key.pem");
    head_path_ = dir_.Sub("pinned/tree-head.textpb");
  }

  void TearDown() override {
    if (fake_server_ != nullptr) fake_server_->Shutdown(absl::ToChronoTime(absl::Now()));
  }

  // Starts an allianced on `data` (a folder name in the temp dir); its
  // address, "" on failure.
  std::string StartServer(const std::string& data, std::unique_ptr<AlliancedProcess>* server) {
    const std::string address = absl::StrCat("127.0.0.1:", FreePort());
    absl::StatusOr<std::unique_ptr<AlliancedProcess>> started = AlliancedProcess::Start(
        ALLIANCED_PATH, {"--data_dir=" + dir_.Sub(data), "--listen=" + address}, dir_.path(),
        {.name = "allianced-" + data});
    EXPECT_TRUE(started.ok()) << started.status();
    if (!started.ok()) return "";
    *server = *std::move(started);
    absl::Status serving = (*server)->WaitServing(address, absl::Now() + kServingBound);
    EXPECT_TRUE(serving.ok()) << serving;
    return serving.ok() ? address : "";
  }

  // Starts the lying service in this process; its address.
  std::string StartFake(const TreeHeadSigner* signer) {
    fake_ = std::make_unique<LyingAuditService>(address_, signer);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", TestAccess::Get().StandInServerCredentials(), &port);
    builder.RegisterService(fake_.get());
    fake_server_ = builder.BuildAndStart();
    EXPECT_NE(fake_server_, nullptr);
    EXPECT_NE(port, 0);
    return absl::StrCat("127.0.0.1:", port);
  }

  // Runs alliancectl against `address` with `args`.
  CtlRun Ctl(const std::string& address, std::vector<std::string> args) {
    // As kiat unless the test says otherwise (a later --identity wins).
    const std::vector<std::string> access = TestAccess::Get().ClientFlags("kiat");
    args.insert(args.begin(), access.begin(), access.end());
    args.insert(args.begin(), "--server=" + address);
    absl::StatusOr<ProgramRun> run =
        RunProgram(ALLIANCECTL_PATH, args, dir_.path(), absl::StrCat("ctl-", ++runs_),
                   absl::Now() + kCallBound);
    EXPECT_TRUE(run.ok()) << run.status();
    return run.value_or(ProgramRun{});
  }

  // `alliancectl audit <args>` against `address` with this test's pin and
  // head files; a later --pin_key or --head_file in `args` wins.
  CtlRun Audit(const std::string& address, std::vector<std::string> args) {
    args.insert(args.begin(), {"--pin_key=" + pin_path_, "--head_file=" + head_path_, "audit"});
    return Ctl(address, std::move(args));
  }

  // One more event in the real log.
  void Append(const std::string& reference) {
    CtlRun run = Ctl(address_, {"disburse", absl::StrCat("--consortium=", kGyeongnam),
                                "--year=2024", "--amount_krw=1000000", "--reference=" + reference,
                                "--occurred_at=2024-07-01T00:00:00Z"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
  }

  std::string StoredHead() const { return ReadWholeFile(head_path_).value_or("<no head file>"); }

  storage::TempDir dir_;
  std::string address_;
  std::unique_ptr<AlliancedProcess> server_;
  std::string pin_path_;
  std::string head_path_;
  std::unique_ptr<LyingAuditService> fake_;
  std::unique_ptr<grpc::Server> fake_server_;
  int runs_ = 0;
};

TEST_F(AlliancectlAuditTest, KeyHeadProveConsistencyAndVerifyAgainstAnHonestServer) {
  // No key pinned yet: refused, with what to run.
  CtlRun unpinned = Audit(address_, {"head"});
  EXPECT_EQ(unpinned.exit_code, 1);
  EXPECT_THAT(unpinned.err, HasSubstr("alliancectl audit key --pin_key=" + pin_path_));
  EXPECT_EQ(StoredHead(), "<no head file>");

  CtlRun key = Audit(address_, {"key", "--pin_key=" + pin_path_});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_THAT(key.out, ContainsRegex("key id     [0-9a-f]{64}\nalgorithm  Ed25519\n"
                                     "-----BEGIN PUBLIC KEY-----\n"));
  EXPECT_THAT(key.err, HasSubstr("trust on first use"));
  EXPECT_THAT(ReadWholeFile(pin_path_).value_or(""), HasSubstr("-----BEGIN PUBLIC KEY-----"));
  CtlRun again = Audit(address_, {"key"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("matches the key pinned in " + pin_path_));

  CtlRun first = Audit(address_, {"head"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr(absl::StrCat("tree size  ", kSeedEvents, "\n")));
  EXPECT_THAT(first.out, ContainsRegex("timestamp  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\n"));
  EXPECT_THAT(first.out, HasSubstr("no head accepted before"));
  EXPECT_THAT(StoredHead(), HasSubstr(absl::StrCat("tree_size: ", kSeedEvents)));

  Append("AUDIT-1");
  CtlRun second = Audit(address_, {"head"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr(absl::StrCat("tree size  ", kSeedEvents + 1, "\n")));
  EXPECT_THAT(second.out,
              ContainsRegex(absl::StrCat("consistent with the head of ", kSeedEvents,
                                         " accepted [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\n")));
  const std::string root = HexAfter(second.out, "root       ");
  ASSERT_THAT(root, ContainsRegex("^[0-9a-f]{64}$"));

  CtlRun prove = Audit(address_, {"prove", "3"});
  ASSERT_EQ(prove.exit_code, 0) << prove.err;
  EXPECT_THAT(prove.out, ContainsRegex("\n +3  consortium-"));
  EXPECT_THAT(prove.out, HasSubstr(absl::StrCat("included in the tree of ", kSeedEvents + 1,
                                                " with root ", root)));

  CtlRun consistency = Audit(address_, {"consistency"});
  ASSERT_EQ(consistency.exit_code, 0) << consistency.err;
  EXPECT_THAT(consistency.out,
              HasSubstr(absl::StrCat("OK: the tree of ", kSeedEvents + 1, " events")));
  // From the first head, by its size and root.
  CtlRun from_first = Audit(address_, {"consistency", absl::StrCat("--first=", kSeedEvents),
                                       "--first_root=" + HexAfter(first.out, "root       ")});
  ASSERT_EQ(from_first.exit_code, 0) << from_first.err;
  EXPECT_THAT(from_first.out, HasSubstr(absl::StrCat("is a prefix of the tree of ", kSeedEvents + 1,
                                                     " events (root ", root, ")")));

  CtlRun verify = Audit(address_, {"verify"});
  ASSERT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_THAT(verify.out,
              HasSubstr(absl::StrCat("verified ", kSeedEvents + 1, " events: root ", root)));
  // stderr is a file here, not a terminal: no progress line.
  EXPECT_THAT(verify.err, Not(HasSubstr("verified")));
}

TEST_F(AlliancectlAuditTest, AVerificationThatFailsExitsOneWithTheReason) {
  ASSERT_EQ(Audit(address_, {"key"}).exit_code, 0);
  ASSERT_EQ(Audit(address_, {"head"}).exit_code, 0);
  // A root the log never had at that size, as if the head accepted had been
  // of another history: the server must say its log does not verify.
  v1::SignedTreeHead head;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(StoredHead(), &head));
  head.mutable_root_hash()->front() ^= 0x01;
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(head, &text));
  std::ofstream(head_path_, std::ios::trunc) << text;

  CtlRun verify = Audit(address_, {"verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.err;
  EXPECT_THAT(verify.out, HasSubstr(absl::StrCat("NOT verified after ", kSeedEvents, " events: ")));
  EXPECT_THAT(verify.out, HasSubstr("rewritten"));
}

TEST_F(AlliancectlAuditTest, AHeadCheckedWithAnotherServersKeyIsRefusedAndTheStoredHeadKept) {
  std::unique_ptr<AlliancedProcess> other;
  const std::string other_address = StartServer("other-store", &other);
  ASSERT_FALSE(other_address.empty());
  ASSERT_EQ(Audit(address_, {"key"}).exit_code, 0);
  ASSERT_EQ(Audit(address_, {"head"}).exit_code, 0);
  const std::string stored = StoredHead();

  const std::string other_pin = dir_.Sub("other-key.pem");
  ASSERT_EQ(Audit(other_address, {"key", "--pin_key=" + other_pin}).exit_code, 0);
  for (int i = 0; i < kLieRepeats; ++i) {
    CtlRun head = Audit(address_, {"head", "--pin_key=" + other_pin});
    EXPECT_EQ(head.exit_code, kExitUntrusted) << head.out;
    EXPECT_THAT(head.err, HasSubstr("does not verify with the key pinned in " + other_pin));
    EXPECT_THAT(head.err, HasSubstr("cannot be shown to extend the one this client saw"));
    EXPECT_THAT(head.err, HasSubstr("is kept"));
    EXPECT_EQ(StoredHead(), stored);
  }
  CtlRun key = Audit(address_, {"key", "--pin_key=" + other_pin});
  EXPECT_EQ(key.exit_code, 1);
  EXPECT_THAT(key.err, HasSubstr("is not the key pinned in " + other_pin));
}

TEST_F(AlliancectlAuditTest, AnAlteredInclusionProofIsCaughtEveryTime) {
  const std::string fake = StartFake(/*signer=*/nullptr);
  ASSERT_EQ(Audit(fake, {"key"}).exit_code, 0);
  ASSERT_EQ(Audit(fake, {"head"}).exit_code, 0);
  const std::string stored = StoredHead();

  struct Told {
    LyingAuditService::Lie lie;
    int path_index;
  };
  std::vector<Told> lies;
  // A tree of 46 leaves: paths of up to 6 hashes; each one altered in turn.
  for (int i = 0; i < 6; ++i) lies.push_back({LyingAuditService::Lie::kInclusionHash, i});
  lies.push_back({LyingAuditService::Lie::kInclusionAlteredEvent, 0});
  lies.push_back({LyingAuditService::Lie::kInclusionOtherEvent, 0});
  for (const Told& told : lies) {
    fake_->Tell(told.lie, told.path_index);
    for (const uint64_t position : {uint64_t{1}, uint64_t{3}, kSeedEvents - 1}) {
      SCOPED_TRACE(absl::StrCat("lie ", static_cast<int>(told.lie), " path index ", told.path_index,
                                " position ", position));
      CtlRun prove = Audit(fake, {"prove", absl::StrCat(position)});
      EXPECT_EQ(prove.exit_code, kExitUntrusted) << prove.out;
      EXPECT_THAT(prove.err, HasSubstr(absl::StrCat(
                                 "the server did not prove the event at position ", position)));
      EXPECT_EQ(prove.out, "");
      EXPECT_EQ(StoredHead(), stored);
    }
  }
  // The same service telling the truth passes: the lies were what failed.
  fake_->Tell(LyingAuditService::Lie::kNone);
  CtlRun honest = Audit(fake, {"prove", "3"});
  EXPECT_EQ(honest.exit_code, 0) << honest.err;
}

TEST_F(AlliancectlAuditTest, ASignedHeadThatForksTheHistoryIsCaughtEveryTime) {
  // A key the test controls, pinned: the forged heads' signatures verify,
  // so only the consistency proofs can catch them.
  absl::StatusOr<std::unique_ptr<TreeHeadSigner>> signer =
      TreeHeadSigner::Load(dir_.Sub("liar-key.pem"), /*create_if_missing=*/true);
  ASSERT_TRUE(signer.ok()) << signer.status();
  const std::string fake = StartFake(signer->get());
  CtlRun key = Audit(fake, {"key"});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_THAT(key.out, HasSubstr((*signer)->key().key_id()));
  ASSERT_EQ(Audit(fake, {"head"}).exit_code, 0);
  const std::string stored = StoredHead();

  fake_->Tell(LyingAuditService::Lie::kForkedRoot);
  for (int i = 0; i < kLieRepeats; ++i) {
    // Same size, another root.
    CtlRun head = Audit(fake, {"head"});
    EXPECT_EQ(head.exit_code, kExitUntrusted) << head.out;
    EXPECT_THAT(head.err,
                HasSubstr("the server's history does not extend the one this client saw"));
    EXPECT_EQ(StoredHead(), stored);
  }
  Append("AUDIT-FORK");
  for (int i = 0; i < kLieRepeats; ++i) {
    // A larger tree whose root the real log's proof does not lead to.
    for (const std::vector<std::string>& verb :
         {std::vector<std::string>{"head"}, std::vector<std::string>{"prove", "3"},
          std::vector<std::string>{"consistency"}}) {
      CtlRun run = Audit(fake, verb);
      EXPECT_EQ(run.exit_code, kExitUntrusted) << verb[0] << ": " << run.out;
      EXPECT_THAT(run.err,
                  HasSubstr(absl::StrCat("the server's history does not extend the one this "
                                         "client saw: the tree of ",
                                         kSeedEvents + 1)));
      EXPECT_THAT(run.err, HasSubstr(absl::StrCat("is not proved to extend the tree of ",
                                                  kSeedEvents, " events")));
      EXPECT_EQ(StoredHead(), stored);
    }
  }
  fake_->Tell(LyingAuditService::Lie::kNone);
  CtlRun honest = Audit(fake, {"head"});
  EXPECT_EQ(honest.exit_code, 0) << honest.err;
  EXPECT_THAT(honest.out, HasSubstr(absl::StrCat("consistent with the head of ", kSeedEvents)));
}

TEST_F(AlliancectlAuditTest, AnOlderHeadAfterANewerOneIsCaughtEveryTime) {
  const std::string fake = StartFake(/*signer=*/nullptr);
  ASSERT_EQ(Audit(fake, {"key"}).exit_code, 0);
  ASSERT_EQ(Audit(fake, {"head"}).exit_code, 0);  // the fake keeps this head
  Append("AUDIT-ROLLBACK");
  CtlRun newer = Audit(fake, {"head"});
  ASSERT_EQ(newer.exit_code, 0) << newer.err;
  const std::string stored = StoredHead();
  ASSERT_THAT(stored, HasSubstr(absl::StrCat("tree_size: ", kSeedEvents + 1)));

  // The older head is the real server's, with a valid signature: only the
  // stored head tells it is a step back.
  fake_->Tell(LyingAuditService::Lie::kReplayFirstHead);
  for (int i = 0; i < kLieRepeats; ++i) {
    for (const std::vector<std::string>& verb :
         {std::vector<std::string>{"head"}, std::vector<std::string>{"prove", "3"},
          std::vector<std::string>{"consistency"}}) {
      CtlRun run = Audit(fake, verb);
      EXPECT_EQ(run.exit_code, kExitUntrusted) << verb[0] << ": " << run.out;
      EXPECT_THAT(run.err,
                  HasSubstr("the server's history does not extend the one this client saw"));
      EXPECT_THAT(run.err,
                  HasSubstr(absl::StrCat("smaller than the tree of ", kSeedEvents + 1, " events")));
      EXPECT_THAT(run.err, HasSubstr("rolling its log back"));
      EXPECT_EQ(StoredHead(), stored);
    }
  }
}

}  // namespace
}  // namespace alliance::testing
