// Queries as of a moment (GetConsortium, GetProgramSummary, GetParticipant
// with as_of_position or as_of_time) over a real gRPC channel: each answer
// is compared with the test's own fold of the log's prefix, through the
// domain's Fold and nothing of the server's, at every position, with
// checkpoints every few events, across a restart and a rebuild.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "services/domain/fold.h"
#include "tests/service/test_requests.h"
#include "tests/service/test_server.h"

namespace alliance::testing {
namespace {

using google::protobuf::util::MessageDifferencer;

// Small, so that the log of a test holds many checkpoints and as-of queries
// fold from them.
constexpr uint64_t kTestCheckpointEvents = 7;

LedgerOptions WithSmallCheckpoints() {
  LedgerOptions options = TestLedgerOptions();
  options.checkpoint_events = kTestCheckpointEvents;
  return options;
}

class AsOfTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Restart(WithSmallCheckpoints());
  }

  // The program, its consortia, payments and a hire.
  void Seed() {
    Seed2023();
    for (int i = 0; i < 12; ++i) MustSend(DisburseRequest(kChungnam, 2023, 10'000'000 + i));
    MustSend(DisburseRequest(kUlsan, 2024, 30'000'000));
  }

  // The state after the first `position` events, folded here.
  domain::LedgerState FoldPrefix(uint64_t position) {
    domain::LedgerState state;
    domain::ChangedModels changed;
    for (const v1::EventEnvelope& event : ReadAllEvents()) {
      if (event.global_position() > position) break;
      domain::Fold(event, &state, &changed);
    }
    return state;
  }

  grpc::Status ConsortiumAt(uint64_t position, v1::ConsortiumStatus* status) {
    v1::GetConsortiumRequest request;
    request.set_consortium_id(kChungnam);
    request.set_as_of_position(position);
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    return queries().GetConsortium(&context, request, status);
  }

  // Every position: the consortium, the program and a participant as the
  // test's fold has them.
  void ExpectEveryPositionAsFolded() {
    const uint64_t last = ReadAllEvents().size();
    for (uint64_t position = 1; position <= last; ++position) {
      const domain::LedgerState expected = FoldPrefix(position);
      v1::ConsortiumStatus consortium;
      grpc::Status status = ConsortiumAt(position, &consortium);
      auto it = expected.consortia.find(kChungnam);
      if (it == expected.consortia.end()) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << position;
        EXPECT_EQ(ReasonOf(status), "CONSORTIUM_NOT_FOUND");
      } else {
        ASSERT_TRUE(status.ok()) << position << ": " << Describe(status);
        EXPECT_TRUE(MessageDifferencer::Equals(consortium, it->second)) << "at " << position;
      }
      v1::GetProgramSummaryRequest program;
      program.set_program_id(kProgramId);
      program.set_as_of_position(position);
      v1::ProgramSummary summary;
      grpc::ClientContext context;
      SetDeadline(&context, kLongCallDeadline);
      status = queries().GetProgramSummary(&context, program, &summary);
      ASSERT_TRUE(status.ok()) << position << ": " << Describe(status);
      EXPECT_TRUE(MessageDifferencer::Equals(summary, expected.programs.at(kProgramId)))
          << "at " << position;
      const std::string conex = Pid("conex");
      v1::GetParticipantRequest participant;
      participant.set_participant_id(conex);
      participant.set_as_of_position(position);
      v1::ParticipantStatus participant_status;
      grpc::ClientContext participant_context;
      SetDeadline(&participant_context, kLongCallDeadline);
      status = queries().GetParticipant(&participant_context, participant, &participant_status);
      if (expected.participants.contains(conex)) {
        ASSERT_TRUE(status.ok()) << position << ": " << Describe(status);
        EXPECT_TRUE(MessageDifferencer::Equals(participant_status, expected.participants.at(conex)))
            << "at " << position;
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << position;
      }
    }
  }
};

TEST_F(AsOfTest, EveryPositionAnswersTheFoldOfTheLogUpToIt) {
  Seed();
  ASSERT_GT(ReadAllEvents().size(), 3 * kTestCheckpointEvents);
  // The answers below come from checkpoints, not only from a fold from 1.
  absl::StatusOr<storage::ModelCheckpoint> checkpoint =
      server().ledger().log()->CheckpointAtOrBefore(ReadAllEvents().size());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_GE(checkpoint->position, 3 * kTestCheckpointEvents);
  EXPECT_FALSE(checkpoint->models.empty());
  ExpectEveryPositionAsFolded();
  // The last position is now.
  const uint64_t last = ReadAllEvents().size();
  v1::ConsortiumStatus then;
  ASSERT_TRUE(ConsortiumAt(last, &then).ok());
  v1::ConsortiumStatus now;
  ASSERT_TRUE(GetConsortium(kChungnam, &now).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(then, now));
}

TEST_F(AsOfTest, CheckpointsServeAfterARestartAndARebuild) {
  Seed();
  Restart(WithSmallCheckpoints());
  MustSend(DisburseRequest(kChungnam, 2024, 5'000'000));
  ExpectEveryPositionAsFolded();
  LedgerOptions rebuild = WithSmallCheckpoints();
  rebuild.rebuild_read_models = true;  // drops the checkpoints with the models
  Restart(rebuild);
  ExpectEveryPositionAsFolded();
}

TEST_F(AsOfTest, AsOfTimeIsTheLastEventRecordedByThen) {
  Seed();
  const std::vector<v1::EventEnvelope> events = ReadAllEvents();
  for (size_t i : {size_t{0}, events.size() / 2, events.size() - 1}) {
    const google::protobuf::Timestamp at = events[i].recorded_at();
    uint64_t expected = 0;
    for (const v1::EventEnvelope& event : events) {
      if (event.recorded_at().seconds() < at.seconds() ||
          (event.recorded_at().seconds() == at.seconds() &&
           event.recorded_at().nanos() <= at.nanos())) {
        expected = event.global_position();
      }
    }
    v1::GetConsortiumRequest by_time;
    by_time.set_consortium_id(kChungnam);
    *by_time.mutable_as_of_time() = at;
    v1::ConsortiumStatus timed;
    grpc::ClientContext context;
    SetDeadline(&context, kLongCallDeadline);
    grpc::Status status = queries().GetConsortium(&context, by_time, &timed);
    v1::ConsortiumStatus positioned;
    grpc::Status expected_status = ConsortiumAt(expected, &positioned);
    ASSERT_EQ(status.error_code(), expected_status.error_code()) << i;
    if (status.ok()) {
      EXPECT_TRUE(MessageDifferencer::Equals(timed, positioned)) << i;
    }
  }
  // Before the first event, nothing was in the ledger.
  v1::GetProgramSummaryRequest before;
  before.set_program_id(kProgramId);
  before.mutable_as_of_time()->set_seconds(events.front().recorded_at().seconds() - 3600);
  v1::ProgramSummary summary;
  grpc::ClientContext context;
  SetDeadline(&context, kLongCallDeadline);
  grpc::Status status = queries().GetProgramSummary(&context, before, &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
}

TEST_F(AsOfTest, ABadMomentIsRefusedWithItsReason) {
  Seed();
  const uint64_t last = ReadAllEvents().size();
  v1::ConsortiumStatus status_message;
  grpc::Status status = ConsortiumAt(last + 1, &status_message);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(ReasonOf(status), "AS_OF_AFTER_LOG");
  EXPECT_EQ(MetadataOf(status).at("last_position"), std::to_string(last));

  v1::GetConsortiumRequest both;
  both.set_consortium_id(kChungnam);
  both.set_as_of_position(3);
  both.mutable_as_of_time()->set_seconds(1);
  grpc::ClientContext context;
  SetDeadline(&context, kLongCallDeadline);
  status = queries().GetConsortium(&context, both, &status_message);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FieldOf(status), "as_of_time");
}

}  // namespace
}  // namespace alliance::testing
