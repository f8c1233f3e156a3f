// LedgerStateMachine over a real EventLog: the rule-index entries of a batch
// the appender is still writing (handed over by TakeModelWrites, not yet
// committed) must still be seen by the rules that decide the next batch.
#include "services/ledger_state_machine.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "services/domain/model_keys.h"
#include "storage/event_log.h"
#include "storage/refusal.h"
#include "tests/domain/ledger_fixture.h"
#include "tests/storage/temp_dir.h"

namespace alliance {
namespace {

using domain::testing::Disbursement;
using domain::testing::kChungnam;

class LedgerStateMachineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<storage::EventLog>> log =
        storage::EventLog::Open(dir_.Sub("store"), storage::EventLogOptions{});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    ASSERT_TRUE(machine_.Recover(*log_).ok());
  }

  // Folds the fixture's events from `from` on into the machine, hands over
  // the writes, and returns the commit that would write them.
  storage::CommitBatch FoldAndTake(size_t from) {
    storage::CommitBatch batch;
    for (size_t i = from; i < fixture_.log().size(); ++i) {
      const v1::EventEnvelope& event = fixture_.log()[i];
      machine_.Apply(event);
      batch.commands.push_back({event.event_id(), std::string(32, 'x'), {event}});
    }
    machine_.TakeModelWrites(&batch.model_writes, &batch.rule_writes);
    return batch;
  }

  absl::Status DecideDuplicatePayment() {
    return domain::DecideDisburseFunds(machine_.state(),
                                       Disbursement(kChungnam, 2023, 1'000'000, "PAY-1"))
        .status();
  }

  storage::TempDir dir_;
  std::unique_ptr<storage::EventLog> log_;
  LedgerStateMachine machine_;
  domain::testing::Ledger fixture_;
};

TEST_F(LedgerStateMachineTest, HandedOverRuleEntriesAreSeenBeforeAndAfterTheirCommit) {
  fixture_.Given2023WithAgreements();
  fixture_.Given(Disbursement(kChungnam, 2023, 1'000'000, "PAY-1"));

  // Handed over, not yet on disk: the appender is writing it while it
  // decides the next batch.
  storage::CommitBatch in_flight = FoldAndTake(0);
  ASSERT_FALSE(in_flight.rule_writes.empty());
  ASSERT_FALSE(log_->GetRuleEntry(domain::PaymentRuleKey(kChungnam, "PAY-1"))->has_value());
  absl::Status refused = DecideDuplicatePayment();
  EXPECT_EQ(refused.code(), absl::StatusCode::kAlreadyExists) << refused;
  EXPECT_EQ(GetRefusalDetails(refused)->reason, "PAYMENT_REFERENCE_ALREADY_USED");

  // Written; the next hand-over (nothing new) forgets the copy, and the
  // rule finds the entry on disk.
  ASSERT_TRUE(log_->Commit(in_flight).ok());
  storage::CommitBatch empty = FoldAndTake(fixture_.log().size());
  EXPECT_TRUE(empty.rule_writes.empty());
  ASSERT_TRUE(log_->GetRuleEntry(domain::PaymentRuleKey(kChungnam, "PAY-1"))->has_value());
  refused = DecideDuplicatePayment();
  EXPECT_EQ(refused.code(), absl::StatusCode::kAlreadyExists) << refused;
}

}  // namespace
}  // namespace alliance
