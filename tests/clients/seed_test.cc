// The seed data set (clients/seed/alliance-2023.textpb) parses and says what
// the press release says: one program, three consortia each led by a
// university with at least two mid-sized enterprises, three labs designated
// at the 2023-05-25 ceremony, and a distinct fixed UUID on every command.
#include <google/protobuf/text_format.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "clients/format.h"
#include "gtest/gtest.h"
#include "seed.pb.h"

namespace alliance::seed {
namespace {

SeedFile LoadSeed() {
  std::ifstream in(ALLIANCE_SEED_FILE);
  EXPECT_TRUE(in) << ALLIANCE_SEED_FILE;
  std::stringstream text;
  text << in.rdbuf();
  SeedFile seed;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text.str(), &seed));
  return seed;
}

bool IsUuidV4(const std::string& id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return id[14] == '4' && std::string("89ab").find(id[19]) != std::string::npos;
}

const v1::CommandMeta& MetaOf(const SeedCommand& command) {
  switch (command.command_case()) {
    case SeedCommand::kEstablishProgram:
      return command.establish_program().meta();
    case SeedCommand::kSelectConsortium:
      return command.select_consortium().meta();
    case SeedCommand::kDesignateLab:
      return command.designate_lab().meta();
    case SeedCommand::kDisburseFunds:
      return command.disburse_funds().meta();
    case SeedCommand::kReverseDisbursement:
      return command.reverse_disbursement().meta();
    case SeedCommand::kRecordHire:
      return command.record_hire().meta();
    case SeedCommand::COMMAND_NOT_SET:
      break;
  }
  ADD_FAILURE() << "empty seed command";
  return v1::CommandMeta::default_instance();
}

TEST(SeedTest, HoldsTheProgramOfThePressRelease) {
  const SeedFile seed = LoadSeed();
  int programs = 0;
  for (const SeedCommand& command : seed.commands()) {
    if (!command.has_establish_program()) continue;
    ++programs;
    const v1::ProgramEstablished& program = command.establish_program().program();
    EXPECT_EQ(program.program_id(), "alliance-2023");
    EXPECT_EQ(program.ministry(), "산업통상자원부");
    EXPECT_EQ(program.rules().total_budget_krw(), 41'400'000'000);
    EXPECT_EQ(program.rules().consortium_limit_krw(), 6'900'000'000);
    EXPECT_EQ(program.rules().consortium_annual_limit_krw(), 1'380'000'000);
    EXPECT_EQ(program.rules().consortium_term_years(), 5);
    EXPECT_EQ(program.rules().first_year(), 2023);
    EXPECT_EQ(program.rules().last_year(), 2028);
    EXPECT_EQ(program.rules().min_midsized_enterprises(), 2);
    EXPECT_EQ(program.rules().excluded_region_codes_size(), 3);
    EXPECT_EQ(program.rules().hiring_target(), 30);
    EXPECT_EQ(command.establish_program().meta().expected_version().kind(),
              v1::ExpectedVersion::KIND_NO_STREAM);
  }
  EXPECT_EQ(programs, 1);
  ASSERT_GT(seed.commands_size(), 0);
  EXPECT_TRUE(seed.commands(0).has_establish_program()) << "the program comes first";
}

TEST(SeedTest, HoldsThreeEligibleConsortia) {
  const SeedFile seed = LoadSeed();
  absl::flat_hash_set<std::string> ids;
  for (const SeedCommand& command : seed.commands()) {
    if (!command.has_select_consortium()) continue;
    const v1::ConsortiumSelected& selection = command.select_consortium().selection();
    ids.insert(selection.consortium_id());
    EXPECT_EQ(selection.program_id(), "alliance-2023");
    EXPECT_EQ(selection.round_year(), 2023);
    EXPECT_EQ(command.select_consortium().meta().expected_version().kind(),
              v1::ExpectedVersion::KIND_NO_STREAM);
    int enterprises = 0;
    bool lead_is_university = false;
    for (const v1::Participant& p : selection.participants()) {
      if (p.role() == v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE) ++enterprises;
      if (p.participant_id() == selection.lead_participant_id() &&
          p.role() == v1::PARTICIPANT_ROLE_UNIVERSITY) {
        lead_is_university = true;
      }
    }
    EXPECT_GE(enterprises, 2) << selection.consortium_id();
    EXPECT_TRUE(lead_is_university) << selection.consortium_id();
  }
  EXPECT_EQ(ids, (absl::flat_hash_set<std::string>{"chungnam-future-vehicles",
                                                   "gyeongnam-metal-3d-printing",
                                                   "ulsan-secondary-batteries"}));
}

TEST(SeedTest, HoldsOneLabPerConsortiumDesignatedAtTheCeremony) {
  const SeedFile seed = LoadSeed();
  absl::flat_hash_set<std::string> consortia;
  for (const SeedCommand& command : seed.commands()) {
    if (!command.has_designate_lab()) continue;
    const v1::LabDesignated& lab = command.designate_lab().designation();
    consortia.insert(lab.consortium_id());
    const absl::Time at = absl::FromUnixSeconds(lab.occurred_at().seconds());
    EXPECT_EQ(client::FormatUtcTime(at).substr(0, 10), "2023-05-25") << lab.lab_id();
  }
  EXPECT_EQ(consortia.size(), 3u);
}

TEST(SeedTest, EveryCommandHasADistinctFixedUuid) {
  const SeedFile seed = LoadSeed();
  absl::flat_hash_set<std::string> ids;
  for (const SeedCommand& command : seed.commands()) {
    const std::string& id = MetaOf(command).event_id();
    EXPECT_TRUE(IsUuidV4(id)) << "'" << id << "'";
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(seed.commands_size()));
}

}  // namespace
}  // namespace alliance::seed
