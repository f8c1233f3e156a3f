// CommandService over a real gRPC channel to a real server on a real RocksDB
// folder: every command accepted, every refusal rule of
// the concept headers of services/domain/ (with its code, reason and numbers, and with the
// store unchanged), field validation, identity headers, optimistic
// concurrency, idempotent retries and concurrent callers.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "tests/service/test_server.h"
#include "tests/support/unary_bytes.h"

namespace alliance::testing {
namespace {

using ::testing::HasSubstr;

class CommandServiceTest : public ServerTest {
 protected:
  // Sends `request`, expects it refused with `code` and `reason` in the
  // service's error domain, and expects the log and every read model to be
  // exactly as before. Returns the status for further checks.
  template <typename Request>
  grpc::Status ExpectRefusedAndNothingChanges(const Request& request, grpc::StatusCode code,
                                              const std::string& reason) {
    const StoreSnapshot before = Snapshot();
    v1::AppendResult result;
    grpc::Status status = Send(request, &result);
    EXPECT_EQ(status.error_code(), code) << Describe(status);
    EXPECT_EQ(ReasonOf(status), reason) << Describe(status);
    EXPECT_EQ(DomainOf(status), "alliance.kiat.or.kr");
    EXPECT_EQ(Snapshot(), before) << "a refused command changed the store";
    return status;
  }

  // Checks an AppendResult and the envelope it names.
  void ExpectAppended(const v1::AppendResult& result, const std::string& event_id,
                      const std::string& stream_id, uint64_t stream_version,
                      uint64_t global_position, const std::string& event_type) {
    EXPECT_EQ(result.event_id(), event_id);
    EXPECT_EQ(result.stream_id(), stream_id);
    EXPECT_EQ(result.stream_version(), stream_version);
    EXPECT_EQ(result.global_position(), global_position);
    EXPECT_FALSE(result.replayed());
    EXPECT_TRUE(result.has_recorded_at());
    EXPECT_GT(result.recorded_at().seconds(), 0);
    const v1::EventEnvelope envelope = EventAt(global_position);
    EXPECT_EQ(envelope.global_position(), global_position);
    EXPECT_EQ(envelope.event_id(), event_id);
    EXPECT_EQ(envelope.stream_id(), stream_id);
    EXPECT_EQ(envelope.stream_version(), stream_version);
    EXPECT_EQ(envelope.event_type(), event_type);
    EXPECT_EQ(SerializeDeterministic(envelope.recorded_at()),
              SerializeDeterministic(result.recorded_at()));
    // Who sent it, as its certificate says (access_test.cc checks more).
    EXPECT_EQ(envelope.recorded_by().agency(), RecorderOrganisationOf(event_type));
  }
};

// ---- The service is the command table -----------------------------------------------

// Raw bytes to /alliance.v1.CommandService/<method>, through a generic
// stub: what any client's bytes meet.
grpc::Status CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& bytes) {
  return CallUnaryBytes(channel, absl::StrCat("/alliance.v1.CommandService/", method), bytes,
                        kLongCallDeadline);
}

// Every RPC of commands.proto is served (from its row of the command table),
// and an empty request reaches that row's validation.
TEST_F(CommandServiceTest, EveryMethodOfTheProtoIsServedByItsRow) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "alliance.v1.CommandService");
  ASSERT_NE(service, nullptr);
  const StoreSnapshot before = Snapshot();
  for (int i = 0; i < service->method_count(); ++i) {
    const std::string method = service->method(i)->name();
    // As the role that records it (access_matrix_test.cc tries the others).
    std::unique_ptr<google::protobuf::Message> empty(
        google::protobuf::MessageFactory::generated_factory()
            ->GetPrototype(service->method(i)->input_type())
            ->New());
    grpc::Status status = CallRaw(ChannelAs(IdentityFor(method, *empty)), method, "");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << Describe(status);
    EXPECT_EQ(ReasonOf(status), "MISSING_FIELD") << method << ": " << Describe(status);
  }
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(CallRaw(channel(), "NoSuchCommand", "").error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(CommandServiceTest, BytesThatAreNotTheRequestAreRefusedAsMalformed) {
  Seed2023();
  const StoreSnapshot before = Snapshot();
  // Field 1 (meta) as a length-delimited field that runs past the end.
  grpc::Status status = CallRaw(channel(), "DisburseFunds", std::string("\x0a\x7f\x01", 3));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "MALFORMED_REQUEST") << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("alliance.v1.DisburseFundsRequest"));
  EXPECT_EQ(Snapshot(), before);
}

// ---- Every command accepted -------------------------------------------------------

TEST_F(CommandServiceTest, EstablishProgram_Accepted_AppendResultFromTheServer) {
  v1::EstablishProgramRequest request = Program2023Request();
  request.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_NO_STREAM);
  request.mutable_meta()->set_correlation_id("kiat-case-2023-001");
  v1::AppendResult result;
  grpc::Status status = Send(request, &result);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ExpectAppended(result, request.meta().event_id(), "program-alliance-2023", 1, 1,
                 "ProgramEstablished");
  // recorded_at is the server's clock, never the caller's occurred_at.
  EXPECT_NE(SerializeDeterministic(result.recorded_at()),
            SerializeDeterministic(request.program().occurred_at()));
  const v1::EventEnvelope envelope = EventAt(1);
  EXPECT_EQ(envelope.correlation_id(), "kiat-case-2023-001");
  ASSERT_TRUE(envelope.payload().has_program_established());
  EXPECT_EQ(SerializeDeterministic(envelope.payload().program_established()),
            SerializeDeterministic(request.program()));
  EXPECT_EQ(Snapshot().last_position, 1u);
}

TEST_F(CommandServiceTest, SelectConsortium_Accepted_FirstEventOfItsStream) {
  MustSend(Program2023Request());
  MustSend(RoundRequest(2023, 3));
  v1::SelectConsortiumRequest request = SelectionRequest(kChungnam);
  request.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_NO_STREAM);
  v1::AppendResult result;
  grpc::Status status = Send(request, &result);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ExpectAppended(result, request.meta().event_id(), "consortium-chungnam-future-vehicles", 1, 3,
                 "ConsortiumSelected");
  const v1::EventEnvelope envelope = EventAt(3);
  EXPECT_EQ(SerializeDeterministic(envelope.payload().consortium_selected()),
            SerializeDeterministic(request.selection()));
}

TEST_F(CommandServiceTest, DesignateLab_Accepted_NextVersionOfTheConsortiumStream) {
  Seed2023(/*with_labs=*/false);
  v1::DesignateLabRequest request = LabRequest(kChungnam);
  v1::AppendResult result;
  grpc::Status status = Send(request, &result);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ExpectAppended(result, request.meta().event_id(), "consortium-chungnam-future-vehicles", 2, 6,
                 "LabDesignated");
}

TEST_F(CommandServiceTest, DisburseFunds_Accepted_AppendResultAndTotals) {
  Seed2023();
  v1::DisburseFundsRequest request = DisburseRequest(kUlsan, 2023, 690'000'000, "KIAT-2023-0001");
  v1::AppendResult result;
  grpc::Status status = Send(request, &result);
  ASSERT_TRUE(status.ok()) << Describe(status);
  // Selected, lab, five agreements: the payment is version 8; 23 events
  // before it (Seed2023).
  ExpectAppended(result, request.meta().event_id(), "consortium-ulsan-secondary-batteries", 8, 24,
                 "FundsDisbursed");
  v1::ConsortiumStatus consortium;
  ASSERT_TRUE(GetConsortium(kUlsan, &consortium).ok());
  EXPECT_EQ(consortium.disbursed_total_krw(), 690'000'000);
  EXPECT_EQ(consortium.remaining_total_krw(), kConsortiumLimitKrw - 690'000'000);
}

TEST_F(CommandServiceTest, ReverseDisbursement_Accepted_CopiesTheOriginalPayment) {
  Seed2023();
  v1::DisburseFundsRequest paid = DisburseRequest(kChungnam, 2024, 300'000'000, "KIAT-2024-0007");
  v1::AppendResult paid_result = MustSend(paid);
  v1::ReverseDisbursementRequest request = ReverseRequest(kChungnam, paid.meta().event_id());
  v1::AppendResult result;
  grpc::Status status = Send(request, &result);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ExpectAppended(result, request.meta().event_id(), "consortium-chungnam-future-vehicles", 9,
                 paid_result.global_position() + 1, "DisbursementReversed");
  const v1::EventEnvelope envelope = EventAt(result.global_position());
  ASSERT_TRUE(envelope.payload().has_disbursement_reversed());
  const v1::DisbursementReversed& reversed = envelope.payload().disbursement_reversed();
  EXPECT_EQ(reversed.corrects_event_id(), paid.meta().event_id());
  EXPECT_EQ(reversed.program_year(), 2024);
  EXPECT_EQ(reversed.amount_krw(), 300'000'000);
  EXPECT_EQ(reversed.payment_reference(), "KIAT-2024-0007");
  EXPECT_EQ(reversed.reason(), "paid twice by mistake");
  // Rule 6: the original stays in the log.
  EXPECT_TRUE(EventAt(paid_result.global_position()).payload().has_funds_disbursed());
}

TEST_F(CommandServiceTest, RecordHire_Accepted_AppendResult) {
  Seed2023();
  MustSend(EnrolRequest(kGyeongnam, "cwnu-2023-r001", kGyeongnamLab, v1::DEGREE_TRACK_MASTERS));
  MustSend(GraduationRequest(kGyeongnam, "cwnu-2023-r001", kLaterIn2024 - 86'400));
  v1::RecordHireRequest request =
      HireRequest(kGyeongnam, "cwnu-2023-r001", kGyeongnamLab, Pid("pk-valve"), v1::DEGREE_MASTERS);
  v1::AppendResult result;
  grpc::Status status = Send(request, &result);
  ASSERT_TRUE(status.ok()) << Describe(status);
  // Selected, lab, five agreements, enrolled, graduated: the hire is version 10.
  ExpectAppended(result, request.meta().event_id(), "consortium-gyeongnam-metal-3d-printing", 10,
                 26, "ResearcherHired");
}

// ---- EstablishProgram refusals ----------------------------------------------------------

TEST_F(CommandServiceTest, EstablishProgram_RefusedWhenProgramExists_NothingChanges) {
  MustSend(Program2023Request());
  grpc::Status status = ExpectRefusedAndNothingChanges(
      Program2023Request(), grpc::StatusCode::ALREADY_EXISTS, "PROGRAM_ALREADY_EXISTS");
  EXPECT_EQ(MetadataOf(status)["program_id"], kProgramId);
}

// ---- SelectConsortium refusals ----------------------------------------------------------

TEST_F(CommandServiceTest, SelectConsortium_RefusedForUnknownProgram_NothingChanges) {
  grpc::Status status = ExpectRefusedAndNothingChanges(
      SelectionRequest(kChungnam), grpc::StatusCode::NOT_FOUND, "PROGRAM_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["program_id"], kProgramId);
  EXPECT_EQ(Snapshot().last_position, 0u);
}

TEST_F(CommandServiceTest, SelectConsortium_RefusedWhenAlreadySelected_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  grpc::Status status =
      ExpectRefusedAndNothingChanges(SelectionRequest(kGyeongnam), grpc::StatusCode::ALREADY_EXISTS,
                                     "CONSORTIUM_ALREADY_SELECTED");
  EXPECT_EQ(MetadataOf(status)["consortium_id"], kGyeongnam);
  EXPECT_EQ(MetadataOf(status)["round_year"], "2023");
}

TEST_F(CommandServiceTest, SelectConsortium_RefusedForRoundOutsideProgramPeriod_NothingChanges) {
  MustSend(Program2023Request());
  v1::SelectConsortiumRequest request = SelectionRequest(kChungnam);
  request.mutable_selection()->set_round_year(2029);
  grpc::Status status = ExpectRefusedAndNothingChanges(
      request, grpc::StatusCode::FAILED_PRECONDITION, "ROUND_OUTSIDE_PROGRAM_PERIOD");
  std::map<std::string, std::string> metadata = MetadataOf(status);
  EXPECT_EQ(metadata["round_year"], "2029");
  EXPECT_EQ(metadata["first_year"], "2023");
  EXPECT_EQ(metadata["last_year"], "2028");
  EXPECT_THAT(status.error_message(), HasSubstr("2029"));
  EXPECT_THAT(status.error_message(), HasSubstr("2023..2028"));
}

TEST_F(CommandServiceTest, SelectConsortium_RefusedWhenTermRunsPastProgram_NothingChanges) {
  MustSend(Program2023Request());
  v1::SelectConsortiumRequest request = SelectionRequest(kChungnam);
  request.mutable_selection()->set_round_year(2025);  // 2025..2029, past 2028
  grpc::Status status = ExpectRefusedAndNothingChanges(
      request, grpc::StatusCode::FAILED_PRECONDITION, "TERM_OUTSIDE_PROGRAM_PERIOD");
  std::map<std::string, std::string> metadata = MetadataOf(status);
  EXPECT_EQ(metadata["round_year"], "2025");
  EXPECT_EQ(metadata["term_years"], "5");
  EXPECT_EQ(metadata["term_last_year"], "2029");
  EXPECT_EQ(metadata["last_year"], "2028");
  EXPECT_THAT(status.error_message(), HasSubstr("2025..2029"));
}

TEST_F(CommandServiceTest, SelectConsortium_RefusedWhenLeadIsNotUniversity_NothingChanges) {
  MustSend(Program2023Request());
  MustSend(RoundRequest(2023, 3));
  v1::SelectConsortiumRequest request = SelectionRequest(kChungnam);
  request.mutable_selection()->set_lead_participant_id(Pid("conex"));
  grpc::Status status = ExpectRefusedAndNothingChanges(
      request, grpc::StatusCode::FAILED_PRECONDITION, "LEAD_NOT_UNIVERSITY");
  EXPECT_EQ(MetadataOf(status)["lead_participant_id"], Pid("conex"));
  EXPECT_EQ(MetadataOf(status)["role"], "PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE");
}

TEST_F(CommandServiceTest, SelectConsortium_RefusedWithOneMidsizedEnterprise_NothingChanges) {
  MustSend(Program2023Request());
  MustSend(RoundRequest(2023, 3));
  v1::SelectConsortiumRequest request = SelectionRequest(kChungnam);
  // 용산 listed as a research institute: only 코넥 remains a mid-sized enterprise.
  ASSERT_EQ(request.selection().participants(2).participant_id(), Pid("yongsan"));
  request.mutable_selection()->mutable_participants(2)->set_role(
      v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE);
  grpc::Status status = ExpectRefusedAndNothingChanges(
      request, grpc::StatusCode::FAILED_PRECONDITION, "TOO_FEW_MIDSIZED_ENTERPRISES");
  EXPECT_EQ(MetadataOf(status)["midsized_enterprise_count"], "1");
  EXPECT_EQ(MetadataOf(status)["min_midsized_enterprises"], "2");
  EXPECT_EQ(status.error_message(),
            "the consortium has 1 mid-sized enterprise; the program requires at least 2");
}

TEST_F(CommandServiceTest, SelectConsortium_RefusedInCapitalRegion_NothingChanges) {
  MustSend(Program2023Request());
  MustSend(RoundRequest(2023, 3));
  for (auto [capital, name] : {std::pair{"KR-11", "서울특별시"}, std::pair{"KR-28", "인천광역시"},
                               std::pair{"KR-41", "경기도"}}) {
    v1::SelectConsortiumRequest request = SelectionRequest(kChungnam);
    request.mutable_selection()->set_region_code(capital);
    request.mutable_selection()->set_region_name_ko(name);
    grpc::Status status = ExpectRefusedAndNothingChanges(
        request, grpc::StatusCode::FAILED_PRECONDITION, "REGION_EXCLUDED");
    EXPECT_EQ(MetadataOf(status)["region_code"], capital);
    EXPECT_EQ(MetadataOf(status)["excluded_region_codes"], "KR-11,KR-28,KR-41");
    EXPECT_THAT(status.error_message(), HasSubstr(capital));
  }
}

TEST_F(CommandServiceTest,
       SelectConsortium_SecondRoundFillsTheBudget_ThenRoundFull_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  // A fourth slot would not fit: 4 x 6.9 billion on top of the three.
  grpc::Status status = ExpectRefusedAndNothingChanges(
      RoundRequest(2024, 4), grpc::StatusCode::FAILED_PRECONDITION, "ROUND_SLOTS_OVER_BUDGET");
  EXPECT_EQ(MetadataOf(status)["available_slots"], "3");
  // The 2024 round of three: 6 x 6.9 billion = the whole 41.4 billion.
  MustSend(RoundRequest(2024, 3));
  MustSend(OtherSelectionRequest("busan-robotics", kProgramId, 2024, "KR-26"));
  MustSend(OtherSelectionRequest("daegu-robotics", kProgramId, 2024, "KR-27"));
  MustSend(OtherSelectionRequest("gwangju-robotics", kProgramId, 2024, "KR-29"));
  status = ExpectRefusedAndNothingChanges(
      OtherSelectionRequest("jeonbuk-robotics", kProgramId, 2024, "KR-45"),
      grpc::StatusCode::FAILED_PRECONDITION, "ROUND_FULL");
  std::map<std::string, std::string> metadata = MetadataOf(status);
  EXPECT_EQ(metadata["round_year"], "2024");
  EXPECT_EQ(metadata["slots"], "3");
  EXPECT_EQ(metadata["selected_count"], "3");
  v1::ProgramSummary program;
  ASSERT_TRUE(GetProgramSummary(kProgramId, &program).ok());
  EXPECT_EQ(program.uncommitted_krw(), 0);
  EXPECT_EQ(program.consortium_count(), 6);
}

TEST_F(CommandServiceTest, SelectConsortium_RefusedWithoutARoundForItsYear_NothingChanges) {
  MustSend(Program2023Request());
  grpc::Status status = ExpectRefusedAndNothingChanges(
      SelectionRequest(kChungnam), grpc::StatusCode::FAILED_PRECONDITION, "ROUND_NOT_OPEN");
  EXPECT_EQ(MetadataOf(status)["round_year"], "2023");
  EXPECT_THAT(status.error_message(), HasSubstr("OpenSelectionRound"));
}

// ---- DesignateLab refusals -----------------------------------------------------------------

TEST_F(CommandServiceTest, DesignateLab_RefusedForUnknownConsortium_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  grpc::Status status =
      ExpectRefusedAndNothingChanges(LabRequest("jeju-unknown", "jeju-lab", Pid("jeju-univ")),
                                     grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["consortium_id"], "jeju-unknown");
}

TEST_F(CommandServiceTest, DesignateLab_RefusedWhenLabAlreadyDesignated_NothingChanges) {
  Seed2023();
  grpc::Status status = ExpectRefusedAndNothingChanges(
      LabRequest(kChungnam), grpc::StatusCode::ALREADY_EXISTS, "LAB_ALREADY_DESIGNATED");
  EXPECT_EQ(MetadataOf(status)["lab_id"], kChungnamLab);
}

TEST_F(CommandServiceTest, DesignateLab_RefusedWhenHostIsNotAUniversityOfTheConsortium) {
  Seed2023(/*with_labs=*/false);
  // A university of another consortium.
  grpc::Status status = ExpectRefusedAndNothingChanges(
      LabRequest(kChungnam, "changwon-lab", Pid("changwon-univ")),
      grpc::StatusCode::FAILED_PRECONDITION, "LAB_UNIVERSITY_NOT_IN_CONSORTIUM");
  EXPECT_EQ(MetadataOf(status)["participant_id"], Pid("changwon-univ"));
  EXPECT_EQ(MetadataOf(status)["required_role"], "PARTICIPANT_ROLE_UNIVERSITY");
  // A member of the consortium that is not a university.
  status = ExpectRefusedAndNothingChanges(LabRequest(kChungnam, "katech-lab", Pid("katech")),
                                          grpc::StatusCode::FAILED_PRECONDITION,
                                          "LAB_UNIVERSITY_NOT_IN_CONSORTIUM");
  EXPECT_EQ(MetadataOf(status)["participant_id"], Pid("katech"));
  EXPECT_EQ(MetadataOf(status)["role"], "PARTICIPANT_ROLE_RESEARCH_INSTITUTE");
}

// ---- DisburseFunds refusals -------------------------------------------------------------------

TEST_F(CommandServiceTest, DisburseFunds_RefusedForUnknownConsortium_NothingChanges) {
  Seed2023();
  grpc::Status status =
      ExpectRefusedAndNothingChanges(DisburseRequest("jeju-unknown", 2023, 1'000),
                                     grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["consortium_id"], "jeju-unknown");
}

TEST_F(CommandServiceTest, DisburseFunds_RefusedForYearOutsideTerm_NothingChanges) {
  Seed2023();
  // Chungnam was selected in 2023: its term is 2023..2027, 2028 is outside.
  grpc::Status status = ExpectRefusedAndNothingChanges(DisburseRequest(kChungnam, 2028, 1'000),
                                                       grpc::StatusCode::FAILED_PRECONDITION,
                                                       "PROGRAM_YEAR_OUTSIDE_TERM");
  std::map<std::string, std::string> metadata = MetadataOf(status);
  EXPECT_EQ(metadata["program_year"], "2028");
  EXPECT_EQ(metadata["term_first_year"], "2023");
  EXPECT_EQ(metadata["term_last_year"], "2027");
  EXPECT_THAT(status.error_message(), HasSubstr("2023..2027"));
  // Before the term.
  status = ExpectRefusedAndNothingChanges(DisburseRequest(kChungnam, 2022, 1'000),
                                          grpc::StatusCode::FAILED_PRECONDITION,
                                          "PROGRAM_YEAR_OUTSIDE_TERM");
  EXPECT_EQ(MetadataOf(status)["program_year"], "2022");
}

// The business date (services/domain/business_dates.h), over the API: a 2024
// payment dated 2099 is after the server's clock, one dated 2020 before its
// consortium was selected.
TEST_F(CommandServiceTest, DisburseFunds_RefusedWhenDatedAfterTheServersClock_NothingChanges) {
  Seed2023();
  v1::DisburseFundsRequest request = DisburseRequest(kChungnam, 2024, 1'000);
  request.mutable_disbursement()->mutable_occurred_at()->set_seconds(4'070'908'800);  // 2099-01-01
  grpc::Status status = ExpectRefusedAndNothingChanges(
      request, grpc::StatusCode::FAILED_PRECONDITION, "OCCURRED_IN_FUTURE");
  EXPECT_EQ(MetadataOf(status)["occurred_at"], "2099-01-01T00:00:00+00:00");
  EXPECT_EQ(MetadataOf(status)["clock_skew_allowance"], "5m");
  EXPECT_THAT(status.error_message(), HasSubstr("after the server's clock"));
}

TEST_F(CommandServiceTest, DisburseFunds_RefusedWhenDatedBeforeTheSelection_NothingChanges) {
  Seed2023();
  v1::DisburseFundsRequest request = DisburseRequest(kChungnam, 2024, 1'000);
  request.mutable_disbursement()->mutable_occurred_at()->set_seconds(1'590'969'600);  // 2020-06-01
  grpc::Status status = ExpectRefusedAndNothingChanges(
      request, grpc::StatusCode::FAILED_PRECONDITION, "OCCURRED_BEFORE_SELECTION");
  std::map<std::string, std::string> metadata = MetadataOf(status);
  EXPECT_EQ(metadata["occurred_at"], "2020-06-01T00:00:00+00:00");
  EXPECT_EQ(metadata["not_before"], "2023-04-28T00:00:00+00:00");
  EXPECT_EQ(metadata["consortium_id"], kChungnam);
}

TEST_F(CommandServiceTest, DisburseFunds_RefusedOverAnnualLimit_NothingChanges) {
  Seed2023();
  MustSend(DisburseRequest(kChungnam, 2023, 1'000'000'000));
  grpc::Status status = ExpectRefusedAndNothingChanges(
      DisburseRequest(kChungnam, 2023, 450'000'000), grpc::StatusCode::FAILED_PRECONDITION,
      "ANNUAL_LIMIT_EXCEEDED");
  EXPECT_EQ(status.error_message(),
            "2023 total would be 1,450,000,000 KRW, limit 1,380,000,000 KRW");
  std::map<std::string, std::string> metadata = MetadataOf(status);
  EXPECT_EQ(metadata["consortium_id"], kChungnam);
  EXPECT_EQ(metadata["program_year"], "2023");
  EXPECT_EQ(metadata["disbursed_krw"], "1000000000");
  EXPECT_EQ(metadata["amount_krw"], "450000000");
  EXPECT_EQ(metadata["would_be_krw"], "1450000000");
  EXPECT_EQ(metadata["limit_krw"], "1380000000");
  // Another year of the same consortium has its own limit.
  MustSend(DisburseRequest(kChungnam, 2024, 450'000'000));
}

TEST_F(CommandServiceTest, DisburseFunds_AcceptedUpToAnnualLimit_RefusedOneKrwMore) {
  Seed2023();
  MustSend(DisburseRequest(kGyeongnam, 2025, 1'000'000'000));
  MustSend(DisburseRequest(kGyeongnam, 2025, 380'000'000));  // exactly 1,380,000,000
  grpc::Status status = ExpectRefusedAndNothingChanges(DisburseRequest(kGyeongnam, 2025, 1),
                                                       grpc::StatusCode::FAILED_PRECONDITION,
                                                       "ANNUAL_LIMIT_EXCEEDED");
  EXPECT_EQ(MetadataOf(status)["would_be_krw"], "1380000001");
  EXPECT_EQ(status.error_message(),
            "2025 total would be 1,380,000,001 KRW, limit 1,380,000,000 KRW");
  v1::ConsortiumStatus consortium;
  ASSERT_TRUE(GetConsortium(kGyeongnam, &consortium).ok());
  ASSERT_EQ(consortium.funding_by_year_size(), 5);
  const v1::YearFunding& year = consortium.funding_by_year(2);
  EXPECT_EQ(year.program_year(), 2025);
  EXPECT_EQ(year.disbursed_krw(), kAnnualLimitKrw);
  EXPECT_EQ(year.remaining_krw(), 0);
  EXPECT_EQ(year.disbursement_count(), 2);
}

TEST_F(CommandServiceTest, ReverseDisbursement_FreesTheAnnualRoomAgain) {
  Seed2023();
  v1::DisburseFundsRequest full = DisburseRequest(kUlsan, 2026, kAnnualLimitKrw, "ULSAN-2026-1");
  MustSend(full);
  ExpectRefusedAndNothingChanges(DisburseRequest(kUlsan, 2026, 500'000'000),
                                 grpc::StatusCode::FAILED_PRECONDITION, "ANNUAL_LIMIT_EXCEEDED");
  MustSend(ReverseRequest(kUlsan, full.meta().event_id()));
  v1::ConsortiumStatus consortium;
  ASSERT_TRUE(GetConsortium(kUlsan, &consortium).ok());
  EXPECT_EQ(consortium.funding_by_year(3).program_year(), 2026);
  EXPECT_EQ(consortium.funding_by_year(3).disbursed_krw(), 0);
  EXPECT_EQ(consortium.funding_by_year(3).reversal_count(), 1);
  EXPECT_EQ(consortium.disbursed_total_krw(), 0);
  // The whole year's room is back.
  MustSend(DisburseRequest(kUlsan, 2026, kAnnualLimitKrw));
  ASSERT_TRUE(GetConsortium(kUlsan, &consortium).ok());
  EXPECT_EQ(consortium.funding_by_year(3).disbursed_krw(), kAnnualLimitKrw);
  EXPECT_EQ(consortium.funding_by_year(3).disbursement_count(), 2);
}

TEST_F(CommandServiceTest, DisburseFunds_RefusedOverConsortiumLimit_NothingChanges) {
  // A program whose consortium limit (2 billion) is below 5 annual limits,
  // so the running total can be the limit that binds.
  v1::ProgramRules rules = Rules2023();
  rules.set_total_budget_krw(10'000'000'000);
  rules.set_consortium_limit_krw(2'000'000'000);
  MustSend(ProgramRequest("alliance-small", rules));
  MustSend(RoundRequest(2023, 1, "alliance-small"));
  MustSend(OtherSelectionRequest("daegu-robotics", "alliance-small", 2023, "KR-27"));
  // Grants that reach the 2 billion limit: 1.38 + 0.6 + 0.02.
  MustSend(AgreementRequest("daegu-robotics", 2023, 1'380'000'000));
  MustSend(AgreementRequest("daegu-robotics", 2024, 600'000'000));
  MustSend(AgreementRequest("daegu-robotics", 2025, 20'000'000));
  MustSend(DisburseRequest("daegu-robotics", 2023, 1'380'000'000));
  MustSend(DisburseRequest("daegu-robotics", 2024, 600'000'000));
  grpc::Status status = ExpectRefusedAndNothingChanges(
      DisburseRequest("daegu-robotics", 2025, 20'000'001), grpc::StatusCode::FAILED_PRECONDITION,
      "CONSORTIUM_LIMIT_EXCEEDED");
  EXPECT_EQ(status.error_message(),
            "running total would be 2,000,000,001 KRW, limit 2,000,000,000 KRW");
  std::map<std::string, std::string> metadata = MetadataOf(status);
  EXPECT_EQ(metadata["disbursed_krw"], "1980000000");
  EXPECT_EQ(metadata["would_be_krw"], "2000000001");
  EXPECT_EQ(metadata["limit_krw"], "2000000000");
  // Exactly up to the limit is accepted.
  MustSend(DisburseRequest("daegu-robotics", 2025, 20'000'000));
  v1::ConsortiumStatus consortium;
  ASSERT_TRUE(GetConsortium("daegu-robotics", &consortium).ok());
  EXPECT_EQ(consortium.disbursed_total_krw(), 2'000'000'000);
  EXPECT_EQ(consortium.remaining_total_krw(), 0);
}

TEST_F(CommandServiceTest, DisburseFunds_SamePaymentReferenceUnderNewEventId_AlreadyExists) {
  Seed2023();
  v1::DisburseFundsRequest first = DisburseRequest(kChungnam, 2023, 100'000'000, "KIAT-2023-0042");
  MustSend(first);
  // The same payment sent again by another system, under its own event id.
  v1::DisburseFundsRequest again = DisburseRequest(kChungnam, 2023, 100'000'000, "KIAT-2023-0042");
  grpc::Status status = ExpectRefusedAndNothingChanges(again, grpc::StatusCode::ALREADY_EXISTS,
                                                       "PAYMENT_REFERENCE_ALREADY_USED");
  EXPECT_EQ(MetadataOf(status)["payment_reference"], "KIAT-2023-0042");
  EXPECT_EQ(MetadataOf(status)["original_event_id"], first.meta().event_id());
  // The reference is unique within the consortium: another may use it.
  MustSend(DisburseRequest(kUlsan, 2023, 100'000'000, "KIAT-2023-0042"));
}

// ---- DisburseFundsBatch (a payment run)
// ----------------------------------------------------------

TEST_F(CommandServiceTest, DisburseFundsBatch_HundredPayments_OneCommandOfHundredEvents) {
  Seed2023();
  const uint64_t base = Snapshot().last_position;  // Chungnam's stream is at version 7
  constexpr int kPayments = 100;
  constexpr uint64_t kVersionsBefore = 7;  // selection, lab, five agreements
  const std::vector<int64_t> amounts(kPayments, 1'000'000);
  v1::DisburseFundsBatchRequest request = DisburseBatchRequest(kChungnam, 2023, amounts, "RUN");
  v1::AppendResult result;
  grpc::Status status = Send(request, &result);
  ASSERT_TRUE(status.ok()) << Describe(status);
  const std::string& id = request.meta().event_id();
  EXPECT_EQ(result.event_id(), id);
  EXPECT_EQ(result.stream_id(), "consortium-chungnam-future-vehicles");
  EXPECT_EQ(result.first_global_position(), base + 1);
  EXPECT_EQ(result.global_position(), base + kPayments);
  EXPECT_EQ(result.first_stream_version(), kVersionsBefore + 1);
  EXPECT_EQ(result.stream_version(), kVersionsBefore + kPayments);
  EXPECT_EQ(result.event_count(), static_cast<uint32_t>(kPayments));
  EXPECT_FALSE(result.replayed());

  std::vector<v1::EventEnvelope> events = ReadAllEvents("consortium-chungnam-future-vehicles");
  ASSERT_EQ(events.size(), kVersionsBefore + kPayments);
  for (int i = 0; i < kPayments; ++i) {
    const v1::EventEnvelope& event = events[kVersionsBefore + i];
    EXPECT_EQ(event.event_id(), i == 0 ? id : id + "#" + std::to_string(i));
    EXPECT_EQ(event.global_position(), base + 1 + i);
    EXPECT_EQ(event.event_type(), "FundsDisbursed");
    EXPECT_EQ(event.payload().funds_disbursed().payment_reference(), "RUN-" + std::to_string(i));
    EXPECT_EQ(SerializeDeterministic(event.recorded_at()),
              SerializeDeterministic(result.recorded_at()));
  }
  v1::ConsortiumStatus consortium;
  ASSERT_TRUE(GetConsortium(kChungnam, &consortium).ok());
  EXPECT_EQ(consortium.disbursed_total_krw(), kPayments * 1'000'000);
  EXPECT_EQ(consortium.funding_by_year(0).disbursement_count(), kPayments);
}

TEST_F(CommandServiceTest, DisburseFundsBatch_ThirdPaymentOverAnnualLimit_WholeRunRefused) {
  Seed2023();
  v1::DisburseFundsBatchRequest request =
      DisburseBatchRequest(kChungnam, 2023, {500'000'000, 500'000'000, 500'000'000}, "RUN");
  grpc::Status status = ExpectRefusedAndNothingChanges(
      request, grpc::StatusCode::FAILED_PRECONDITION, "ANNUAL_LIMIT_EXCEEDED");
  EXPECT_EQ(MetadataOf(status)["payment_index"], "2");
  EXPECT_EQ(MetadataOf(status)["disbursed_krw"], "1000000000");
  EXPECT_EQ(MetadataOf(status)["would_be_krw"], "1500000000");
  EXPECT_THAT(status.error_message(), HasSubstr("disbursements[2]"));
  // Refused, it left nothing: the same run sent again is decided again.
  ExpectRefusedAndNothingChanges(request, grpc::StatusCode::FAILED_PRECONDITION,
                                 "ANNUAL_LIMIT_EXCEEDED");
  // Malformed runs never reach the rules.
  v1::DisburseFundsBatchRequest mixed = DisburseBatchRequest(kChungnam, 2023, {1, 2}, "MIX");
  mixed.mutable_disbursements(1)->set_consortium_id(kUlsan);
  status =
      ExpectRefusedAndNothingChanges(mixed, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD");
  EXPECT_EQ(FieldOf(status), "disbursements[1].consortium_id");
}

TEST_F(CommandServiceTest, DisburseFundsBatch_RetriedWithTheSameId_ReplayedWrittenOnce) {
  Seed2023();
  v1::DisburseFundsBatchRequest request =
      DisburseBatchRequest(kUlsan, 2024, {100, 200, 300, 400}, "RUN");
  const v1::AppendResult original = MustSend(request);
  const StoreSnapshot after_first = Snapshot();
  v1::AppendResult replay;
  grpc::Status status = Send(request, &replay);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(replay.replayed());
  EXPECT_EQ(replay.first_global_position(), original.first_global_position());
  EXPECT_EQ(replay.global_position(), original.global_position());
  EXPECT_EQ(replay.first_stream_version(), original.first_stream_version());
  EXPECT_EQ(replay.stream_version(), original.stream_version());
  EXPECT_EQ(replay.event_count(), 4u);
  EXPECT_EQ(Snapshot(), after_first) << "a replayed run wrote something";
  // The same id with other payments is another command.
  v1::DisburseFundsBatchRequest changed = request;
  changed.mutable_disbursements(3)->set_amount_krw(401);
  ExpectRefusedAndNothingChanges(changed, grpc::StatusCode::ALREADY_EXISTS, "EVENT_ID_REUSED");
}

TEST_F(CommandServiceTest, DisburseFundsBatch_ReversalOfEventFiveOfTheRun) {
  Seed2023();
  std::vector<int64_t> amounts;
  for (int i = 0; i < 10; ++i) amounts.push_back(1'000 * (i + 1));
  v1::DisburseFundsBatchRequest run = DisburseBatchRequest(kGyeongnam, 2025, amounts, "RUN");
  const v1::AppendResult paid = MustSend(run);
  const std::string fifth = run.meta().event_id() + "#5";
  v1::AppendResult reversal = MustSend(ReverseRequest(kGyeongnam, fifth));
  ASSERT_FALSE(reversal.replayed());
  const v1::DisbursementReversed reversed =
      EventAt(reversal.global_position()).payload().disbursement_reversed();
  EXPECT_EQ(reversed.corrects_event_id(), fifth);
  EXPECT_EQ(reversed.amount_krw(), 6'000);
  EXPECT_EQ(reversed.payment_reference(), "RUN-5");
  EXPECT_EQ(EventAt(paid.first_global_position() + 5).event_id(), fifth);
  v1::ConsortiumStatus consortium;
  ASSERT_TRUE(GetConsortium(kGyeongnam, &consortium).ok());
  EXPECT_EQ(consortium.disbursed_total_krw(), 55'000 - 6'000);
  // The run's records were committed in an earlier group commit: the rules
  // find them on disk.
  ExpectRefusedAndNothingChanges(ReverseRequest(kGyeongnam, fifth),
                                 grpc::StatusCode::FAILED_PRECONDITION,
                                 "DISBURSEMENT_ALREADY_REVERSED");
  grpc::Status status = ExpectRefusedAndNothingChanges(
      DisburseRequest(kGyeongnam, 2026, 1, "RUN-7"), grpc::StatusCode::ALREADY_EXISTS,
      "PAYMENT_REFERENCE_ALREADY_USED");
  EXPECT_EQ(MetadataOf(status)["original_event_id"], run.meta().event_id() + "#7");
  // A later run reusing a reference of the first is refused at that payment.
  status = ExpectRefusedAndNothingChanges(DisburseBatchRequest(kGyeongnam, 2026, {1, 2, 3}, "RUN"),
                                          grpc::StatusCode::ALREADY_EXISTS,
                                          "PAYMENT_REFERENCE_ALREADY_USED");
  EXPECT_EQ(MetadataOf(status)["payment_index"], "0");
}

// ---- ReverseDisbursement refusals ---------------------------------------------------------------

TEST_F(CommandServiceTest, ReverseDisbursement_RefusedForUnknownConsortium_NothingChanges) {
  Seed2023();
  v1::DisburseFundsRequest paid = DisburseRequest(kChungnam, 2023, 5'000);
  MustSend(paid);
  grpc::Status status =
      ExpectRefusedAndNothingChanges(ReverseRequest("jeju-unknown", paid.meta().event_id()),
                                     grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["consortium_id"], "jeju-unknown");
}

TEST_F(CommandServiceTest, ReverseDisbursement_RefusedForUnknownDisbursement_NothingChanges) {
  Seed2023();
  const std::string unknown = NewEventId();
  grpc::Status status = ExpectRefusedAndNothingChanges(
      ReverseRequest(kChungnam, unknown), grpc::StatusCode::NOT_FOUND, "DISBURSEMENT_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["corrects_event_id"], unknown);
  // A disbursement of another consortium is not one of this consortium's.
  v1::DisburseFundsRequest other = DisburseRequest(kGyeongnam, 2023, 5'000);
  MustSend(other);
  ExpectRefusedAndNothingChanges(ReverseRequest(kChungnam, other.meta().event_id()),
                                 grpc::StatusCode::NOT_FOUND, "DISBURSEMENT_NOT_FOUND");
  // Nor is an event that is not a disbursement.
  std::vector<v1::EventEnvelope> events = ReadAllEvents("consortium-chungnam-future-vehicles");
  ASSERT_FALSE(events.empty());
  ExpectRefusedAndNothingChanges(ReverseRequest(kChungnam, events.front().event_id()),
                                 grpc::StatusCode::NOT_FOUND, "DISBURSEMENT_NOT_FOUND");
}

TEST_F(CommandServiceTest, ReverseDisbursement_RefusedWhenAlreadyReversed_NothingChanges) {
  Seed2023();
  v1::DisburseFundsRequest paid = DisburseRequest(kChungnam, 2023, 250'000'000, "DUP-1");
  MustSend(paid);
  MustSend(ReverseRequest(kChungnam, paid.meta().event_id()));
  grpc::Status status = ExpectRefusedAndNothingChanges(
      ReverseRequest(kChungnam, paid.meta().event_id(), "second try"),
      grpc::StatusCode::FAILED_PRECONDITION, "DISBURSEMENT_ALREADY_REVERSED");
  EXPECT_EQ(MetadataOf(status)["amount_krw"], "250000000");
  EXPECT_EQ(MetadataOf(status)["corrects_event_id"], paid.meta().event_id());
  EXPECT_THAT(status.error_message(), HasSubstr("250,000,000 KRW"));
}

// ---- RecordHire refusals ---------------------------------------------------------------------

TEST_F(CommandServiceTest, RecordHire_RefusedForUnknownConsortium_NothingChanges) {
  Seed2023();
  grpc::Status status = ExpectRefusedAndNothingChanges(
      HireRequest("jeju-unknown", "r-001", "jeju-lab", Pid("jeju-ent")),
      grpc::StatusCode::NOT_FOUND, "CONSORTIUM_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["consortium_id"], "jeju-unknown");
}

TEST_F(CommandServiceTest, RecordHire_RefusedWhenResearcherAlreadyHired_NothingChanges) {
  Seed2023();
  MustSend(EnrolRequest(kChungnam, "knu-2023-007", kChungnamLab));
  v1::RecordHireRequest first = HireRequest(kChungnam, "knu-2023-007", kChungnamLab, Pid("conex"));
  MustSend(first);
  grpc::Status status = ExpectRefusedAndNothingChanges(
      HireRequest(kChungnam, "knu-2023-007", kChungnamLab, Pid("yongsan")),
      grpc::StatusCode::ALREADY_EXISTS, "RESEARCHER_ALREADY_HIRED");
  EXPECT_EQ(MetadataOf(status)["researcher_id"], "knu-2023-007");
  EXPECT_EQ(MetadataOf(status)["original_event_id"], first.meta().event_id());
}

TEST_F(CommandServiceTest, RecordHire_RefusedWhenLabNotDesignated_NothingChanges) {
  Seed2023(/*with_labs=*/false);
  grpc::Status status = ExpectRefusedAndNothingChanges(
      HireRequest(kChungnam, "knu-2023-001", kChungnamLab, Pid("conex")),
      grpc::StatusCode::FAILED_PRECONDITION, "LAB_NOT_DESIGNATED");
  EXPECT_EQ(MetadataOf(status)["lab_id"], kChungnamLab);
  // Another consortium's designated lab is not this one's.
  MustSend(LabRequest(kGyeongnam));
  status = ExpectRefusedAndNothingChanges(
      HireRequest(kChungnam, "knu-2023-001", kGyeongnamLab, Pid("conex")),
      grpc::StatusCode::FAILED_PRECONDITION, "LAB_NOT_DESIGNATED");
  EXPECT_EQ(MetadataOf(status)["lab_id"], kGyeongnamLab);
}

TEST_F(CommandServiceTest, RecordHire_RefusedWhenEnterpriseNotMidsizedMember_NothingChanges) {
  Seed2023();
  MustSend(EnrolRequest(kChungnam, "knu-2023-002", kChungnamLab));
  // An enterprise of another consortium.
  grpc::Status status = ExpectRefusedAndNothingChanges(
      HireRequest(kChungnam, "knu-2023-002", kChungnamLab, Pid("pk-valve")),
      grpc::StatusCode::FAILED_PRECONDITION, "ENTERPRISE_NOT_IN_CONSORTIUM");
  EXPECT_EQ(MetadataOf(status)["participant_id"], Pid("pk-valve"));
  // A member that is not a mid-sized enterprise.
  status = ExpectRefusedAndNothingChanges(
      HireRequest(kChungnam, "knu-2023-002", kChungnamLab, Pid("katech")),
      grpc::StatusCode::FAILED_PRECONDITION, "ENTERPRISE_NOT_IN_CONSORTIUM");
  EXPECT_EQ(MetadataOf(status)["role"], "PARTICIPANT_ROLE_RESEARCH_INSTITUTE");
  EXPECT_EQ(MetadataOf(status)["required_role"], "PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE");
}

// ---- Malformed fields --------------------------------------------------------------------------

TEST_F(CommandServiceTest, MalformedFields_InvalidArgumentNamingTheField_NothingChanges) {
  Seed2023();
  auto send = [&](const auto& request, const std::string& field, const std::string& reason) {
    grpc::Status status =
        ExpectRefusedAndNothingChanges(request, grpc::StatusCode::INVALID_ARGUMENT, reason);
    EXPECT_EQ(FieldOf(status), field) << Describe(status);
    EXPECT_EQ(MetadataOf(status)["field"], field);
    EXPECT_THAT(status.error_message(), HasSubstr(field));
  };

  v1::DisburseFundsRequest zero = DisburseRequest(kChungnam, 2023, 0);
  send(zero, "disbursement.amount_krw", "MISSING_FIELD");
  v1::DisburseFundsRequest negative = DisburseRequest(kChungnam, 2023, -5);
  send(negative, "disbursement.amount_krw", "INVALID_FIELD");
  v1::DisburseFundsRequest upper_uuid = DisburseRequest(kChungnam, 2023, 5);
  upper_uuid.mutable_meta()->set_event_id("9FB31AE7-5298-40F7-8A08-81D5D0A09C5F");
  send(upper_uuid, "meta.event_id", "INVALID_FIELD");
  v1::DisburseFundsRequest no_meta = DisburseRequest(kChungnam, 2023, 5);
  no_meta.clear_meta();
  send(no_meta, "meta.event_id", "MISSING_FIELD");
  v1::DisburseFundsRequest no_time = DisburseRequest(kChungnam, 2023, 5);
  no_time.mutable_disbursement()->clear_occurred_at();
  send(no_time, "disbursement.occurred_at", "MISSING_FIELD");
  v1::DisburseFundsRequest exact_zero = DisburseRequest(kChungnam, 2023, 5);
  exact_zero.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_EXACT);
  send(exact_zero, "meta.expected_version.version", "INVALID_FIELD");

  v1::SelectConsortiumRequest region = OtherSelectionRequest("jeju-x", kProgramId, 2024, "44");
  send(region, "selection.region_code", "INVALID_FIELD");
  v1::SelectConsortiumRequest role = OtherSelectionRequest("jeju-x", kProgramId, 2024, "KR-50");
  role.mutable_selection()->mutable_participants(2)->set_role(v1::PARTICIPANT_ROLE_UNSPECIFIED);
  send(role, "selection.participants[2].role", "MISSING_FIELD");
  v1::SelectConsortiumRequest upper_id = OtherSelectionRequest("Jeju-X", kProgramId, 2024, "KR-50");
  send(upper_id, "selection.consortium_id", "INVALID_FIELD");

  // Rule 7: never a resident registration number.
  send(HireRequest(kChungnam, "900101-1234567", kChungnamLab, Pid("conex")), "hire.researcher_id",
       "INVALID_FIELD");
  send(HireRequest(kChungnam, "r-1", kChungnamLab, Pid("conex"), v1::DEGREE_UNSPECIFIED),
       "hire.degree", "MISSING_FIELD");

  send(ReverseRequest(kChungnam, NewEventId(), ""), "reason", "MISSING_FIELD");
  send(ReverseRequest(kChungnam, "not-a-uuid"), "corrects_event_id", "INVALID_FIELD");

  v1::EstablishProgramRequest inverted = Program2023Request();
  inverted.mutable_program()->set_program_id("alliance-inverted");
  inverted.mutable_program()->mutable_rules()->set_last_year(2022);
  send(inverted, "program.rules.last_year", "INVALID_FIELD");
}

// ---- Optimistic concurrency ---------------------------------------------------------------------

TEST_F(CommandServiceTest, ExpectedVersion_ExactMismatch_AbortedWrongExpectedVersion) {
  Seed2023();  // Chungnam's stream: selection (1), lab (2), agreements (3..7)
  v1::DisburseFundsRequest stale = DisburseRequest(kChungnam, 2023, 1'000);
  stale.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_EXACT);
  stale.mutable_meta()->mutable_expected_version()->set_version(1);
  grpc::Status status =
      ExpectRefusedAndNothingChanges(stale, grpc::StatusCode::ABORTED, "WRONG_EXPECTED_VERSION");
  std::map<std::string, std::string> metadata = MetadataOf(status);
  EXPECT_EQ(metadata["stream_id"], "consortium-chungnam-future-vehicles");
  EXPECT_EQ(metadata["expected_version"], "1");
  EXPECT_EQ(metadata["actual_version"], "7");

  v1::DisburseFundsRequest current = DisburseRequest(kChungnam, 2023, 1'000);
  current.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_EXACT);
  current.mutable_meta()->mutable_expected_version()->set_version(7);
  v1::AppendResult result = MustSend(current);
  EXPECT_EQ(result.stream_version(), 8u);
}

TEST_F(CommandServiceTest, ExpectedVersion_NoStreamOnExistingStream_AbortedWrongExpectedVersion) {
  MustSend(Program2023Request());
  v1::EstablishProgramRequest again = Program2023Request();
  again.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_NO_STREAM);
  grpc::Status status =
      ExpectRefusedAndNothingChanges(again, grpc::StatusCode::ABORTED, "WRONG_EXPECTED_VERSION");
  EXPECT_EQ(MetadataOf(status)["stream_id"], "program-alliance-2023");
  EXPECT_EQ(MetadataOf(status)["expected_version"], "0");
  EXPECT_EQ(MetadataOf(status)["actual_version"], "1");

  // On a new stream NO_STREAM holds.
  MustSend(RoundRequest(2023, 3));
  v1::SelectConsortiumRequest first = SelectionRequest(kUlsan);
  first.mutable_meta()->mutable_expected_version()->set_kind(v1::ExpectedVersion::KIND_NO_STREAM);
  EXPECT_EQ(MustSend(first).stream_version(), 1u);
}

// ---- Idempotency
// -------------------------------------------------------------------------------------

TEST_F(CommandServiceTest, RepeatedEventIdSameContent_ReplayedSamePositionWrittenOnce) {
  Seed2023();
  v1::DisburseFundsRequest request = DisburseRequest(kChungnam, 2023, 77'000'000, "RETRY-1");
  const v1::AppendResult original = MustSend(request);
  const StoreSnapshot after_first = Snapshot();
  EXPECT_EQ(after_first.last_position, original.global_position());

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
  EXPECT_EQ(Snapshot(), after_first) << "a replayed command wrote something";

  // A retry that states its expectation differently is still the same command.
  v1::DisburseFundsRequest with_expectation = request;
  with_expectation.mutable_meta()->mutable_expected_version()->set_kind(
      v1::ExpectedVersion::KIND_EXACT);
  with_expectation.mutable_meta()->mutable_expected_version()->set_version(1);
  status = Send(with_expectation, &replay);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(replay.replayed());
  EXPECT_EQ(replay.global_position(), original.global_position());

  int seen = 0;
  for (const v1::EventEnvelope& event : ReadAllEvents()) {
    if (event.event_id() == request.meta().event_id()) ++seen;
  }
  EXPECT_EQ(seen, 1);
  v1::ConsortiumStatus consortium;
  ASSERT_TRUE(GetConsortium(kChungnam, &consortium).ok());
  EXPECT_EQ(consortium.disbursed_total_krw(), 77'000'000);
  EXPECT_EQ(consortium.funding_by_year(0).disbursement_count(), 1);
}

TEST_F(CommandServiceTest, RepeatedEventIdDifferentContent_AlreadyExistsEventIdReused) {
  Seed2023();
  v1::DisburseFundsRequest request = DisburseRequest(kChungnam, 2023, 77'000'000, "REUSE-1");
  const v1::AppendResult original = MustSend(request);
  v1::DisburseFundsRequest changed = request;
  changed.mutable_disbursement()->set_amount_krw(78'000'000);
  grpc::Status status =
      ExpectRefusedAndNothingChanges(changed, grpc::StatusCode::ALREADY_EXISTS, "EVENT_ID_REUSED");
  EXPECT_EQ(MetadataOf(status)["event_id"], request.meta().event_id());
  EXPECT_EQ(MetadataOf(status)["global_position"], std::to_string(original.global_position()));
  // The same id on another RPC is a different command too.
  v1::RecordHireRequest hire = HireRequest(kChungnam, "knu-2023-003", kChungnamLab, Pid("conex"));
  hire.mutable_meta()->set_event_id(request.meta().event_id());
  ExpectRefusedAndNothingChanges(hire, grpc::StatusCode::ALREADY_EXISTS, "EVENT_ID_REUSED");
}

// ---- Concurrent callers
// --------------------------------------------------------------------------

TEST_F(CommandServiceTest, ConcurrentDisbursements_AllAcknowledged_PositionsContiguous) {
  Seed2023();
  const uint64_t base = Snapshot().last_position;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  const std::vector<std::string> consortia = {kChungnam, kGyeongnam, kUlsan};

  std::mutex mutex;
  std::vector<uint64_t> positions;
  std::map<std::string, std::vector<uint64_t>> versions_by_stream;
  std::map<std::string, int64_t> expected_total;
  std::map<std::pair<std::string, int32_t>, int64_t> expected_year;
  std::map<std::pair<std::string, int32_t>, int> expected_count;
  std::vector<std::string> failures;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string& consortium = consortia[(t + i) % consortia.size()];
        const int32_t year = 2023 + (t + 2 * i) % kTermYears;
        const int64_t amount = 1'000 + t * 100 + i;
        v1::DisburseFundsRequest request = DisburseRequest(consortium, year, amount);
        v1::AppendResult result;
        grpc::Status status = Send(request, &result);
        std::lock_guard<std::mutex> lock(mutex);
        if (!status.ok() || result.replayed()) {
          failures.push_back(Describe(status));
          continue;
        }
        positions.push_back(result.global_position());
        versions_by_stream[result.stream_id()].push_back(result.stream_version());
        expected_total[consortium] += amount;
        expected_year[{consortium, year}] += amount;
        ++expected_count[{consortium, year}];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_THAT(failures, ::testing::IsEmpty());
  ASSERT_EQ(positions.size(), static_cast<size_t>(kThreads * kPerThread));
  std::sort(positions.begin(), positions.end());
  for (size_t i = 0; i < positions.size(); ++i) {
    ASSERT_EQ(positions[i], base + 1 + i) << "positions are not unique and contiguous";
  }
  EXPECT_EQ(Snapshot().last_position, base + kThreads * kPerThread);
  for (auto& [stream, versions] : versions_by_stream) {
    std::sort(versions.begin(), versions.end());
    // Each consortium stream held its selection, lab and five agreements
    // (versions 1..7).
    for (size_t i = 0; i < versions.size(); ++i) {
      ASSERT_EQ(versions[i], 8 + i) << stream << ": versions not unique and contiguous";
    }
  }
  int64_t program_total = 0;
  for (const std::string& id : consortia) {
    v1::ConsortiumStatus consortium;
    ASSERT_TRUE(GetConsortium(id, &consortium).ok());
    EXPECT_EQ(consortium.disbursed_total_krw(), expected_total[id]) << id;
    program_total += expected_total[id];
    for (const v1::YearFunding& year : consortium.funding_by_year()) {
      EXPECT_EQ(year.disbursed_krw(), (expected_year[{id, year.program_year()}]))
          << id << " " << year.program_year();
      EXPECT_EQ(year.disbursement_count(), (expected_count[{id, year.program_year()}]))
          << id << " " << year.program_year();
    }
  }
  v1::ProgramSummary summary;
  ASSERT_TRUE(GetProgramSummary(kProgramId, &summary).ok());
  EXPECT_EQ(summary.disbursed_total_krw(), program_total);
}

}  // namespace
}  // namespace alliance::testing
