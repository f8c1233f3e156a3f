// The lifecycle's commands over a real gRPC channel to a real server on
// RocksDB: each accepted, and each refusal with its code and reason leaving
// the log and every read model unchanged (the concept headers of services/domain/
// list the reasons); then the queries the lifecycle added or changed (GetParticipant,
// ListConsortia's state filter) and a restart.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/service/test_server.h"

namespace alliance::testing {
namespace {

// 2025-02-20, 2026-01-31, 2026-12-31 and 2027-06-01, 00:00:00Z.
constexpr int64_t kGraduatedAt = 1'740'009'600;
constexpr int64_t kLeftAt = 1'769'817'600;
constexpr int64_t kLastDayOf2026 = 1'798'675'200;
constexpr int64_t kInLastTermYear = 1'811'808'000;

constexpr char kDomain[] = "alliance.kiat.or.kr";
constexpr char kProgram2025[] = "alliance-2025";
constexpr char kDaegu[] = "daegu-robotics";

std::string ConsortiumStream(const std::string& consortium_id) {
  return "consortium-" + consortium_id;
}

// `participant_id` with its check digit changed: ten digits, wrong check.
std::string WithWrongCheckDigit(const std::string& participant_id) {
  std::string wrong = participant_id;
  wrong.back() = static_cast<char>('0' + (wrong.back() - '0' + 1) % 10);
  return wrong;
}

class LifecycleServiceTest : public ServerTest {
 protected:
  // Sends `request`, expects it refused with `code` and `reason`, and that
  // neither the log nor any read model changed.
  template <typename Request>
  grpc::Status ExpectRefused(const Request& request, grpc::StatusCode code,
                             const std::string& reason) {
    const StoreSnapshot before = Snapshot();
    v1::AppendResult result;
    grpc::Status status = Send(request, &result);
    EXPECT_EQ(status.error_code(), code) << Describe(status);
    EXPECT_EQ(ReasonOf(status), reason) << Describe(status);
    EXPECT_EQ(DomainOf(status), kDomain);
    EXPECT_EQ(Snapshot(), before) << "a refused command changed the store";
    return status;
  }

  grpc::Status ExpectStateRefused(StateChange change,
                                  const v1::ChangeConsortiumStateRequest& request,
                                  grpc::StatusCode code, const std::string& reason) {
    const StoreSnapshot before = Snapshot();
    v1::AppendResult result;
    grpc::Status status = SendState(change, request, &result);
    EXPECT_EQ(status.error_code(), code) << Describe(status);
    EXPECT_EQ(ReasonOf(status), reason) << Describe(status);
    EXPECT_EQ(DomainOf(status), kDomain);
    EXPECT_EQ(Snapshot(), before) << "a refused command changed the store";
    return status;
  }

  v1::AppendResult MustSendState(StateChange change,
                                 const v1::ChangeConsortiumStateRequest& request) {
    v1::AppendResult result;
    grpc::Status status = SendState(change, request, &result);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return result;
  }

  v1::ConsortiumStatus Consortium(const std::string& consortium_id) {
    v1::ConsortiumStatus status;
    grpc::Status read = GetConsortium(consortium_id, &status);
    EXPECT_TRUE(read.ok()) << Describe(read);
    return status;
  }

  v1::ProgramSummary Program(const std::string& program_id = kProgramId) {
    v1::ProgramSummary summary;
    grpc::Status read = GetProgramSummary(program_id, &summary);
    EXPECT_TRUE(read.ok()) << Describe(read);
    return summary;
  }

  v1::ParticipantStatus Participant(const std::string& participant_id) {
    v1::ParticipantStatus status;
    grpc::Status read = GetParticipant(participant_id, &status);
    EXPECT_TRUE(read.ok()) << Describe(read);
    return status;
  }

  // Checks that `result` acknowledges one new event `event_id` of type
  // `event_type` at the end of `stream_id` and of the log; returns it.
  v1::EventEnvelope ExpectAppended(const v1::AppendResult& result, const std::string& event_id,
                                   const std::string& stream_id, const std::string& event_type) {
    EXPECT_EQ(result.event_id(), event_id);
    EXPECT_EQ(result.stream_id(), stream_id);
    EXPECT_FALSE(result.replayed());
    EXPECT_EQ(result.event_count(), 1u);
    EXPECT_EQ(result.first_global_position(), result.global_position());
    EXPECT_EQ(result.first_stream_version(), result.stream_version());
    EXPECT_TRUE(result.has_recorded_at());
    EXPECT_EQ(Snapshot().last_position, result.global_position());
    v1::EventEnvelope envelope = EventAt(result.global_position());
    EXPECT_EQ(envelope.event_id(), event_id);
    EXPECT_EQ(envelope.stream_id(), stream_id);
    EXPECT_EQ(envelope.stream_version(), result.stream_version());
    EXPECT_EQ(envelope.event_type(), event_type);
    EXPECT_EQ(envelope.recorded_by().agency(), RecorderOrganisationOf(event_type));
    return envelope;
  }

  // ExpectAppended for an event of a consortium's stream, whose read model
  // must name it as its last.
  v1::EventEnvelope ExpectAppendedTo(const std::string& consortium_id,
                                     const v1::AppendResult& result, const std::string& event_id,
                                     const std::string& event_type) {
    v1::EventEnvelope envelope =
        ExpectAppended(result, event_id, ConsortiumStream(consortium_id), event_type);
    v1::ConsortiumStatus status = Consortium(consortium_id);
    EXPECT_EQ(status.stream_version(), result.stream_version());
    EXPECT_EQ(status.last_global_position(), result.global_position());
    return envelope;
  }

  // Program 2025 with Daegu's consortium selected into its 2025 round.
  void Seed2025() {
    MustSend(ProgramRequest(kProgram2025, Rules2025()));
    MustSend(RoundRequest(2025, 3, kProgram2025));
    MustSend(OtherSelectionRequest(kDaegu, kProgram2025, 2025, "KR-27"));
  }

  // Enrols `researcher_id` (PhD track) in Chungnam's lab and has Conex hire
  // them as a candidate in 2024; returns the hire's event id.
  std::string EnrolAndHire(const std::string& researcher_id,
                           const std::string& enterprise = Pid("conex")) {
    MustSend(EnrolRequest(kChungnam, researcher_id, kChungnamLab));
    v1::RecordHireRequest hire = HireRequest(kChungnam, researcher_id, kChungnamLab, enterprise);
    MustSend(hire);
    return hire.meta().event_id();
  }
};

// ---- OpenSelectionRound ---------------------------------------------------------------

TEST_F(LifecycleServiceTest, OpenSelectionRound_Accepted_ShownInTheProgramSummary) {
  MustSend(Program2023Request());
  v1::OpenSelectionRoundRequest request = RoundRequest(2024, 3);
  v1::AppendResult result = MustSend(request);
  v1::EventEnvelope envelope = ExpectAppended(result, request.meta().event_id(),
                                              "program-alliance-2023", "SelectionRoundOpened");
  EXPECT_EQ(result.stream_version(), 2u);
  EXPECT_EQ(envelope.payload().selection_round_opened().slots(), 3);
  v1::ProgramSummary program = Program();
  ASSERT_EQ(program.rounds_size(), 1);
  EXPECT_EQ(program.rounds(0).round_year(), 2024);
  EXPECT_EQ(program.rounds(0).slots(), 3);
  EXPECT_EQ(program.rounds(0).selected_count(), 0);
  EXPECT_EQ(program.last_global_position(), result.global_position());
}

TEST_F(LifecycleServiceTest, OpenSelectionRound_UnknownProgram_NotFound_NothingChanges) {
  grpc::Status status =
      ExpectRefused(RoundRequest(2023, 3), grpc::StatusCode::NOT_FOUND, "PROGRAM_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["program_id"], kProgramId);
}

TEST_F(LifecycleServiceTest, OpenSelectionRound_SecondRoundOfAYear_AlreadyExists_NothingChanges) {
  MustSend(Program2023Request());
  MustSend(RoundRequest(2023, 3));
  grpc::Status status = ExpectRefused(RoundRequest(2023, 1), grpc::StatusCode::ALREADY_EXISTS,
                                      "ROUND_ALREADY_OPENED");
  EXPECT_EQ(MetadataOf(status)["round_year"], "2023");
  EXPECT_EQ(MetadataOf(status)["slots"], "3");
}

TEST_F(LifecycleServiceTest, OpenSelectionRound_OutsideTheProgramPeriod_NothingChanges) {
  MustSend(Program2023Request());
  grpc::Status status = ExpectRefused(RoundRequest(2029, 1), grpc::StatusCode::FAILED_PRECONDITION,
                                      "ROUND_OUTSIDE_PROGRAM_PERIOD");
  EXPECT_EQ(MetadataOf(status)["round_year"], "2029");
  EXPECT_EQ(MetadataOf(status)["last_year"], "2028");
}

TEST_F(LifecycleServiceTest, OpenSelectionRound_TermPastTheProgramPeriod_NothingChanges) {
  MustSend(Program2023Request());
  grpc::Status status = ExpectRefused(RoundRequest(2025, 1), grpc::StatusCode::FAILED_PRECONDITION,
                                      "TERM_OUTSIDE_PROGRAM_PERIOD");
  EXPECT_EQ(MetadataOf(status)["term_last_year"], "2029");
}

TEST_F(LifecycleServiceTest, OpenSelectionRound_SlotsOverTheBudget_NothingChanges) {
  MustSend(Program2023Request());
  grpc::Status status = ExpectRefused(RoundRequest(2023, 7), grpc::StatusCode::FAILED_PRECONDITION,
                                      "ROUND_SLOTS_OVER_BUDGET");
  EXPECT_EQ(MetadataOf(status)["slots"], "7");
  EXPECT_EQ(MetadataOf(status)["available_slots"], "6");
}

// ---- SignAgreement ------------------------------------------------------------------------

TEST_F(LifecycleServiceTest, SignAgreement_Accepted_TheYearsCommitmentIsShown) {
  Seed2023(/*with_labs=*/false);
  v1::SignAgreementRequest request = AgreementRequest(kChungnam, 2024, 1'000'000'000);
  v1::AppendResult result = MustSend(request);
  v1::EventEnvelope envelope =
      ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "AgreementSigned");
  EXPECT_EQ(envelope.payload().agreement_signed().grant_krw(), 1'000'000'000);

  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  const v1::YearFunding& year = chungnam.funding_by_year(1);
  ASSERT_EQ(year.program_year(), 2024);
  EXPECT_TRUE(year.agreement_signed());
  EXPECT_EQ(year.committed_krw(), 1'000'000'000);
  EXPECT_EQ(year.remaining_commitment_krw(), 1'000'000'000);
  EXPECT_EQ(year.agreement_event_id(), request.meta().event_id());
  EXPECT_EQ(year.agreement_reference(), request.agreement().agreement_reference());
  EXPECT_EQ(chungnam.committed_total_krw(), 1'000'000'000);
  v1::ProgramSummary program = Program();
  EXPECT_EQ(program.agreed_total_krw(), 1'000'000'000);
  bool found = false;
  for (const v1::YearSummary& summary : program.by_year()) {
    if (summary.program_year() != 2024) continue;
    found = true;
    EXPECT_EQ(summary.agreed_krw(), 1'000'000'000);
  }
  EXPECT_TRUE(found) << "no 2024 entry in by_year";
}

TEST_F(LifecycleServiceTest, SignAgreement_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  grpc::Status status = ExpectRefused(AgreementRequest("nowhere", 2023),
                                      grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["consortium_id"], "nowhere");
}

TEST_F(LifecycleServiceTest, SignAgreement_SuspendedConsortium_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  MustSendState(StateChange::kSuspend, StateRequest(kChungnam, "evaluation", kLaterIn2024));
  grpc::Status status =
      ExpectRefused(AgreementRequest(kChungnam, 2023), grpc::StatusCode::FAILED_PRECONDITION,
                    "CONSORTIUM_NOT_ACTIVE");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_SUSPENDED");
}

TEST_F(LifecycleServiceTest, SignAgreement_YearOutsideTheTerm_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  grpc::Status status =
      ExpectRefused(AgreementRequest(kChungnam, 2028), grpc::StatusCode::FAILED_PRECONDITION,
                    "PROGRAM_YEAR_OUTSIDE_TERM");
  EXPECT_EQ(MetadataOf(status)["program_year"], "2028");
  EXPECT_EQ(MetadataOf(status)["term_last_year"], "2027");
}

TEST_F(LifecycleServiceTest, SignAgreement_YearAlreadySigned_AlreadyExists_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  v1::SignAgreementRequest first = AgreementRequest(kChungnam, 2023, 1'000'000'000);
  MustSend(first);
  grpc::Status status = ExpectRefused(AgreementRequest(kChungnam, 2023, 900'000'000),
                                      grpc::StatusCode::ALREADY_EXISTS, "AGREEMENT_ALREADY_SIGNED");
  EXPECT_EQ(MetadataOf(status)["original_event_id"], first.meta().event_id());
}

TEST_F(LifecycleServiceTest, SignAgreement_GrantOverTheAnnualLimit_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  grpc::Status status =
      ExpectRefused(AgreementRequest(kChungnam, 2023, kAnnualLimitKrw + 1),
                    grpc::StatusCode::FAILED_PRECONDITION, "GRANT_OVER_ANNUAL_LIMIT");
  EXPECT_EQ(MetadataOf(status)["grant_krw"], "1380000001");
  EXPECT_EQ(MetadataOf(status)["limit_krw"], "1380000000");
  EXPECT_EQ(status.error_message(),
            "a 2023 grant of 1,380,000,001 KRW is over the annual limit of 1,380,000,000 KRW");
}

TEST_F(LifecycleServiceTest, SignAgreement_GrantsOverTheConsortiumLimit_NothingChanges) {
  Seed2025();
  MustSend(AgreementRequest(kDaegu, 2025, 1'200'000'000));
  MustSend(AgreementRequest(kDaegu, 2026, 1'200'000'000));
  grpc::Status status =
      ExpectRefused(AgreementRequest(kDaegu, 2027, 600'000'001),
                    grpc::StatusCode::FAILED_PRECONDITION, "GRANT_OVER_CONSORTIUM_LIMIT");
  EXPECT_EQ(MetadataOf(status)["would_be_krw"], "3000000001");
  EXPECT_EQ(MetadataOf(status)["limit_krw"], "3000000000");
}

// ---- AmendAgreement -----------------------------------------------------------------------

TEST_F(LifecycleServiceTest, AmendAgreement_Accepted_NamesTheAgreementAndThePreviousGrant) {
  Seed2023();
  const std::string signed_event_id = Consortium(kChungnam).funding_by_year(0).agreement_event_id();
  ASSERT_FALSE(signed_event_id.empty());
  v1::AmendAgreementRequest request = AmendRequest(kChungnam, 2023, 1'000'000'000);
  v1::AppendResult result = MustSend(request);
  v1::EventEnvelope envelope =
      ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "AgreementAmended");
  const v1::AgreementAmended& amended = envelope.payload().agreement_amended();
  EXPECT_EQ(amended.grant_krw(), 1'000'000'000);
  EXPECT_EQ(amended.previous_grant_krw(), kAnnualLimitKrw);
  EXPECT_EQ(amended.corrects_event_id(), signed_event_id);
  EXPECT_EQ(amended.reason(), "budget reallocated");

  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  EXPECT_EQ(chungnam.funding_by_year(0).committed_krw(), 1'000'000'000);
  EXPECT_EQ(chungnam.funding_by_year(0).amendment_count(), 1);
  EXPECT_EQ(chungnam.funding_by_year(0).agreement_event_id(), request.meta().event_id());
  EXPECT_EQ(chungnam.committed_total_krw(), 4 * kAnnualLimitKrw + 1'000'000'000);
  EXPECT_EQ(Program().agreed_total_krw(), 14 * kAnnualLimitKrw + 1'000'000'000);
}

TEST_F(LifecycleServiceTest, AmendAgreement_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectRefused(AmendRequest("nowhere", 2023, 1'000), grpc::StatusCode::NOT_FOUND,
                "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, AmendAgreement_NoAgreementForTheYear_NotFound_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  grpc::Status status = ExpectRefused(AmendRequest(kChungnam, 2023, 1'000),
                                      grpc::StatusCode::NOT_FOUND, "AGREEMENT_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["program_year"], "2023");
}

TEST_F(LifecycleServiceTest, AmendAgreement_RaisingAClosedConsortiumsGrant_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  MustSend(AgreementRequest(kChungnam, 2023, 1'000'000'000));
  MustSendState(StateChange::kTerminate, StateRequest(kChungnam, "misconduct", kLaterIn2024));
  grpc::Status status = ExpectRefused(AmendRequest(kChungnam, 2023, 1'100'000'000),
                                      grpc::StatusCode::FAILED_PRECONDITION, "CONSORTIUM_CLOSED");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_TERMINATED");
  MustSend(AmendRequest(kChungnam, 2023, 900'000'000));
}

TEST_F(LifecycleServiceTest, AmendAgreement_RaisingASuspendedConsortiumsGrant_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  MustSend(AgreementRequest(kChungnam, 2023, 1'000'000'000));
  MustSendState(StateChange::kSuspend, StateRequest(kChungnam, "evaluation", kLaterIn2024));
  grpc::Status status =
      ExpectRefused(AmendRequest(kChungnam, 2023, 1'100'000'000),
                    grpc::StatusCode::FAILED_PRECONDITION, "CONSORTIUM_NOT_ACTIVE");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_SUSPENDED");
  MustSend(AmendRequest(kChungnam, 2023, 900'000'000));
}

TEST_F(LifecycleServiceTest, AmendAgreement_BelowWhatWasDisbursed_NothingChanges) {
  Seed2023();
  MustSend(DisburseRequest(kChungnam, 2023, 500'000'000));
  grpc::Status status =
      ExpectRefused(AmendRequest(kChungnam, 2023, 499'999'999),
                    grpc::StatusCode::FAILED_PRECONDITION, "GRANT_BELOW_DISBURSED");
  EXPECT_EQ(MetadataOf(status)["disbursed_krw"], "500000000");
  EXPECT_EQ(MetadataOf(status)["grant_krw"], "499999999");
  EXPECT_EQ(status.error_message(),
            "a 2023 grant of 499,999,999 KRW is below the 500,000,000 KRW already disbursed for "
            "the year; reverse payments first");
}

TEST_F(LifecycleServiceTest, AmendAgreement_OverTheAnnualLimit_NothingChanges) {
  Seed2023();
  grpc::Status status =
      ExpectRefused(AmendRequest(kChungnam, 2023, kAnnualLimitKrw + 1),
                    grpc::StatusCode::FAILED_PRECONDITION, "GRANT_OVER_ANNUAL_LIMIT");
  EXPECT_EQ(MetadataOf(status)["limit_krw"], "1380000000");
}

TEST_F(LifecycleServiceTest, AmendAgreement_GrantsOverTheConsortiumLimit_NothingChanges) {
  Seed2025();
  MustSend(AgreementRequest(kDaegu, 2025, 1'200'000'000));
  MustSend(AgreementRequest(kDaegu, 2026, 1'200'000'000));
  MustSend(AgreementRequest(kDaegu, 2027, 500'000'000));
  grpc::Status status =
      ExpectRefused(AmendRequest(kDaegu, 2027, 600'000'001), grpc::StatusCode::FAILED_PRECONDITION,
                    "GRANT_OVER_CONSORTIUM_LIMIT");
  EXPECT_EQ(MetadataOf(status)["would_be_krw"], "3000000001");
  MustSend(AmendRequest(kDaegu, 2027, 600'000'000));
}

// ---- DisburseFunds: the lifecycle's refusals ----------------------------------------------

TEST_F(LifecycleServiceTest, DisburseFunds_Accepted_AgainstTheYearsAgreement) {
  Seed2023(/*with_labs=*/false);
  MustSend(AgreementRequest(kChungnam, 2023, 1'000'000'000));
  v1::DisburseFundsRequest request = DisburseRequest(kChungnam, 2023, 300'000'000);
  v1::AppendResult result = MustSend(request);
  ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "FundsDisbursed");
  const v1::YearFunding year = Consortium(kChungnam).funding_by_year(0);
  EXPECT_EQ(year.disbursed_krw(), 300'000'000);
  EXPECT_EQ(year.committed_krw(), 1'000'000'000);
  EXPECT_EQ(year.remaining_commitment_krw(), 700'000'000);
}

TEST_F(LifecycleServiceTest, DisburseFunds_WithoutAnAgreement_FailedPrecondition_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  const StoreSnapshot before = Snapshot();
  grpc::Status status = Send(DisburseRequest(kChungnam, 2023, 1'000));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "NO_AGREEMENT_FOR_YEAR");
  EXPECT_EQ(MetadataOf(status)["program_year"], "2023");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(LifecycleServiceTest, DisburseFunds_SuspendedConsortium_NothingChanges) {
  Seed2023();
  MustSendState(StateChange::kSuspend, StateRequest(kChungnam, "evaluation", kLaterIn2024));
  grpc::Status status =
      ExpectRefused(DisburseRequest(kChungnam, 2023, 1'000), grpc::StatusCode::FAILED_PRECONDITION,
                    "CONSORTIUM_NOT_ACTIVE");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_SUSPENDED");
  EXPECT_EQ(MetadataOf(status)["required_state"], "CONSORTIUM_STATE_ACTIVE");
}

TEST_F(LifecycleServiceTest, DisburseFunds_OverTheYearsGrant_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  MustSend(AgreementRequest(kChungnam, 2023, 1'000'000'000));
  MustSend(DisburseRequest(kChungnam, 2023, 600'000'000));
  grpc::Status status = ExpectRefused(DisburseRequest(kChungnam, 2023, 400'000'001),
                                      grpc::StatusCode::FAILED_PRECONDITION, "COMMITMENT_EXCEEDED");
  EXPECT_EQ(MetadataOf(status)["would_be_krw"], "1000000001");
  EXPECT_EQ(MetadataOf(status)["limit_krw"], "1000000000");
  EXPECT_EQ(status.error_message(),
            "2023 total against the agreement would be 1,000,000,001 KRW, limit 1,000,000,000 KRW");
}

// ---- DesignateLab: a closed consortium ----------------------------------------------------

TEST_F(LifecycleServiceTest, DesignateLab_ClosedConsortium_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  MustSendState(StateChange::kTerminate, StateRequest(kChungnam, "misconduct", kLaterIn2024));
  grpc::Status status = ExpectRefused(LabRequest(kChungnam), grpc::StatusCode::FAILED_PRECONDITION,
                                      "CONSORTIUM_CLOSED");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_TERMINATED");
}

// ---- JoinConsortium ----------------------------------------------------------------------

TEST_F(LifecycleServiceTest, JoinConsortium_Accepted_AMemberInEveryReadModel) {
  Seed2023();
  const v1::Participant hyundai =
      MakeParticipant(Pid("hyundai-transys"), "현대트랜시스", "Hyundai Transys",
                      v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  v1::JoinConsortiumRequest request = JoinRequest(kChungnam, hyundai);
  v1::AppendResult result = MustSend(request);
  v1::EventEnvelope envelope =
      ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ParticipantJoined");
  EXPECT_EQ(envelope.payload().participant_joined().participant().participant_id(),
            Pid("hyundai-transys"));

  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  ASSERT_EQ(chungnam.participants_size(), 6);
  EXPECT_EQ(chungnam.participants(5).participant_id(), Pid("hyundai-transys"));
  ASSERT_EQ(chungnam.members_size(), 6);
  EXPECT_EQ(chungnam.members(5).participant().participant_id(), Pid("hyundai-transys"));
  EXPECT_TRUE(chungnam.members(5).current());
  EXPECT_EQ(chungnam.members(5).joined_at().seconds(), kLaterIn2024);

  v1::ParticipantStatus participant = Participant(Pid("hyundai-transys"));
  EXPECT_EQ(participant.name_en(), "Hyundai Transys");
  ASSERT_EQ(participant.memberships_size(), 1);
  EXPECT_EQ(participant.memberships(0).consortium_id(), kChungnam);
  EXPECT_TRUE(participant.memberships(0).current());
  EXPECT_EQ(participant.last_global_position(), result.global_position());
}

TEST_F(LifecycleServiceTest, JoinConsortium_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectRefused(JoinRequest("nowhere", MakeParticipant(Pid("newcomer"), "신규", "New",
                                                       v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)),
                grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, JoinConsortium_ClosedConsortium_NothingChanges) {
  Seed2023();
  MustSendState(StateChange::kComplete, StateRequest(kChungnam, "", kInLastTermYear));
  grpc::Status status = ExpectRefused(
      JoinRequest(kChungnam, MakeParticipant(Pid("newcomer"), "신규", "New",
                                             v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)),
      grpc::StatusCode::FAILED_PRECONDITION, "CONSORTIUM_CLOSED");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_COMPLETED");
}

TEST_F(LifecycleServiceTest, JoinConsortium_AlreadyAMember_AlreadyExists_NothingChanges) {
  Seed2023();
  grpc::Status status = ExpectRefused(
      JoinRequest(kChungnam, MakeParticipant(Pid("conex"), "주식회사 코넥", "Conex",
                                             v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)),
      grpc::StatusCode::ALREADY_EXISTS, "PARTICIPANT_ALREADY_MEMBER");
  EXPECT_EQ(MetadataOf(status)["participant_id"], Pid("conex"));
}

TEST_F(LifecycleServiceTest, JoinConsortium_WrongCheckDigit_InvalidArgumentNamingTheField) {
  Seed2023();
  const std::string wrong = WithWrongCheckDigit(Pid("newcomer"));
  ASSERT_EQ(wrong.size(), 10u);
  ASSERT_NE(wrong, Pid("newcomer"));
  grpc::Status status = ExpectRefused(
      JoinRequest(kChungnam,
                  MakeParticipant(wrong, "신규", "New", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)),
      grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD");
  EXPECT_EQ(FieldOf(status), "joining.participant.participant_id");
  EXPECT_NE(status.error_message().find("check digit"), std::string::npos) << Describe(status);
}

TEST_F(LifecycleServiceTest, SelectConsortium_UnknownRegionCode_InvalidArgumentNamingTheField) {
  MustSend(Program2023Request());
  MustSend(RoundRequest(2023, 3));
  grpc::Status status =
      ExpectRefused(OtherSelectionRequest("jeju-nowhere", kProgramId, 2023, "KR-99"),
                    grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD");
  EXPECT_EQ(FieldOf(status), "selection.region_code");
}

// ---- WithdrawParticipant -------------------------------------------------------------------

TEST_F(LifecycleServiceTest, WithdrawParticipant_Accepted_AFormerMemberWithItsRole) {
  Seed2023();
  v1::WithdrawParticipantRequest request = WithdrawRequest(kChungnam, Pid("katech"));
  v1::AppendResult result = MustSend(request);
  v1::EventEnvelope envelope =
      ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ParticipantWithdrew");
  EXPECT_EQ(envelope.payload().participant_withdrew().role(),
            v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE);
  EXPECT_EQ(envelope.payload().participant_withdrew().reason(), "business restructuring");

  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  EXPECT_EQ(chungnam.participants_size(), 4);
  for (const v1::Participant& participant : chungnam.participants()) {
    EXPECT_NE(participant.participant_id(), Pid("katech"));
  }
  ASSERT_EQ(chungnam.members_size(), 5);
  EXPECT_EQ(chungnam.members(3).participant().participant_id(), Pid("katech"));
  EXPECT_FALSE(chungnam.members(3).current());
  EXPECT_EQ(chungnam.members(3).withdrawn_at().seconds(), kLaterIn2024);
  EXPECT_EQ(chungnam.members(3).withdrawal_reason(), "business restructuring");

  v1::ParticipantStatus katech = Participant(Pid("katech"));
  ASSERT_EQ(katech.memberships_size(), 1);
  EXPECT_FALSE(katech.memberships(0).current());
  EXPECT_EQ(katech.memberships(0).withdrawn_at().seconds(), kLaterIn2024);
}

TEST_F(LifecycleServiceTest, WithdrawParticipant_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectRefused(WithdrawRequest("nowhere", Pid("katech")), grpc::StatusCode::NOT_FOUND,
                "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, WithdrawParticipant_NotAMember_NotFound_NothingChanges) {
  Seed2023();
  grpc::Status status = ExpectRefused(WithdrawRequest(kChungnam, Pid("korea-ptg")),
                                      grpc::StatusCode::NOT_FOUND, "PARTICIPANT_NOT_MEMBER");
  EXPECT_EQ(MetadataOf(status)["participant_id"], Pid("korea-ptg"));
}

TEST_F(LifecycleServiceTest, WithdrawParticipant_TheLead_NothingChanges) {
  Seed2023();
  ExpectRefused(WithdrawRequest(kChungnam, Pid("kongju-univ")),
                grpc::StatusCode::FAILED_PRECONDITION, "LEAD_CANNOT_WITHDRAW");
}

TEST_F(LifecycleServiceTest, WithdrawParticipant_TheLabsHost_NothingChanges) {
  Seed2023();
  MustSend(
      JoinRequest(kChungnam, MakeParticipant(Pid("hoseo-univ"), "호서대학교", "Hoseo University",
                                             v1::PARTICIPANT_ROLE_UNIVERSITY)));
  MustSend(LabRequest(kChungnam, "hoseo-lab", Pid("hoseo-univ")));
  grpc::Status status =
      ExpectRefused(WithdrawRequest(kChungnam, Pid("hoseo-univ")),
                    grpc::StatusCode::FAILED_PRECONDITION, "LAB_HOST_CANNOT_WITHDRAW");
  EXPECT_EQ(MetadataOf(status)["participant_id"], Pid("hoseo-univ"));
}

TEST_F(LifecycleServiceTest,
       WithdrawParticipant_OneOfTwoEnterprises_NothingChanges_UntilAThirdJoins) {
  Seed2023();
  grpc::Status status =
      ExpectRefused(WithdrawRequest(kChungnam, Pid("conex")), grpc::StatusCode::FAILED_PRECONDITION,
                    "TOO_FEW_MIDSIZED_ENTERPRISES");
  EXPECT_EQ(MetadataOf(status)["midsized_enterprise_count"], "1");
  EXPECT_EQ(MetadataOf(status)["min_midsized_enterprises"], "2");
  MustSend(JoinRequest(kChungnam,
                       MakeParticipant(Pid("hyundai-transys"), "현대트랜시스", "Hyundai Transys",
                                       v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)));
  MustSend(WithdrawRequest(kChungnam, Pid("conex")));
  EXPECT_EQ(Consortium(kChungnam).participants_size(), 5);
}

// ---- EnrolResearcher ---------------------------------------------------------------------

TEST_F(LifecycleServiceTest, EnrolResearcher_Accepted_TheResearcherIsShownEnrolled) {
  Seed2023();
  v1::EnrolResearcherRequest request = EnrolRequest(kChungnam, "kongju-2023-001", kChungnamLab);
  v1::AppendResult result = MustSend(request);
  ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ResearcherEnrolled");
  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  ASSERT_EQ(chungnam.researchers_size(), 1);
  const v1::Researcher& researcher = chungnam.researchers(0);
  EXPECT_EQ(researcher.researcher_id(), "kongju-2023-001");
  EXPECT_EQ(researcher.stage(), v1::RESEARCHER_STAGE_ENROLLED);
  EXPECT_EQ(researcher.lab_id(), kChungnamLab);
  EXPECT_EQ(researcher.track(), v1::DEGREE_TRACK_PHD);
  EXPECT_EQ(researcher.enrolled_at().seconds(), kEnrolledAt);
  ASSERT_EQ(researcher.steps_size(), 1);
  EXPECT_EQ(researcher.steps(0).event_id(), request.meta().event_id());
  EXPECT_EQ(chungnam.researcher_counts().enrolled(), 1);
  EXPECT_EQ(Program().researcher_counts().enrolled(), 1);
}

TEST_F(LifecycleServiceTest, EnrolResearcher_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectRefused(EnrolRequest("nowhere", "r-1", kChungnamLab), grpc::StatusCode::NOT_FOUND,
                "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, EnrolResearcher_SuspendedConsortium_NothingChanges) {
  Seed2023();
  MustSendState(StateChange::kSuspend, StateRequest(kChungnam, "evaluation", kLaterIn2024));
  grpc::Status status =
      ExpectRefused(EnrolRequest(kChungnam, "r-1", kChungnamLab),
                    grpc::StatusCode::FAILED_PRECONDITION, "CONSORTIUM_NOT_ACTIVE");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_SUSPENDED");
}

TEST_F(LifecycleServiceTest, EnrolResearcher_IdTaken_AlreadyExists_NothingChanges) {
  Seed2023();
  MustSend(EnrolRequest(kChungnam, "r-1", kChungnamLab));
  grpc::Status status =
      ExpectRefused(EnrolRequest(kChungnam, "r-1", kChungnamLab), grpc::StatusCode::ALREADY_EXISTS,
                    "RESEARCHER_ALREADY_ENROLLED");
  EXPECT_EQ(MetadataOf(status)["researcher_id"], "r-1");
  EXPECT_EQ(MetadataOf(status)["stage"], "RESEARCHER_STAGE_ENROLLED");
}

TEST_F(LifecycleServiceTest, EnrolResearcher_LabNotDesignated_NothingChanges) {
  Seed2023();
  grpc::Status status = ExpectRefused(EnrolRequest(kChungnam, "r-1", kUlsanLab),
                                      grpc::StatusCode::FAILED_PRECONDITION, "LAB_NOT_DESIGNATED");
  EXPECT_EQ(MetadataOf(status)["lab_id"], kUlsanLab);
}

// ---- RecordGraduation -----------------------------------------------------------------------

TEST_F(LifecycleServiceTest, RecordGraduation_Accepted_WithTheDegreeOfTheTrack) {
  Seed2023();
  MustSend(EnrolRequest(kChungnam, "r-1", kChungnamLab, v1::DEGREE_TRACK_PHD));
  v1::RecordGraduationRequest request = GraduationRequest(kChungnam, "r-1", kGraduatedAt);
  v1::AppendResult result = MustSend(request);
  v1::EventEnvelope envelope =
      ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ResearcherGraduated");
  EXPECT_EQ(envelope.payload().researcher_graduated().degree(), v1::DEGREE_PHD);
  EXPECT_EQ(envelope.payload().researcher_graduated().researcher_id(), "r-1");
  const v1::Researcher researcher = Consortium(kChungnam).researchers(0);
  EXPECT_EQ(researcher.stage(), v1::RESEARCHER_STAGE_GRADUATED);
  EXPECT_EQ(researcher.degree(), v1::DEGREE_PHD);
  EXPECT_EQ(researcher.graduated_at().seconds(), kGraduatedAt);
  EXPECT_EQ(Consortium(kChungnam).researcher_counts().graduated(), 1);
}

TEST_F(LifecycleServiceTest, RecordGraduation_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectRefused(GraduationRequest("nowhere", "r-1", kGraduatedAt), grpc::StatusCode::NOT_FOUND,
                "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, RecordGraduation_UnknownResearcher_NotFound_NothingChanges) {
  Seed2023();
  grpc::Status status = ExpectRefused(GraduationRequest(kChungnam, "never-enrolled", kGraduatedAt),
                                      grpc::StatusCode::NOT_FOUND, "RESEARCHER_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["researcher_id"], "never-enrolled");
}

TEST_F(LifecycleServiceTest, RecordGraduation_AlreadyGraduated_NothingChanges) {
  Seed2023();
  MustSend(EnrolRequest(kChungnam, "r-1", kChungnamLab));
  MustSend(GraduationRequest(kChungnam, "r-1", kGraduatedAt));
  ExpectRefused(GraduationRequest(kChungnam, "r-1", kLeftAt), grpc::StatusCode::FAILED_PRECONDITION,
                "RESEARCHER_ALREADY_GRADUATED");
}

TEST_F(LifecycleServiceTest, RecordGraduation_AfterLeavingAsACandidate_NothingChanges) {
  Seed2023();
  EnrolAndHire("r-1");
  MustSend(DepartureRequest(kChungnam, "r-1", kGraduatedAt - 86'400));
  grpc::Status status =
      ExpectRefused(GraduationRequest(kChungnam, "r-1", kGraduatedAt),
                    grpc::StatusCode::FAILED_PRECONDITION, "RESEARCHER_NOT_STUDYING");
  EXPECT_EQ(MetadataOf(status)["stage"], "RESEARCHER_STAGE_LEFT");
}

TEST_F(LifecycleServiceTest, RecordGraduation_DatedBeforeTheEnrolment_NothingChanges) {
  Seed2023();
  v1::EnrolResearcherRequest enrolment = EnrolRequest(kChungnam, "r-1", kChungnamLab);
  MustSend(enrolment);
  grpc::Status status =
      ExpectRefused(GraduationRequest(kChungnam, "r-1", kEnrolledAt - 1),
                    grpc::StatusCode::FAILED_PRECONDITION, "STEP_BEFORE_PREVIOUS_STEP");
  EXPECT_EQ(MetadataOf(status)["previous_step_event_id"], enrolment.meta().event_id());
  EXPECT_EQ(MetadataOf(status)["previous_step_occurred_at"], "2023-09-01T00:00:00Z");
}

// ---- RecordDeparture --------------------------------------------------------------------------

TEST_F(LifecycleServiceTest, RecordDeparture_Accepted_NamesTheEnterpriseOfTheHire) {
  Seed2023();
  const std::string hire_event_id = EnrolAndHire("r-1", Pid("yongsan"));
  v1::RecordDepartureRequest request = DepartureRequest(kChungnam, "r-1", kLeftAt);
  v1::AppendResult result = MustSend(request);
  v1::EventEnvelope envelope =
      ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ResearcherLeft");
  EXPECT_EQ(envelope.payload().researcher_left().enterprise_participant_id(), Pid("yongsan"));
  EXPECT_EQ(envelope.payload().researcher_left().reason(), "moved to another company");

  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  EXPECT_EQ(chungnam.researchers(0).stage(), v1::RESEARCHER_STAGE_LEFT);
  EXPECT_EQ(chungnam.hire_count(), 1);
  ASSERT_EQ(chungnam.hires_size(), 1);
  EXPECT_EQ(chungnam.hires(0).event_id(), hire_event_id);
  EXPECT_EQ(chungnam.hires(0).left_at().seconds(), kLeftAt);
  EXPECT_EQ(chungnam.researcher_counts().left(), 1);
  EXPECT_EQ(chungnam.researcher_counts().hired(), 0);
  v1::ParticipantStatus yongsan = Participant(Pid("yongsan"));
  ASSERT_EQ(yongsan.hires_size(), 1);
  EXPECT_EQ(yongsan.hires(0).left_at().seconds(), kLeftAt);
}

TEST_F(LifecycleServiceTest, RecordDeparture_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectRefused(DepartureRequest("nowhere", "r-1", kLeftAt), grpc::StatusCode::NOT_FOUND,
                "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, RecordDeparture_UnknownResearcher_NotFound_NothingChanges) {
  Seed2023();
  ExpectRefused(DepartureRequest(kChungnam, "never-enrolled", kLeftAt), grpc::StatusCode::NOT_FOUND,
                "RESEARCHER_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, RecordDeparture_NotHired_NothingChanges) {
  Seed2023();
  MustSend(EnrolRequest(kChungnam, "r-1", kChungnamLab));
  grpc::Status status =
      ExpectRefused(DepartureRequest(kChungnam, "r-1", kLeftAt),
                    grpc::StatusCode::FAILED_PRECONDITION, "RESEARCHER_NOT_HIRED");
  EXPECT_EQ(MetadataOf(status)["stage"], "RESEARCHER_STAGE_ENROLLED");
}

TEST_F(LifecycleServiceTest, RecordDeparture_DatedBeforeTheHire_NothingChanges) {
  Seed2023();
  const std::string hire_event_id = EnrolAndHire("r-1");
  grpc::Status status =
      ExpectRefused(DepartureRequest(kChungnam, "r-1", kLaterIn2024 - 1),
                    grpc::StatusCode::FAILED_PRECONDITION, "STEP_BEFORE_PREVIOUS_STEP");
  EXPECT_EQ(MetadataOf(status)["previous_step_event_id"], hire_event_id);
}

// ---- RetractResearcherStep ------------------------------------------------------------------

TEST_F(LifecycleServiceTest, RetractResearcherStep_Accepted_TheHireCountsNoMore) {
  Seed2023();
  const std::string hire_event_id = EnrolAndHire("r-1");
  ASSERT_EQ(Consortium(kChungnam).hire_count(), 1);
  v1::RetractResearcherStepRequest request = RetractStepRequest(kChungnam, hire_event_id);
  v1::AppendResult result = MustSend(request);
  v1::EventEnvelope envelope =
      ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ResearcherStepRetracted");
  const v1::ResearcherStepRetracted& retracted = envelope.payload().researcher_step_retracted();
  EXPECT_EQ(retracted.researcher_id(), "r-1");
  EXPECT_EQ(retracted.retracted_event_type(), "ResearcherHired");
  EXPECT_EQ(retracted.corrects_event_id(), hire_event_id);

  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  EXPECT_EQ(chungnam.researchers(0).stage(), v1::RESEARCHER_STAGE_ENROLLED);
  ASSERT_EQ(chungnam.researchers(0).steps_size(), 2);
  EXPECT_TRUE(chungnam.researchers(0).steps(1).retracted());
  EXPECT_EQ(chungnam.researchers(0).steps(1).retraction_event_id(), request.meta().event_id());
  EXPECT_EQ(chungnam.hire_count(), 0);
  EXPECT_EQ(chungnam.hires_size(), 0);
  EXPECT_EQ(Program().hire_count(), 0);
  EXPECT_EQ(Participant(Pid("conex")).hire_count(), 0);
}

TEST_F(LifecycleServiceTest, RetractResearcherStep_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  const std::string hire_event_id = EnrolAndHire("r-1");
  ExpectRefused(RetractStepRequest("nowhere", hire_event_id), grpc::StatusCode::NOT_FOUND,
                "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, RetractResearcherStep_NoSuchStep_NotFound_NothingChanges) {
  Seed2023();
  EnrolAndHire("r-1");
  const std::string unknown = NewEventId();
  grpc::Status status = ExpectRefused(RetractStepRequest(kChungnam, unknown),
                                      grpc::StatusCode::NOT_FOUND, "RESEARCHER_STEP_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["corrects_event_id"], unknown);
  // An event of the consortium that is no researcher's step.
  const std::string agreement_event_id =
      Consortium(kChungnam).funding_by_year(0).agreement_event_id();
  ExpectRefused(RetractStepRequest(kChungnam, agreement_event_id), grpc::StatusCode::NOT_FOUND,
                "RESEARCHER_STEP_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, RetractResearcherStep_AlreadyRetracted_NothingChanges) {
  Seed2023();
  const std::string hire_event_id = EnrolAndHire("r-1");
  MustSend(RetractStepRequest(kChungnam, hire_event_id));
  ExpectRefused(RetractStepRequest(kChungnam, hire_event_id), grpc::StatusCode::FAILED_PRECONDITION,
                "STEP_ALREADY_RETRACTED");
}

TEST_F(LifecycleServiceTest, RetractResearcherStep_NotTheLatestStep_NothingChanges) {
  Seed2023();
  v1::EnrolResearcherRequest enrolment = EnrolRequest(kChungnam, "r-1", kChungnamLab);
  MustSend(enrolment);
  MustSend(HireRequest(kChungnam, "r-1", kChungnamLab, Pid("conex")));
  grpc::Status status = ExpectRefused(RetractStepRequest(kChungnam, enrolment.meta().event_id()),
                                      grpc::StatusCode::FAILED_PRECONDITION, "STEP_NOT_LATEST");
  EXPECT_EQ(MetadataOf(status)["corrects_event_id"], enrolment.meta().event_id());
}

// ---- RecordEvaluation / CorrectEvaluation ----------------------------------------------------

TEST_F(LifecycleServiceTest, RecordEvaluation_Accepted_TheYearsEvaluationInEffect) {
  Seed2023();
  v1::RecordEvaluationRequest request =
      EvaluationRequest(kChungnam, 2023, v1::EVALUATION_GRADE_EXCELLENT, 92);
  v1::AppendResult result = MustSend(request);
  ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "EvaluationRecorded");
  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  ASSERT_EQ(chungnam.evaluations_size(), 1);
  EXPECT_EQ(chungnam.evaluations(0).program_year(), 2023);
  EXPECT_EQ(chungnam.evaluations(0).grade(), v1::EVALUATION_GRADE_EXCELLENT);
  EXPECT_EQ(chungnam.evaluations(0).score(), 92);
  EXPECT_EQ(chungnam.evaluations(0).event_id(), request.meta().event_id());
  EXPECT_EQ(chungnam.evaluations(0).original_event_id(), request.meta().event_id());
}

TEST_F(LifecycleServiceTest, RecordEvaluation_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectRefused(EvaluationRequest("nowhere", 2023, v1::EVALUATION_GRADE_EXCELLENT, 92),
                grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, RecordEvaluation_YearOutsideTheTerm_NothingChanges) {
  Seed2023();
  grpc::Status status =
      ExpectRefused(EvaluationRequest(kChungnam, 2028, v1::EVALUATION_GRADE_EXCELLENT, 92),
                    grpc::StatusCode::FAILED_PRECONDITION, "PROGRAM_YEAR_OUTSIDE_TERM");
  EXPECT_EQ(MetadataOf(status)["program_year"], "2028");
}

TEST_F(LifecycleServiceTest, RecordEvaluation_YearRecorded_AlreadyExists_NothingChanges) {
  Seed2023();
  v1::RecordEvaluationRequest first =
      EvaluationRequest(kChungnam, 2023, v1::EVALUATION_GRADE_SATISFACTORY, 70);
  MustSend(first);
  grpc::Status status =
      ExpectRefused(EvaluationRequest(kChungnam, 2023, v1::EVALUATION_GRADE_EXCELLENT, 92),
                    grpc::StatusCode::ALREADY_EXISTS, "EVALUATION_ALREADY_RECORDED");
  EXPECT_EQ(MetadataOf(status)["original_event_id"], first.meta().event_id());
}

TEST_F(LifecycleServiceTest, CorrectEvaluation_Accepted_TheCorrectionIsInEffect) {
  Seed2023();
  v1::RecordEvaluationRequest recorded =
      EvaluationRequest(kChungnam, 2024, v1::EVALUATION_GRADE_UNSATISFACTORY, 55);
  MustSend(recorded);
  v1::CorrectEvaluationRequest request = CorrectEvaluationRequest(
      kChungnam, recorded.meta().event_id(), v1::EVALUATION_GRADE_SATISFACTORY, 65);
  v1::AppendResult result = MustSend(request);
  v1::EventEnvelope envelope =
      ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "EvaluationCorrected");
  EXPECT_EQ(envelope.payload().evaluation_corrected().program_year(), 2024);
  EXPECT_EQ(envelope.payload().evaluation_corrected().corrects_event_id(),
            recorded.meta().event_id());
  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  ASSERT_EQ(chungnam.evaluations_size(), 1);
  EXPECT_EQ(chungnam.evaluations(0).grade(), v1::EVALUATION_GRADE_SATISFACTORY);
  EXPECT_EQ(chungnam.evaluations(0).score(), 65);
  EXPECT_EQ(chungnam.evaluations(0).event_id(), request.meta().event_id());
  EXPECT_EQ(chungnam.evaluations(0).original_event_id(), recorded.meta().event_id());
  EXPECT_EQ(chungnam.evaluations(0).correction_count(), 1);
}

TEST_F(LifecycleServiceTest, CorrectEvaluation_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  v1::RecordEvaluationRequest recorded =
      EvaluationRequest(kChungnam, 2023, v1::EVALUATION_GRADE_SATISFACTORY, 70);
  MustSend(recorded);
  ExpectRefused(CorrectEvaluationRequest("nowhere", recorded.meta().event_id(),
                                         v1::EVALUATION_GRADE_EXCELLENT, 90),
                grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, CorrectEvaluation_NotTheEvaluationInEffect_NotFound_NothingChanges) {
  Seed2023();
  v1::RecordEvaluationRequest recorded =
      EvaluationRequest(kChungnam, 2023, v1::EVALUATION_GRADE_SATISFACTORY, 70);
  MustSend(recorded);
  MustSend(CorrectEvaluationRequest(kChungnam, recorded.meta().event_id(),
                                    v1::EVALUATION_GRADE_EXCELLENT, 90));
  // The original no longer is the one in effect.
  grpc::Status status =
      ExpectRefused(CorrectEvaluationRequest(kChungnam, recorded.meta().event_id(),
                                             v1::EVALUATION_GRADE_POOR, 10),
                    grpc::StatusCode::NOT_FOUND, "EVALUATION_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["corrects_event_id"], recorded.meta().event_id());
}

// ---- Consortium states -----------------------------------------------------------------------

TEST_F(LifecycleServiceTest, SuspendConsortium_Accepted_StateAndCountsShown) {
  Seed2023();
  v1::ChangeConsortiumStateRequest request = StateRequest(kChungnam, "evaluation", kLaterIn2024);
  v1::AppendResult result = MustSendState(StateChange::kSuspend, request);
  ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ConsortiumSuspended");
  v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  EXPECT_EQ(chungnam.state(), v1::CONSORTIUM_STATE_SUSPENDED);
  ASSERT_EQ(chungnam.state_history_size(), 2);
  EXPECT_EQ(chungnam.state_history(1).event_id(), request.meta().event_id());
  EXPECT_EQ(chungnam.state_history(1).reason(), "evaluation");
  v1::ProgramSummary program = Program();
  EXPECT_EQ(program.active_count(), 2);
  EXPECT_EQ(program.suspended_count(), 1);
}

TEST_F(LifecycleServiceTest, SuspendConsortium_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectStateRefused(StateChange::kSuspend, StateRequest("nowhere", "evaluation", kLaterIn2024),
                     grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, SuspendConsortium_NotActive_NothingChanges) {
  Seed2023();
  MustSendState(StateChange::kSuspend, StateRequest(kChungnam, "evaluation", kLaterIn2024));
  grpc::Status status =
      ExpectStateRefused(StateChange::kSuspend, StateRequest(kChungnam, "again", kLaterIn2024),
                         grpc::StatusCode::FAILED_PRECONDITION, "CONSORTIUM_NOT_ACTIVE");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_SUSPENDED");
}

TEST_F(LifecycleServiceTest, ResumeConsortium_Accepted_ActiveAgain) {
  Seed2023();
  MustSendState(StateChange::kSuspend, StateRequest(kChungnam, "evaluation", kLaterIn2024));
  v1::ChangeConsortiumStateRequest request = StateRequest(kChungnam, "improved", kLaterIn2024);
  v1::AppendResult result = MustSendState(StateChange::kResume, request);
  ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ConsortiumResumed");
  EXPECT_EQ(Consortium(kChungnam).state(), v1::CONSORTIUM_STATE_ACTIVE);
  EXPECT_EQ(Program().active_count(), 3);
  EXPECT_EQ(Program().suspended_count(), 0);
  // Payments go ahead again.
  MustSend(DisburseRequest(kChungnam, 2024, 1'000));
}

TEST_F(LifecycleServiceTest, ResumeConsortium_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectStateRefused(StateChange::kResume, StateRequest("nowhere", "improved", kLaterIn2024),
                     grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, ResumeConsortium_NotSuspended_NothingChanges) {
  Seed2023();
  grpc::Status status =
      ExpectStateRefused(StateChange::kResume, StateRequest(kChungnam, "improved", kLaterIn2024),
                         grpc::StatusCode::FAILED_PRECONDITION, "CONSORTIUM_NOT_SUSPENDED");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_ACTIVE");
  EXPECT_EQ(MetadataOf(status)["required_state"], "CONSORTIUM_STATE_SUSPENDED");
}

TEST_F(LifecycleServiceTest, TerminateConsortium_Accepted_Final) {
  Seed2023();
  v1::ChangeConsortiumStateRequest request = StateRequest(kChungnam, "misconduct", kLaterIn2024);
  v1::AppendResult result = MustSendState(StateChange::kTerminate, request);
  ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ConsortiumTerminated");
  EXPECT_EQ(Consortium(kChungnam).state(), v1::CONSORTIUM_STATE_TERMINATED);
  EXPECT_EQ(Program().terminated_count(), 1);
  EXPECT_EQ(Program().active_count(), 2);
}

TEST_F(LifecycleServiceTest, TerminateConsortium_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectStateRefused(StateChange::kTerminate, StateRequest("nowhere", "misconduct", kLaterIn2024),
                     grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, TerminateConsortium_Closed_NothingChanges) {
  Seed2023();
  MustSendState(StateChange::kTerminate, StateRequest(kChungnam, "misconduct", kLaterIn2024));
  grpc::Status status =
      ExpectStateRefused(StateChange::kTerminate, StateRequest(kChungnam, "again", kLaterIn2024),
                         grpc::StatusCode::FAILED_PRECONDITION, "CONSORTIUM_CLOSED");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_TERMINATED");
}

TEST_F(LifecycleServiceTest, CompleteConsortium_Accepted_InTheTermsLastYear) {
  Seed2023();
  v1::ChangeConsortiumStateRequest request = StateRequest(kChungnam, "", kInLastTermYear);
  v1::AppendResult result = MustSendState(StateChange::kComplete, request);
  ExpectAppendedTo(kChungnam, result, request.meta().event_id(), "ConsortiumCompleted");
  EXPECT_EQ(Consortium(kChungnam).state(), v1::CONSORTIUM_STATE_COMPLETED);
  EXPECT_EQ(Program().completed_count(), 1);
}

TEST_F(LifecycleServiceTest, CompleteConsortium_UnknownConsortium_NotFound_NothingChanges) {
  Seed2023();
  ExpectStateRefused(StateChange::kComplete, StateRequest("nowhere", "", kInLastTermYear),
                     grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
}

TEST_F(LifecycleServiceTest, CompleteConsortium_NotActive_NothingChanges) {
  Seed2023();
  MustSendState(StateChange::kSuspend, StateRequest(kChungnam, "evaluation", kLaterIn2024));
  grpc::Status status =
      ExpectStateRefused(StateChange::kComplete, StateRequest(kChungnam, "", kInLastTermYear),
                         grpc::StatusCode::FAILED_PRECONDITION, "CONSORTIUM_NOT_ACTIVE");
  EXPECT_EQ(MetadataOf(status)["state"], "CONSORTIUM_STATE_SUSPENDED");
}

TEST_F(LifecycleServiceTest, CompleteConsortium_BeforeTheTermsLastYear_NothingChanges) {
  Seed2023();
  grpc::Status status =
      ExpectStateRefused(StateChange::kComplete, StateRequest(kChungnam, "", kLastDayOf2026),
                         grpc::StatusCode::FAILED_PRECONDITION, "TERM_NOT_OVER");
  EXPECT_EQ(MetadataOf(status)["term_last_year"], "2027");
  EXPECT_EQ(MetadataOf(status)["year"], "2026");
}

// ---- GetParticipant --------------------------------------------------------------------------

TEST_F(LifecycleServiceTest, GetParticipant_EveryMembershipAndTheHiresMade) {
  Seed2023();
  MustSend(JoinRequest(kGyeongnam, MakeParticipant(Pid("conex"), "주식회사 코넥", "Conex",
                                                   v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)));
  MustSend(WithdrawRequest(kGyeongnam, Pid("conex")));
  const std::string hire_event_id = EnrolAndHire("kongju-2023-001");

  v1::ParticipantStatus conex = Participant(Pid("conex"));
  EXPECT_EQ(conex.participant_id(), Pid("conex"));
  EXPECT_EQ(conex.name_ko(), "주식회사 코넥");
  ASSERT_EQ(conex.memberships_size(), 2);
  EXPECT_EQ(conex.memberships(0).consortium_id(), kChungnam);
  EXPECT_EQ(conex.memberships(0).program_id(), kProgramId);
  EXPECT_EQ(conex.memberships(0).role(), v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  EXPECT_TRUE(conex.memberships(0).current());
  EXPECT_FALSE(conex.memberships(0).lead());
  EXPECT_EQ(conex.memberships(0).joined_at().seconds(), kSelectedAt);
  EXPECT_EQ(conex.memberships(1).consortium_id(), kGyeongnam);
  EXPECT_FALSE(conex.memberships(1).current());
  EXPECT_EQ(conex.memberships(1).joined_at().seconds(), kLaterIn2024);
  EXPECT_EQ(conex.memberships(1).withdrawn_at().seconds(), kLaterIn2024);
  ASSERT_EQ(conex.hires_size(), 1);
  EXPECT_EQ(conex.hire_count(), 1);
  EXPECT_EQ(conex.hires(0).consortium_id(), kChungnam);
  EXPECT_EQ(conex.hires(0).researcher_id(), "kongju-2023-001");
  EXPECT_EQ(conex.hires(0).degree(), v1::DEGREE_PHD_CANDIDATE);
  EXPECT_EQ(conex.hires(0).hired_at().seconds(), kLaterIn2024);
  EXPECT_EQ(conex.hires(0).event_id(), hire_event_id);
  EXPECT_EQ(conex.last_global_position(), Snapshot().last_position);

  v1::ParticipantStatus kongju = Participant(Pid("kongju-univ"));
  ASSERT_EQ(kongju.memberships_size(), 1);
  EXPECT_TRUE(kongju.memberships(0).lead());
  EXPECT_EQ(kongju.hire_count(), 0);
}

TEST_F(LifecycleServiceTest, GetParticipant_UnknownButValidId_NotFound) {
  Seed2023();
  v1::ParticipantStatus status;
  grpc::Status read = GetParticipant(Pid("never-a-member"), &status);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(read);
  EXPECT_EQ(ReasonOf(read), "PARTICIPANT_NOT_FOUND");
  EXPECT_EQ(MetadataOf(read)["id"], Pid("never-a-member"));
}

TEST_F(LifecycleServiceTest, GetParticipant_EmptyId_InvalidArgumentNamingTheField) {
  Seed2023();
  v1::ParticipantStatus status;
  grpc::Status read = GetParticipant("", &status);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(read);
  EXPECT_EQ(ReasonOf(read), "MISSING_FIELD");
  EXPECT_EQ(FieldOf(read), "participant_id");
}

TEST_F(LifecycleServiceTest, ParticipantQueries_MalformedId_InvalidArgumentNamingTheField) {
  Seed2023();
  std::string wrong_digit = Pid("conex");
  wrong_digit.back() = wrong_digit.back() == '9' ? '0' : wrong_digit.back() + 1;
  for (const std::string& id : {wrong_digit, std::string("312-81-95582"), std::string("conex")}) {
    v1::ParticipantStatus status;
    grpc::Status read = GetParticipant(id, &status);
    EXPECT_EQ(read.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << id << ": " << Describe(read);
    EXPECT_EQ(FieldOf(read), "participant_id") << id;
    v1::ListConsortiaRequest request;
    request.set_participant_id(id);
    v1::ListConsortiaResponse response;
    read = ListConsortia(request, &response);
    EXPECT_EQ(read.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << id << ": " << Describe(read);
    EXPECT_EQ(FieldOf(read), "participant_id") << id;
  }
}

// ---- ListConsortia: the state and participant filters ----------------------------------------

std::vector<std::string> IdsOf(const v1::ListConsortiaResponse& response) {
  std::vector<std::string> ids;
  for (const v1::ConsortiumStatus& consortium : response.consortia()) {
    ids.push_back(consortium.consortium_id());
  }
  return ids;
}

TEST_F(LifecycleServiceTest, ListConsortia_StateFilter_ListsOnlyConsortiaInThatState) {
  Seed2023();
  MustSendState(StateChange::kSuspend, StateRequest(kGyeongnam, "evaluation", kLaterIn2024));
  v1::ListConsortiaRequest request;
  request.set_state(v1::CONSORTIUM_STATE_SUSPENDED);
  v1::ListConsortiaResponse response;
  grpc::Status status = ListConsortia(request, &response);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(IdsOf(response), std::vector<std::string>{kGyeongnam});
  EXPECT_EQ(response.consortia(0).state(), v1::CONSORTIUM_STATE_SUSPENDED);
  EXPECT_EQ(response.next_page_token(), "");

  request.set_state(v1::CONSORTIUM_STATE_ACTIVE);
  response.Clear();
  ASSERT_TRUE(ListConsortia(request, &response).ok());
  EXPECT_EQ(IdsOf(response), (std::vector<std::string>{kChungnam, kUlsan}));

  // Combined with another filter (AND).
  request.set_program_id(kProgramId);
  request.set_state(v1::CONSORTIUM_STATE_SUSPENDED);
  response.Clear();
  ASSERT_TRUE(ListConsortia(request, &response).ok());
  EXPECT_EQ(IdsOf(response), std::vector<std::string>{kGyeongnam});

  request.set_state(v1::CONSORTIUM_STATE_TERMINATED);
  response.Clear();
  ASSERT_TRUE(ListConsortia(request, &response).ok());
  EXPECT_TRUE(IdsOf(response).empty());
}

TEST_F(LifecycleServiceTest, ListConsortia_PageTokenIsBoundToTheStateFilter) {
  Seed2023();
  MustSendState(StateChange::kSuspend, StateRequest(kGyeongnam, "evaluation", kLaterIn2024));
  v1::ListConsortiaRequest request;
  request.set_state(v1::CONSORTIUM_STATE_ACTIVE);
  request.set_page_size(1);
  v1::ListConsortiaResponse response;
  ASSERT_TRUE(ListConsortia(request, &response).ok());
  EXPECT_EQ(IdsOf(response), std::vector<std::string>{kChungnam});
  const std::string token = response.next_page_token();
  ASSERT_NE(token, "");

  for (v1::ConsortiumState other :
       {v1::CONSORTIUM_STATE_SUSPENDED, v1::CONSORTIUM_STATE_UNSPECIFIED}) {
    v1::ListConsortiaRequest reuse = request;
    reuse.set_state(other);
    reuse.set_page_token(token);
    response.Clear();
    grpc::Status status = ListConsortia(reuse, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
    EXPECT_EQ(FieldOf(status), "page_token");
    EXPECT_EQ(response.consortia_size(), 0);
  }

  // With the same state it goes on where it stopped.
  request.set_page_token(token);
  response.Clear();
  ASSERT_TRUE(ListConsortia(request, &response).ok());
  EXPECT_EQ(IdsOf(response), std::vector<std::string>{kUlsan});
  EXPECT_EQ(response.next_page_token(), "");
}

TEST_F(LifecycleServiceTest, ListConsortia_UnknownState_InvalidArgument) {
  Seed2023();
  v1::ListConsortiaRequest request;
  request.set_state(static_cast<v1::ConsortiumState>(42));
  v1::ListConsortiaResponse response;
  grpc::Status status = ListConsortia(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(FieldOf(status), "state");
}

TEST_F(LifecycleServiceTest, ListConsortia_ParticipantFilter_MatchesAFormerMember) {
  Seed2023();
  MustSend(WithdrawRequest(kChungnam, Pid("katech")));
  MustSend(JoinRequest(kGyeongnam, MakeParticipant(Pid("katech"), "한국자동차연구원", "KATECH",
                                                   v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE)));
  v1::ListConsortiaRequest request;
  request.set_participant_id(Pid("katech"));
  v1::ListConsortiaResponse response;
  ASSERT_TRUE(ListConsortia(request, &response).ok());
  EXPECT_EQ(IdsOf(response), (std::vector<std::string>{kChungnam, kGyeongnam}));

  // A member that only ever withdrew still finds its consortium.
  MustSend(WithdrawRequest(kGyeongnam, Pid("katech")));
  response.Clear();
  ASSERT_TRUE(ListConsortia(request, &response).ok());
  EXPECT_EQ(IdsOf(response), (std::vector<std::string>{kChungnam, kGyeongnam}));
}

// ---- Restart -----------------------------------------------------------------------------

TEST_F(LifecycleServiceTest, Restart_KeepsTheLifecycleReadModels) {
  Seed2023();
  MustSend(AmendRequest(kChungnam, 2023, 1'000'000'000));
  MustSend(DisburseRequest(kChungnam, 2023, 400'000'000));
  MustSend(JoinRequest(kChungnam,
                       MakeParticipant(Pid("hyundai-transys"), "현대트랜시스", "Hyundai Transys",
                                       v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE)));
  MustSend(WithdrawRequest(kChungnam, Pid("katech")));
  const std::string hire_event_id = EnrolAndHire("r-1");
  MustSend(EnrolRequest(kChungnam, "r-2", kChungnamLab));
  MustSend(GraduationRequest(kChungnam, "r-2", kGraduatedAt));
  MustSend(DepartureRequest(kChungnam, "r-1", kLeftAt));
  v1::RecordEvaluationRequest evaluation =
      EvaluationRequest(kChungnam, 2023, v1::EVALUATION_GRADE_UNSATISFACTORY, 50);
  MustSend(evaluation);
  MustSend(CorrectEvaluationRequest(kChungnam, evaluation.meta().event_id(),
                                    v1::EVALUATION_GRADE_SATISFACTORY, 60));
  MustSendState(StateChange::kSuspend, StateRequest(kChungnam, "evaluation", kLaterIn2024));
  MustSendState(StateChange::kTerminate, StateRequest(kUlsan, "misconduct", kLaterIn2024));

  const v1::ConsortiumStatus chungnam = Consortium(kChungnam);
  const v1::ConsortiumStatus ulsan = Consortium(kUlsan);
  const v1::ProgramSummary program = Program();
  const v1::ParticipantStatus conex = Participant(Pid("conex"));
  const v1::ParticipantStatus katech = Participant(Pid("katech"));
  const StoreSnapshot before = Snapshot();
  ASSERT_EQ(chungnam.state(), v1::CONSORTIUM_STATE_SUSPENDED);
  ASSERT_EQ(chungnam.researchers_size(), 2);
  ASSERT_EQ(chungnam.hires_size(), 1);

  Restart();

  EXPECT_EQ(SerializeDeterministic(Consortium(kChungnam)), SerializeDeterministic(chungnam));
  EXPECT_EQ(SerializeDeterministic(Consortium(kUlsan)), SerializeDeterministic(ulsan));
  EXPECT_EQ(SerializeDeterministic(Program()), SerializeDeterministic(program));
  EXPECT_EQ(SerializeDeterministic(Participant(Pid("conex"))), SerializeDeterministic(conex));
  EXPECT_EQ(SerializeDeterministic(Participant(Pid("katech"))), SerializeDeterministic(katech));
  EXPECT_EQ(Snapshot(), before);

  // And the rules still read them: the suspended one takes no payment, the
  // hire stays hired.
  ExpectRefused(DisburseRequest(kChungnam, 2024, 1'000), grpc::StatusCode::FAILED_PRECONDITION,
                "CONSORTIUM_NOT_ACTIVE");
  ExpectRefused(RetractStepRequest(kChungnam, hire_event_id), grpc::StatusCode::FAILED_PRECONDITION,
                "STEP_NOT_LATEST");
}

}  // namespace
}  // namespace alliance::testing
