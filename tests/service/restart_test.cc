// What survives a restart of the server on the same RocksDB folder: every
// acknowledged event, byte for byte; read models equal to a fold of the log
// alone (and unchanged by --rebuild_read_models); the log's tail, so appends
// continue where they stopped; and the event-id index, so a retry of a
// pre-restart command is replayed, not written again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "services/ledger/ledger.h"
#include "tests/service/test_server.h"

namespace alliance::testing {
namespace {

class RestartTest : public ServerTest {
 protected:
  // The 2023 program with labs, agreements, payments, a reversal, researchers'
  // steps and a retraction, a membership change, an evaluation and its
  // correction, a suspension and a second round: every event type, several
  // streams. kHistoryEvents events in all.
  static constexpr uint64_t kHistoryEvents = 45;
  void SeedHistory() {
    Seed2023();  // 23 events
    MustSend(DisburseRequest(kChungnam, 2023, 1'000'000'000, "CN-2023-1"));
    MustSend(DisburseRequest(kChungnam, 2024, 380'000'000, "CN-2024-1"));
    v1::DisburseFundsRequest mistake = DisburseRequest(kUlsan, 2023, 90'000'000, "US-2023-1");
    MustSend(mistake);
    MustSend(ReverseRequest(kUlsan, mistake.meta().event_id()));
    MustSend(DisburseRequest(kGyeongnam, 2025, 1'380'000'000, "GN-2025-1"));
    MustSend(EnrolRequest(kChungnam, "knu-r1", kChungnamLab));
    MustSend(EnrolRequest(kUlsan, "uou-r1", kUlsanLab, v1::DEGREE_TRACK_MASTERS));
    MustSend(GraduationRequest(kUlsan, "uou-r1", kLaterIn2024 - 86'400));
    MustSend(HireRequest(kChungnam, "knu-r1", kChungnamLab, Pid("conex")));
    MustSend(HireRequest(kUlsan, "uou-r1", kUlsanLab, Pid("korea-ptg"), v1::DEGREE_MASTERS));
    MustSend(EnrolRequest(kChungnam, "knu-r2", kChungnamLab));
    v1::RecordHireRequest wrong = HireRequest(kChungnam, "knu-r2", kChungnamLab, Pid("yongsan"));
    MustSend(wrong);
    MustSend(RetractStepRequest(kChungnam, wrong.meta().event_id()));
    MustSend(DepartureRequest(kChungnam, "knu-r1", kLaterIn2024 + 86'400));
    MustSend(JoinRequest(kGyeongnam, MakeParticipant(Pid("third-enterprise"), "셋째기업", "Third",
                                                     v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)));
    MustSend(WithdrawRequest(kGyeongnam, Pid("within")));
    v1::RecordEvaluationRequest evaluation =
        EvaluationRequest(kChungnam, 2023, v1::EVALUATION_GRADE_UNSATISFACTORY, 55);
    MustSend(evaluation);
    MustSend(CorrectEvaluationRequest(kChungnam, evaluation.meta().event_id(),
                                      v1::EVALUATION_GRADE_SATISFACTORY, 75));
    MustSend(AmendRequest(kGyeongnam, 2026, 1'000'000'000));
    ASSERT_TRUE(SendState(StateChange::kSuspend, StateRequest(kUlsan, "audit", kLaterIn2024)).ok());
    ASSERT_TRUE(
        SendState(StateChange::kResume, StateRequest(kUlsan, "audit closed", kLaterIn2024)).ok());
    MustSend(RoundRequest(2024, 3));
  }

  // Expects the stored read models to equal a fold of the log alone.
  void ExpectModelsEqualFoldOfLog() {
    absl::StatusOr<FoldedLog> folded =
        FoldLog(*server().ledger().log(), /*with_rule_entries=*/true);
    ASSERT_TRUE(folded.ok()) << folded.status();
    const StoreSnapshot stored = Snapshot();
    EXPECT_FALSE(stored.models.empty());
    EXPECT_TRUE(folded->models == stored.models)
        << "stored read models (" << stored.models.size() << " entries) differ from a fold of "
        << "the log (" << folded->models.size() << " entries)";
    EXPECT_FALSE(folded->rule_entries.empty());
    EXPECT_TRUE(folded->rule_entries == *server().ledger().log()->DumpRuleEntries())
        << "the stored rule index differs from a fold of the log";
  }
};

TEST_F(RestartTest, AcknowledgedEvents_AllThereAfterRestart_ByteForByte) {
  SeedHistory();
  const std::vector<std::string> before = SerializedEvents(ReadAllEvents());
  const StoreSnapshot snapshot = Snapshot();
  ASSERT_EQ(before.size(), kHistoryEvents);
  Restart();
  EXPECT_EQ(server().ledger().recovered_event_count(), kHistoryEvents);
  const std::vector<std::string> after = SerializedEvents(ReadAllEvents());
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_TRUE(after[i] == before[i]) << "event at position " << i + 1 << " changed";
  }
  EXPECT_EQ(Snapshot(), snapshot);
  // Per stream too.
  // Selected, lab, five agreements, payment, reversal, enrolment,
  // graduation, hire, suspension, resumption.
  EXPECT_EQ(ReadAllEvents("consortium-ulsan-secondary-batteries").size(), 14u);
}

TEST_F(RestartTest, ReadModelsAfterRestart_EqualAFoldOfTheLog) {
  SeedHistory();
  ExpectModelsEqualFoldOfLog();
  Restart();
  ExpectModelsEqualFoldOfLog();
  v1::ConsortiumStatus ulsan;
  ASSERT_TRUE(GetConsortium(kUlsan, &ulsan).ok());
  EXPECT_EQ(ulsan.disbursed_total_krw(), 0);
  EXPECT_EQ(ulsan.funding_by_year(0).reversal_count(), 1);
  ASSERT_EQ(ulsan.hires_size(), 1);
  v1::ProgramSummary summary;
  ASSERT_TRUE(GetProgramSummary(kProgramId, &summary).ok());
  EXPECT_EQ(summary.disbursed_total_krw(), 2'760'000'000);
  // knu-r1 (hired, then left) and uou-r1; knu-r2's hire was retracted.
  EXPECT_EQ(summary.hire_count(), 2);
  v1::ConsortiumStatus chungnam;
  ASSERT_TRUE(GetConsortium(kChungnam, &chungnam).ok());
  EXPECT_EQ(chungnam.researcher_counts().left(), 1);
  EXPECT_EQ(chungnam.researcher_counts().enrolled(), 1);  // knu-r2, back to enrolled
  ASSERT_EQ(chungnam.evaluations_size(), 1);
  EXPECT_EQ(chungnam.evaluations(0).grade(), v1::EVALUATION_GRADE_SATISFACTORY);
  v1::ParticipantStatus within;
  ASSERT_TRUE(GetParticipant(Pid("within"), &within).ok());
  ASSERT_EQ(within.memberships_size(), 1);
  EXPECT_FALSE(within.memberships(0).current());
}

TEST_F(RestartTest, RebuildReadModels_LeavesModelsByteIdentical) {
  SeedHistory();
  const StoreSnapshot before = Snapshot();
  LedgerOptions rebuild = TestLedgerOptions();
  rebuild.rebuild_read_models = true;
  Restart(rebuild);
  const StoreSnapshot after = Snapshot();
  EXPECT_EQ(after.last_position, before.last_position);
  ASSERT_EQ(after.models.size(), before.models.size());
  for (size_t i = 0; i < before.models.size(); ++i) {
    EXPECT_TRUE(after.models[i] == before.models[i]) << "model entry " << i << " differs";
  }
  ExpectModelsEqualFoldOfLog();
  // And the rebuilt models serve queries.
  v1::ListConsortiaResponse list;
  v1::ListConsortiaRequest request;
  request.set_participant_id(Pid("korea-ptg"));
  ASSERT_TRUE(ListConsortia(request, &list).ok());
  ASSERT_EQ(list.consortia_size(), 1);
  EXPECT_EQ(list.consortia(0).consortium_id(), kUlsan);
}

TEST_F(RestartTest, AppendsContinueAtTheRightPositionAfterRestart) {
  SeedHistory();
  const uint64_t last = Snapshot().last_position;
  std::vector<v1::EventEnvelope> chungnam = ReadAllEvents("consortium-chungnam-future-vehicles");
  ASSERT_FALSE(chungnam.empty());
  const uint64_t chungnam_version = chungnam.back().stream_version();
  Restart();

  v1::DisburseFundsRequest next = DisburseRequest(kChungnam, 2025, 5'000);
  next.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_EXACT);
  next.mutable_meta()->mutable_expected_version()->set_version(chungnam_version);
  v1::AppendResult result = MustSend(next);
  EXPECT_FALSE(result.replayed());
  EXPECT_EQ(result.global_position(), last + 1);
  EXPECT_EQ(result.stream_version(), chungnam_version + 1);

  v1::SelectConsortiumRequest fresh =
      OtherSelectionRequest("daegu-robotics", kProgramId, 2024, "KR-27");
  fresh.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_NO_STREAM);
  result = MustSend(fresh);
  EXPECT_EQ(result.global_position(), last + 2);
  EXPECT_EQ(result.stream_version(), 1u);

  // The recovered state still enforces the rules: Chungnam's 2023 holds
  // 1,000,000,000 of 1,380,000,000.
  grpc::Status status = Send(DisburseRequest(kChungnam, 2023, 380'000'001));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "ANNUAL_LIMIT_EXCEEDED");
  EXPECT_EQ(MetadataOf(status)["disbursed_krw"], "1000000000");
  status = Send(DisburseRequest(kChungnam, 2026, 1'000, "CN-2023-1"));
  EXPECT_EQ(ReasonOf(status), "PAYMENT_REFERENCE_ALREADY_USED") << Describe(status);
  EXPECT_EQ(Snapshot().last_position, last + 2);
}

TEST_F(RestartTest, PaymentRulesHoldAcrossRestart_FromTheRuleIndexOnDisk) {
  Seed2023();
  v1::DisburseFundsRequest single = DisburseRequest(kChungnam, 2023, 1'000, "CN-SINGLE");
  MustSend(single);
  v1::DisburseFundsBatchRequest run =
      DisburseBatchRequest(kChungnam, 2024, {1'000, 2'000, 3'000, 4'000}, "CN-RUN");
  MustSend(run);
  const std::string third = run.meta().event_id() + "#2";
  MustSend(ReverseRequest(kChungnam, single.meta().event_id()));
  // The rule-index entries are stored apart from the read models, and equal
  // a fold of the log (what a rebuild would write).
  const StoreSnapshot before = Snapshot();
  EXPECT_EQ(before.rule_entries.size(), 2u * 5);  // a reference and a record per payment
  for (const auto& [key, value] : before.models) {
    EXPECT_NE(key.rfind(std::string("payment\0", 8), 0), 0u) << "a rule entry among the models";
  }
  ExpectModelsEqualFoldOfLog();

  Restart();
  EXPECT_EQ(Snapshot(), before) << "recovery wrote to the store";
  grpc::Status status = Send(DisburseRequest(kChungnam, 2025, 1, "CN-RUN-3"));
  EXPECT_EQ(ReasonOf(status), "PAYMENT_REFERENCE_ALREADY_USED") << Describe(status);
  EXPECT_EQ(MetadataOf(status)["original_event_id"], run.meta().event_id() + "#3");
  status = Send(DisburseRequest(kChungnam, 2025, 1, "CN-SINGLE"));
  EXPECT_EQ(ReasonOf(status), "PAYMENT_REFERENCE_ALREADY_USED") << Describe(status);
  status = Send(ReverseRequest(kChungnam, single.meta().event_id()));
  EXPECT_EQ(ReasonOf(status), "DISBURSEMENT_ALREADY_REVERSED") << Describe(status);
  EXPECT_EQ(Snapshot(), before) << "a refused command changed the store";

  // A reversal of a pre-restart run's event, then its repeat after another
  // restart and a rebuild of the models from the log.
  MustSend(ReverseRequest(kChungnam, third));
  LedgerOptions rebuild = TestLedgerOptions();
  rebuild.rebuild_read_models = true;
  Restart(rebuild);
  ExpectModelsEqualFoldOfLog();
  status = Send(ReverseRequest(kChungnam, third));
  EXPECT_EQ(ReasonOf(status), "DISBURSEMENT_ALREADY_REVERSED") << Describe(status);
  EXPECT_EQ(MetadataOf(status)["amount_krw"], "3000");
  v1::ConsortiumStatus chungnam;
  ASSERT_TRUE(GetConsortium(kChungnam, &chungnam).ok());
  EXPECT_EQ(chungnam.disbursed_total_krw(), 1'000 + 2'000 + 4'000);
}

TEST_F(RestartTest, RetryOfPreRestartEventId_ReplayedNotRewritten) {
  Seed2023();
  v1::DisburseFundsRequest request = DisburseRequest(kGyeongnam, 2024, 640'000'000, "GN-RETRY");
  const v1::AppendResult original = MustSend(request);
  Restart();
  const StoreSnapshot before = Snapshot();

  v1::AppendResult replay;
  grpc::Status status = Send(request, &replay);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(replay.replayed());
  EXPECT_EQ(replay.event_id(), original.event_id());
  EXPECT_EQ(replay.stream_id(), original.stream_id());
  EXPECT_EQ(replay.stream_version(), original.stream_version());
  EXPECT_EQ(replay.global_position(), original.global_position());
  EXPECT_EQ(SerializeDeterministic(replay.recorded_at()),
            SerializeDeterministic(original.recorded_at()));
  EXPECT_EQ(Snapshot(), before) << "a replay after restart wrote something";

  v1::DisburseFundsRequest changed = request;
  changed.mutable_disbursement()->set_amount_krw(1);
  status = Send(changed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "EVENT_ID_REUSED");
  EXPECT_EQ(Snapshot(), before);

  int seen = 0;
  for (const v1::EventEnvelope& event : ReadAllEvents()) {
    if (event.event_id() == request.meta().event_id()) ++seen;
  }
  EXPECT_EQ(seen, 1);
}

TEST_F(RestartTest, ShutdownDuringConcurrentCommands_EveryAcknowledgedEventSurvives) {
  Seed2023();
  const uint64_t base = Snapshot().last_position;
  const std::vector<std::string> consortia = {kChungnam, kGyeongnam, kUlsan};
  constexpr int kThreads = 6;
  constexpr int kPerThreadMax = 300;
  constexpr int kAcksBeforeShutdown = 60;

  std::mutex mutex;
  std::condition_variable acked_enough;
  std::map<std::string, uint64_t> acknowledged;  // event id -> global position
  std::atomic<bool> shutting_down{false};
  std::vector<std::string> unexpected;

  std::shared_ptr<grpc::Channel> channel = this->channel();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<v1::CommandService::Stub> stub = v1::CommandService::NewStub(channel);
      for (int i = 0; i < kPerThreadMax; ++i) {
        v1::DisburseFundsRequest request =
            DisburseRequest(consortia[(t + i) % 3], 2023 + (t + i) % kTermYears, 100 + i);
        v1::AppendResult result;
        grpc::Status status = stub->DisburseFunds(NewContext().get(), request, &result);
        std::lock_guard<std::mutex> lock(mutex);
        if (!status.ok()) {
          if (!shutting_down) unexpected.push_back(Describe(status));
          return;
        }
        acknowledged[request.meta().event_id()] = result.global_position();
        if (acknowledged.size() >= kAcksBeforeShutdown) acked_enough.notify_all();
      }
    });
  }
  {
    std::unique_lock<std::mutex> lock(mutex);
    // A give-up bound only; the commands normally take well under a second.
    acked_enough.wait_for(lock, std::chrono::seconds(60),
                          [&] { return acknowledged.size() >= kAcksBeforeShutdown; });
    shutting_down = true;
  }
  server().Shutdown();
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(unexpected, ::testing::IsEmpty());
  ASSERT_GE(acknowledged.size(), static_cast<size_t>(kAcksBeforeShutdown));

  StopServer();
  StartServer();
  std::map<std::string, uint64_t> logged;
  int64_t logged_total = 0;
  uint64_t expected_position = 1;
  for (const v1::EventEnvelope& event : ReadAllEvents()) {
    EXPECT_EQ(event.global_position(), expected_position++) << "a gap in the log";
    logged[event.event_id()] = event.global_position();
    if (event.payload().has_funds_disbursed()) {
      logged_total += event.payload().funds_disbursed().amount_krw();
    }
  }
  for (const auto& [event_id, position] : acknowledged) {
    auto it = logged.find(event_id);
    ASSERT_NE(it, logged.end()) << "acknowledged event " << event_id << " lost in the restart";
    EXPECT_EQ(it->second, position) << event_id;
  }
  EXPECT_GE(logged.size(), base + acknowledged.size());
  // The read models agree with the log.
  int64_t model_total = 0;
  for (const std::string& id : consortia) {
    v1::ConsortiumStatus consortium;
    ASSERT_TRUE(GetConsortium(id, &consortium).ok());
    model_total += consortium.disbursed_total_krw();
  }
  EXPECT_EQ(model_total, logged_total);
  ExpectModelsEqualFoldOfLog();
}

}  // namespace
}  // namespace alliance::testing
