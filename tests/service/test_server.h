// The integration tests' fixture: a real AllianceServer on a fresh RocksDB
// folder and an ephemeral port, reached through a real gRPC channel.
//
//   class MyTest : public alliance::testing::ServerTest {};
//   TEST_F(MyTest, Something) {
//     Seed2023();                                   // program, consortia, labs
//     v1::AppendResult result;
//     grpc::Status status = Send(DisburseRequest(kChungnam, 2023, 1000), &result);
//     ...
//     Restart();                                    // same folder, new server
//   }
#ifndef ALLIANCE_TESTS_SERVICE_TEST_SERVER_H_
#define ALLIANCE_TESTS_SERVICE_TEST_SERVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/v1/commands.grpc.pb.h"
#include "alliance/v1/queries.grpc.pb.h"
#include "services/server.h"
#include "tests/service/test_requests.h"

namespace alliance::testing {

// A fresh folder under /tmp (mkdtemp), removed with everything in it when
// destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// What a test compares to say "nothing changed": the log's last position and
// every read-model entry, byte for byte.
struct StoreSnapshot {
  uint64_t last_position = 0;
  std::vector<std::pair<std::string, std::string>> models;
  std::vector<std::pair<std::string, std::string>> rule_entries;
  bool operator==(const StoreSnapshot& other) const = default;
};

// Prints a snapshot's size only (gtest would otherwise dump raw bytes).
void PrintTo(const StoreSnapshot& snapshot, std::ostream* os);

// The service tests' server clock: the real clock moved forward to
// kTestServerEpoch, after the whole 2023 program (its last events are dated
// 2028), so that a scenario may play every year of it without meeting
// OCCURRED_IN_FUTURE (services/domain/business_dates.h). It runs: events
// recorded later read later.
absl::Time TestServerNow();
// LedgerOptions with clock = TestServerNow.
LedgerOptions TestLedgerOptions();

// The options of a test server on `data_dir`: port 0, and the access
// files of TestAccess (mutual TLS, the registry, the method policy).
ServerOptions TestServerOptions(const std::string& data_dir,
                                LedgerOptions ledger = TestLedgerOptions());
// Channel credentials presenting `identity`'s test certificate.
std::shared_ptr<grpc::ChannelCredentials> TestCredentials(const std::string& identity);

// The organisation that records events of `event_type` (the program's
// division of labour, stated here independently of services/domain/
// authority.h): "MOTIE", "KIAT", or "대학교" for the tests' universities.
std::string RecorderOrganisationOf(absl::string_view event_type);

// The fixture's default identity: channel(), commands() and queries().
inline constexpr char kDefaultIdentity[] = "kiat";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts a server on the test's folder (port 0) and connects the stubs.
  void StartServer(LedgerOptions ledger = TestLedgerOptions());
  // Drops the stubs and the channel, then Shutdown()s the server.
  void StopServer();
  // StopServer(), then StartServer() on the same folder.
  void Restart(LedgerOptions ledger = TestLedgerOptions());

  AllianceServer& server() { return *server_; }
  const std::string& data_dir() const { return data_dir_->path(); }
  // As kDefaultIdentity ("kiat", the managing agency).
  v1::CommandService::Stub& commands() { return *command_stub_; }
  v1::QueryService::Stub& queries() { return *query_stub_; }
  const std::shared_ptr<grpc::Channel>& channel() { return channel_; }
  // As another identity of TestAccess (a channel of its own, kept until the
  // server stops).
  std::shared_ptr<grpc::Channel> ChannelAs(const std::string& identity);
  v1::CommandService::Stub& CommandsAs(const std::string& identity);
  v1::QueryService::Stub& QueriesAs(const std::string& identity);
  // Who Send sends `rpc` as: the identity of the role its row names
  // (ministry, kiat), for a university's command the lead of the request's
  // consortium as this fixture selected it (registered on first use).
  std::string IdentityFor(absl::string_view rpc, const google::protobuf::Message& request);

  // The log's last position and DumpModels(); fails the test on a read error.
  StoreSnapshot Snapshot();

  // Sends one command as the identity that records it (IdentityFor); the
  // RPC is picked from the request's type.
  grpc::Status Send(const v1::EstablishProgramRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::SelectConsortiumRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::DesignateLabRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::DisburseFundsRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::DisburseFundsBatchRequest& request,
                    v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::ReverseDisbursementRequest& request,
                    v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::RecordHireRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::OpenSelectionRoundRequest& request,
                    v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::SignAgreementRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::AmendAgreementRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::JoinConsortiumRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::WithdrawParticipantRequest& request,
                    v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::EnrolResearcherRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::RecordGraduationRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::RecordDepartureRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::RetractResearcherStepRequest& request,
                    v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::RecordEvaluationRequest& request, v1::AppendResult* result = nullptr);
  grpc::Status Send(const v1::CorrectEvaluationRequest& request,
                    v1::AppendResult* result = nullptr);
  // The four state changes share a request type: the test names the RPC.
  enum class StateChange { kSuspend, kResume, kTerminate, kComplete };
  grpc::Status SendState(StateChange change, const v1::ChangeConsortiumStateRequest& request,
                         v1::AppendResult* result = nullptr);

  // Queries (no headers needed).
  grpc::Status GetConsortium(const std::string& consortium_id, v1::ConsortiumStatus* status);
  grpc::Status GetProgramSummary(const std::string& program_id, v1::ProgramSummary* summary);
  grpc::Status ListConsortia(const v1::ListConsortiaRequest& request,
                             v1::ListConsortiaResponse* response);
  grpc::Status GetParticipant(const std::string& participant_id, v1::ParticipantStatus* status);
  // Every event of the log (stream_id "") or of one stream, read a page of
  // `page_size` at a time following next_from.
  std::vector<v1::EventEnvelope> ReadAllEvents(const std::string& stream_id = "",
                                               int32_t page_size = 1000);
  // The envelope at `global_position`, read over the wire.
  v1::EventEnvelope EventAt(uint64_t global_position);

  // Establishes "alliance-2023", opens its 2023 round of 3 slots and
  // selects its three consortia; with_labs also designates each one's lab
  // and signs each one's agreements for 2023..2027 at the annual limit (so
  // payments can be made). ASSERTs each command is accepted.
  void Seed2023(bool with_labs = true);

  // Sends `request` and ASSERTs it is accepted; returns the result.
  template <typename Request>
  v1::AppendResult MustSend(const Request& request) {
    v1::AppendResult result;
    grpc::Status status = Send(request, &result);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return result;
  }

 private:
  std::unique_ptr<TempDir> data_dir_;
  std::unique_ptr<AllianceServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CommandService::Stub> command_stub_;
  std::unique_ptr<v1::QueryService::Stub> query_stub_;
  struct Caller {
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<v1::CommandService::Stub> commands;
    std::unique_ptr<v1::QueryService::Stub> queries;
  };
  std::map<std::string, Caller> callers_;
  // The lead participant of every consortium this fixture selected.
  std::map<std::string, std::string> leads_;
};

// Each envelope serialized deterministically: compares logs byte for byte.
std::vector<std::string> SerializedEvents(const std::vector<v1::EventEnvelope>& events);
std::string SerializeDeterministic(const google::protobuf::Message& message);

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SERVICE_TEST_SERVER_H_
