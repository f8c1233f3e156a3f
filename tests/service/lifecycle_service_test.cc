// The lifecycle's commands over a real gRPC channel to a real server on
// RocksDB: each accepted, and each refusal with its code and reason leaving
// the log and every read model unchanged.
#include <gtest/gtest.h>

#include "tests/service/test_server.h"

namespace alliance::testing {
namespace {

class LifecycleServiceTest : public ServerTest {};

TEST_F(LifecycleServiceTest, DisburseFunds_WithoutAnAgreement_FailedPrecondition_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  const StoreSnapshot before = Snapshot();
  grpc::Status status = Send(DisburseRequest(kChungnam, 2023, 1'000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "NO_AGREEMENT_FOR_YEAR");
  EXPECT_EQ(Snapshot(), before);
}

}  // namespace
}  // namespace alliance::testing
