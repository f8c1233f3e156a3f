// QueryService over a real gRPC channel: the read models (GetConsortium,
// GetProgramSummary), the filtered and paged ListConsortia, and the audit
// trail (ReadEvents), all projected from commands sent through the
// CommandService of the same server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "tests/service/test_server.h"

namespace alliance::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class QueryServiceTest : public ServerTest {
 protected:
  // One page of ListConsortia; the ids it returned, its token in *token.
  std::vector<std::string> ListPage(const v1::ListConsortiaRequest& request,
                                    std::string* token = nullptr) {
    v1::ListConsortiaResponse response;
    grpc::Status status = ListConsortia(request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    std::vector<std::string> ids;
    for (const v1::ConsortiumStatus& consortium : response.consortia()) {
      ids.push_back(consortium.consortium_id());
    }
    if (token != nullptr) *token = response.next_page_token();
    return ids;
  }

  // Every id the filters select, walking pages of `page_size`.
  std::vector<std::string> ListAll(v1::ListConsortiaRequest request, int page_size = 1) {
    request.set_page_size(page_size);
    std::vector<std::string> ids;
    for (int page = 0; page < 100; ++page) {
      std::string token;
      for (std::string& id : ListPage(request, &token)) ids.push_back(std::move(id));
      if (token.empty()) return ids;
      request.set_page_token(token);
    }
    ADD_FAILURE() << "the page walk does not end";
    return ids;
  }

  static v1::ListConsortiaRequest Filter(const std::string& program_id,
                                         const std::string& region_code, const std::string& field,
                                         const std::string& participant_id) {
    v1::ListConsortiaRequest request;
    request.set_program_id(program_id);
    request.set_region_code(region_code);
    request.set_field(field);
    request.set_participant_id(participant_id);
    return request;
  }

  // The 2023 program and consortia, plus "alliance-small" with one consortium
  // "daegu-robotics" (KR-27, 로봇 / robotics) that KATECH also joins.
  void SeedTwoPrograms() {
    Seed2023();
    v1::ProgramRules rules = Rules2023();
    rules.set_total_budget_krw(10'000'000'000);
    rules.set_consortium_limit_krw(2'000'000'000);
    MustSend(ProgramRequest("alliance-small", rules));
    MustSend(RoundRequest(2023, 3, "alliance-small"));
    v1::SelectConsortiumRequest daegu =
        OtherSelectionRequest("daegu-robotics", "alliance-small", 2023, "KR-27");
    *daegu.mutable_selection()->add_participants() = MakeParticipant(
        Pid("katech"), "한국자동차연구원", "KATECH", v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE);
    MustSend(daegu);
  }
};

// ---- GetConsortium ----------------------------------------------------------------------

// GetConsortium answers with the published bytes, ListConsortia from the
// published messages: after every command the two agree, byte for byte.
TEST_F(QueryServiceTest, GetConsortium_TheBytesServedAreThoseOfTheModelAfterEveryCommand) {
  Seed2023();
  auto expect_agree = [&](const std::string& when) {
    v1::ListConsortiaResponse list;
    ASSERT_TRUE(ListConsortia(v1::ListConsortiaRequest(), &list).ok());
    ASSERT_EQ(list.consortia_size(), 3) << when;
    for (const v1::ConsortiumStatus& listed : list.consortia()) {
      v1::ConsortiumStatus got;
      grpc::Status status = GetConsortium(listed.consortium_id(), &got);
      ASSERT_TRUE(status.ok()) << when << ": " << Describe(status);
      EXPECT_EQ(SerializeDeterministic(got), SerializeDeterministic(listed))
          << when << ": " << listed.consortium_id();
    }
  };
  expect_agree("seeded");
  MustSend(DisburseRequest(kChungnam, 2023, 500'000'000));
  expect_agree("after a payment");
  MustSend(EnrolRequest(kChungnam, "knu-2023-r02", kChungnamLab));
  expect_agree("after an enrolment");
  Restart();
  expect_agree("after a restart");
}

TEST_F(QueryServiceTest, GetConsortium_MembersLabsFundingTotalsAndHires) {
  Seed2023();
  MustSend(DisburseRequest(kChungnam, 2023, 500'000'000));
  MustSend(DisburseRequest(kChungnam, 2024, 300'000'000));
  MustSend(EnrolRequest(kChungnam, "knu-2023-r01", kChungnamLab));
  v1::RecordHireRequest hire =
      HireRequest(kChungnam, "knu-2023-r01", kChungnamLab, Pid("conex"), v1::DEGREE_PHD_CANDIDATE);
  const v1::AppendResult hired = MustSend(hire);

  v1::ConsortiumStatus c;
  grpc::Status status = GetConsortium(kChungnam, &c);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(c.consortium_id(), kChungnam);
  EXPECT_EQ(c.program_id(), kProgramId);
  EXPECT_EQ(c.round_year(), 2023);
  EXPECT_EQ(c.region_code(), "KR-44");
  EXPECT_EQ(c.region_name_ko(), "충청남도");
  EXPECT_EQ(c.field_ko(), "미래차");
  EXPECT_EQ(c.field_en(), "future vehicles");
  EXPECT_EQ(c.lead_participant_id(), Pid("kongju-univ"));
  std::vector<std::string> members;
  for (const v1::Participant& p : c.participants()) members.push_back(p.participant_id());
  EXPECT_THAT(members, ElementsAre(Pid("kongju-univ"), Pid("conex"), Pid("yongsan"), Pid("katech"),
                                   Pid("chungnam-province")));
  ASSERT_EQ(c.participants_size(), 5);
  EXPECT_EQ(c.participants(0).name_ko(), "공주대학교");
  EXPECT_EQ(c.participants(0).role(), v1::PARTICIPANT_ROLE_UNIVERSITY);
  EXPECT_EQ(c.participants(1).role(), v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  EXPECT_EQ(c.participants(3).role(), v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE);
  EXPECT_EQ(c.participants(4).role(), v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT);
  EXPECT_EQ(c.selected_at().seconds(), kSelectedAt);
  EXPECT_EQ(c.term_first_year(), 2023);
  EXPECT_EQ(c.term_last_year(), 2027);

  ASSERT_EQ(c.labs_size(), 1);
  EXPECT_EQ(c.labs(0).lab_id(), kChungnamLab);
  EXPECT_EQ(c.labs(0).university_participant_id(), Pid("kongju-univ"));
  EXPECT_EQ(c.labs(0).lab_name_ko(), std::string(kChungnamLab) + " 중견기업 혁신연구실");
  EXPECT_EQ(c.labs(0).designated_at().seconds(), kLabsDesignatedAt);

  ASSERT_EQ(c.funding_by_year_size(), 5);
  for (int i = 0; i < 5; ++i) {
    const v1::YearFunding& year = c.funding_by_year(i);
    EXPECT_EQ(year.program_year(), 2023 + i);
    EXPECT_EQ(year.annual_limit_krw(), kAnnualLimitKrw);
    const int64_t paid = i == 0 ? 500'000'000 : i == 1 ? 300'000'000 : 0;
    EXPECT_EQ(year.disbursed_krw(), paid) << year.program_year();
    EXPECT_EQ(year.remaining_krw(), kAnnualLimitKrw - paid) << year.program_year();
    EXPECT_EQ(year.disbursement_count(), paid > 0 ? 1 : 0) << year.program_year();
    EXPECT_EQ(year.reversal_count(), 0);
  }
  EXPECT_EQ(c.disbursed_total_krw(), 800'000'000);
  EXPECT_EQ(c.limit_total_krw(), kConsortiumLimitKrw);
  EXPECT_EQ(c.remaining_total_krw(), kConsortiumLimitKrw - 800'000'000);

  ASSERT_EQ(c.hires_size(), 1);
  EXPECT_EQ(c.hires(0).researcher_id(), "knu-2023-r01");
  EXPECT_EQ(c.hires(0).degree(), v1::DEGREE_PHD_CANDIDATE);
  EXPECT_EQ(c.hires(0).lab_id(), kChungnamLab);
  EXPECT_EQ(c.hires(0).enterprise_participant_id(), Pid("conex"));
  EXPECT_EQ(c.hires(0).hired_at().seconds(), kLaterIn2024);
  EXPECT_EQ(c.hires(0).event_id(), hire.meta().event_id());

  // Selection 1, lab 2, agreements 3..7, payments 8 and 9, enrolment 10,
  // the hire 11.
  EXPECT_EQ(c.stream_version(), 11u);
  EXPECT_EQ(c.last_global_position(), hired.global_position());
}

TEST_F(QueryServiceTest, GetConsortium_UnknownId_NotFoundConsortiumNotFound) {
  Seed2023();
  v1::ConsortiumStatus c;
  grpc::Status status = GetConsortium("jeju-unknown", &c);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "CONSORTIUM_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["id"], "jeju-unknown");
  status = GetConsortium("", &c);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(FieldOf(status), "consortium_id");
}

// ---- GetProgramSummary --------------------------------------------------------------------

TEST_F(QueryServiceTest, GetProgramSummary_UnknownId_NotFoundProgramNotFound) {
  v1::ProgramSummary summary;
  grpc::Status status = GetProgramSummary(kProgramId, &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "PROGRAM_NOT_FOUND");
  EXPECT_EQ(MetadataOf(status)["id"], kProgramId);
  Seed2023();
  status = GetProgramSummary("alliance-2024", &summary);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_EQ(ReasonOf(status), "PROGRAM_NOT_FOUND");
}

TEST_F(QueryServiceTest, GetProgramSummary_CountsCommitmentsDisbursementsHiresByRegion) {
  Seed2023();
  MustSend(DisburseRequest(kChungnam, 2023, 500'000'000));
  MustSend(DisburseRequest(kUlsan, 2024, 200'000'000));
  v1::DisburseFundsRequest mistake = DisburseRequest(kGyeongnam, 2023, 100'000'000);
  MustSend(mistake);
  MustSend(ReverseRequest(kGyeongnam, mistake.meta().event_id()));
  MustSend(EnrolRequest(kChungnam, "knu-r1", kChungnamLab));
  MustSend(EnrolRequest(kUlsan, "uou-r1", kUlsanLab, v1::DEGREE_TRACK_MASTERS));
  MustSend(EnrolRequest(kUlsan, "uou-r2", kUlsanLab));
  MustSend(GraduationRequest(kUlsan, "uou-r1", kLaterIn2024 - 86'400));
  MustSend(HireRequest(kChungnam, "knu-r1", kChungnamLab, Pid("yongsan")));
  MustSend(HireRequest(kUlsan, "uou-r1", kUlsanLab, Pid("korea-ptg"), v1::DEGREE_MASTERS));
  const v1::AppendResult last =
      MustSend(HireRequest(kUlsan, "uou-r2", kUlsanLab, Pid("cosmo-chemical")));

  v1::ProgramSummary s;
  grpc::Status status = GetProgramSummary(kProgramId, &s);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(s.program_id(), kProgramId);
  EXPECT_EQ(s.name_ko(), "중견기업-지역 혁신 얼라이언스 지원사업");
  EXPECT_EQ(s.ministry(), "산업통상자원부");
  EXPECT_EQ(s.managing_agency(), "한국산업기술진흥원 (KIAT)");
  EXPECT_EQ(SerializeDeterministic(s.rules()), SerializeDeterministic(Rules2023()));
  EXPECT_EQ(s.consortium_count(), 3);
  EXPECT_EQ(s.committed_krw(), 20'700'000'000);
  EXPECT_EQ(s.uncommitted_krw(), 20'700'000'000);
  EXPECT_EQ(s.disbursed_total_krw(), 700'000'000);
  EXPECT_EQ(s.hire_count(), 3);
  EXPECT_EQ(s.hiring_target(), 30);
  EXPECT_EQ(s.established_at().seconds(), kEstablishedAt);
  EXPECT_EQ(s.last_global_position(), last.global_position());

  ASSERT_EQ(s.by_region_size(), 3);
  EXPECT_EQ(s.by_region(0).region_code(), "KR-31");
  EXPECT_EQ(s.by_region(0).region_name_ko(), "울산광역시");
  EXPECT_EQ(s.by_region(0).consortium_count(), 1);
  EXPECT_EQ(s.by_region(0).disbursed_krw(), 200'000'000);
  EXPECT_EQ(s.by_region(0).hire_count(), 2);
  EXPECT_EQ(s.by_region(1).region_code(), "KR-44");
  EXPECT_EQ(s.by_region(1).region_name_ko(), "충청남도");
  EXPECT_EQ(s.by_region(1).disbursed_krw(), 500'000'000);
  EXPECT_EQ(s.by_region(1).hire_count(), 1);
  EXPECT_EQ(s.by_region(2).region_code(), "KR-48");
  EXPECT_EQ(s.by_region(2).region_name_ko(), "경상남도");
  EXPECT_EQ(s.by_region(2).consortium_count(), 1);
  EXPECT_EQ(s.by_region(2).disbursed_krw(), 0);  // paid and reversed
  EXPECT_EQ(s.by_region(2).hire_count(), 0);

  // Agreements for 2023..2027 give every term year an entry.
  ASSERT_EQ(s.by_year_size(), 5);
  EXPECT_EQ(s.by_year(0).program_year(), 2023);
  EXPECT_EQ(s.by_year(0).disbursed_krw(), 500'000'000);
  EXPECT_EQ(s.by_year(0).agreed_krw(), 3 * kAnnualLimitKrw);
  EXPECT_EQ(s.by_year(0).enrolment_count(), 3);  // September 2023
  EXPECT_EQ(s.by_year(1).program_year(), 2024);
  EXPECT_EQ(s.by_year(1).disbursed_krw(), 200'000'000);
  EXPECT_EQ(s.by_year(1).hire_count(), 3);  // hired in March 2024
  EXPECT_EQ(s.agreed_total_krw(), 15 * kAnnualLimitKrw);
  EXPECT_EQ(s.researcher_counts().hired(), 3);
  EXPECT_EQ(s.active_count(), 3);
}

// ---- ListConsortia filters ----------------------------------------------------------------

TEST_F(QueryServiceTest, ListConsortia_NoFilter_AllInIdOrder) {
  SeedTwoPrograms();
  std::string token;
  EXPECT_THAT(ListPage(Filter("", "", "", ""), &token),
              ElementsAre(kChungnam, "daegu-robotics", kGyeongnam, kUlsan));
  EXPECT_EQ(token, "");
}

TEST_F(QueryServiceTest, ListConsortia_ByProgram) {
  SeedTwoPrograms();
  EXPECT_THAT(ListPage(Filter(kProgramId, "", "", "")), ElementsAre(kChungnam, kGyeongnam, kUlsan));
  EXPECT_THAT(ListPage(Filter("alliance-small", "", "", "")), ElementsAre("daegu-robotics"));
  EXPECT_THAT(ListPage(Filter("alliance-2030", "", "", "")), IsEmpty());
}

TEST_F(QueryServiceTest, ListConsortia_ByRegion) {
  SeedTwoPrograms();
  EXPECT_THAT(ListPage(Filter("", "KR-48", "", "")), ElementsAre(kGyeongnam));
  EXPECT_THAT(ListPage(Filter("", "KR-31", "", "")), ElementsAre(kUlsan));
  EXPECT_THAT(ListPage(Filter("", "KR-27", "", "")), ElementsAre("daegu-robotics"));
  EXPECT_THAT(ListPage(Filter("", "KR-11", "", "")), IsEmpty());
}

TEST_F(QueryServiceTest, ListConsortia_ByFieldKoreanOrEnglish) {
  SeedTwoPrograms();
  EXPECT_THAT(ListPage(Filter("", "", "미래차", "")), ElementsAre(kChungnam));
  EXPECT_THAT(ListPage(Filter("", "", "future vehicles", "")), ElementsAre(kChungnam));
  EXPECT_THAT(ListPage(Filter("", "", "금속 3D프린팅", "")), ElementsAre(kGyeongnam));
  EXPECT_THAT(ListPage(Filter("", "", "metal 3D printing", "")), ElementsAre(kGyeongnam));
  EXPECT_THAT(ListPage(Filter("", "", "이차전지", "")), ElementsAre(kUlsan));
  EXPECT_THAT(ListPage(Filter("", "", "secondary batteries", "")), ElementsAre(kUlsan));
  EXPECT_THAT(ListPage(Filter("", "", "로봇", "")), ElementsAre("daegu-robotics"));
  // Exact match only.
  EXPECT_THAT(ListPage(Filter("", "", "Future Vehicles", "")), IsEmpty());
  EXPECT_THAT(ListPage(Filter("", "", "future", "")), IsEmpty());
}

TEST_F(QueryServiceTest, ListConsortia_ByParticipant) {
  SeedTwoPrograms();
  EXPECT_THAT(ListPage(Filter("", "", "", Pid("conex"))), ElementsAre(kChungnam));
  EXPECT_THAT(ListPage(Filter("", "", "", Pid("within"))), ElementsAre(kGyeongnam));
  EXPECT_THAT(ListPage(Filter("", "", "", Pid("ulsan-technopark"))), ElementsAre(kUlsan));
  EXPECT_THAT(ListPage(Filter("", "", "", Pid("ulsan-city"))), ElementsAre(kUlsan));
  // KATECH takes part in two consortia of two programs.
  EXPECT_THAT(ListPage(Filter("", "", "", Pid("katech"))),
              ElementsAre(kChungnam, "daegu-robotics"));
  EXPECT_THAT(ListPage(Filter("", "", "", Pid("nobody"))), IsEmpty());
}

TEST_F(QueryServiceTest, ListConsortia_CombinedFiltersAreAnded) {
  SeedTwoPrograms();
  EXPECT_THAT(ListPage(Filter(kProgramId, "", "", Pid("katech"))), ElementsAre(kChungnam));
  EXPECT_THAT(ListPage(Filter("alliance-small", "", "", Pid("katech"))),
              ElementsAre("daegu-robotics"));
  EXPECT_THAT(ListPage(Filter("", "KR-44", "future vehicles", "")), ElementsAre(kChungnam));
  EXPECT_THAT(ListPage(Filter("", "KR-44", "이차전지", "")), IsEmpty());
  EXPECT_THAT(ListPage(Filter(kProgramId, "KR-27", "", "")), IsEmpty());
  EXPECT_THAT(ListPage(Filter("alliance-small", "KR-27", "robotics", Pid("katech"))),
              ElementsAre("daegu-robotics"));
  EXPECT_THAT(ListPage(Filter(kProgramId, "KR-31", "secondary batteries", Pid("cosmo-chemical"))),
              ElementsAre(kUlsan));
  EXPECT_THAT(ListPage(Filter(kProgramId, "KR-31", "secondary batteries", Pid("conex"))),
              IsEmpty());
}

// ---- ListConsortia pages ------------------------------------------------------------------

TEST_F(QueryServiceTest, ListConsortia_PageSizeOne_WalksAllInIdOrderWithoutRepeats) {
  Seed2023();
  for (const v1::ListConsortiaRequest& filter :
       {Filter("", "", "", ""), Filter(kProgramId, "", "", "")}) {
    v1::ListConsortiaRequest request = filter;
    request.set_page_size(1);
    std::string token;
    EXPECT_THAT(ListPage(request, &token), ElementsAre(kChungnam));
    ASSERT_NE(token, "");
    request.set_page_token(token);
    EXPECT_THAT(ListPage(request, &token), ElementsAre(kGyeongnam));
    ASSERT_NE(token, "");
    request.set_page_token(token);
    EXPECT_THAT(ListPage(request, &token), ElementsAre(kUlsan));
    EXPECT_EQ(token, "") << "the last page must have no next_page_token";
    EXPECT_THAT(ListAll(filter, 2), ElementsAre(kChungnam, kGyeongnam, kUlsan));
  }
}

TEST_F(QueryServiceTest, ListConsortia_TokenWithOtherFilters_InvalidArgument) {
  SeedTwoPrograms();
  v1::ListConsortiaRequest request = Filter(kProgramId, "", "", "");
  request.set_page_size(1);
  std::string token;
  ListPage(request, &token);
  ASSERT_NE(token, "");

  v1::ListConsortiaRequest other = Filter("", "", "", Pid("katech"));
  other.set_page_size(1);
  other.set_page_token(token);
  v1::ListConsortiaResponse response;
  grpc::Status status = ListConsortia(other, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(FieldOf(status), "page_token");
  EXPECT_EQ(response.consortia_size(), 0);

  // The same filters plus one more are other filters too.
  other = Filter(kProgramId, "KR-48", "", "");
  other.set_page_token(token);
  status = ListConsortia(other, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);

  other = Filter(kProgramId, "", "", "");
  other.set_page_token("not a token");
  status = ListConsortia(other, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(FieldOf(status), "page_token");

  other = Filter("", "", "", "");
  other.set_page_size(-1);
  status = ListConsortia(other, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(FieldOf(status), "page_size");
}

TEST_F(QueryServiceTest, ListConsortia_WalkWhileConsortiaAreSelected_EachOnceInOrder) {
  Seed2023();
  // Two walks: over every consortium, and over the program's index.
  std::vector<v1::ListConsortiaRequest> walks = {Filter("", "", "", ""),
                                                 Filter(kProgramId, "", "", "")};
  std::vector<std::vector<std::string>> seen(walks.size());
  for (size_t w = 0; w < walks.size(); ++w) {
    walks[w].set_page_size(1);
    std::string token;
    seen[w] = ListPage(walks[w], &token);
    ASSERT_THAT(seen[w], ElementsAre(kChungnam));
    walks[w].set_page_token(token);
  }
  // Selected between pages: one before the walks' position, one after.
  MustSend(RoundRequest(2024, 3));
  MustSend(OtherSelectionRequest("busan-robotics", kProgramId, 2024, "KR-26"));
  MustSend(OtherSelectionRequest("daegu-robotics", kProgramId, 2024, "KR-27"));
  for (size_t w = 0; w < walks.size(); ++w) {
    for (int page = 0; page < 10 && !walks[w].page_token().empty(); ++page) {
      std::string token;
      for (std::string& id : ListPage(walks[w], &token)) seen[w].push_back(std::move(id));
      walks[w].set_page_token(token);
    }
    EXPECT_TRUE(walks[w].page_token().empty()) << "walk " << w << " does not end";
    const std::set<std::string> unique(seen[w].begin(), seen[w].end());
    EXPECT_EQ(unique.size(), seen[w].size()) << "walk " << w << " repeated a consortium";
    EXPECT_TRUE(std::is_sorted(seen[w].begin(), seen[w].end())) << "walk " << w;
    // Keyset pages: what sorts after the position is found, what sorts
    // before it is not revisited.
    EXPECT_THAT(seen[w], ElementsAre(kChungnam, "daegu-robotics", kGyeongnam, kUlsan))
        << "walk " << w;
  }
  // A fresh walk sees all five.
  EXPECT_THAT(ListAll(Filter(kProgramId, "", "", "")),
              ElementsAre("busan-robotics", kChungnam, "daegu-robotics", kGyeongnam, kUlsan));
}

// ---- ReadEvents --------------------------------------------------------------------------

TEST_F(QueryServiceTest, ReadEvents_WholeLogAndOneStream_InOrder) {
  Seed2023(/*with_labs=*/false);
  for (const char* consortium_id : {kChungnam, kGyeongnam, kUlsan}) {
    MustSend(LabRequest(consortium_id));
  }
  v1::ReadEventsRequest request;
  v1::ReadEventsResponse response;
  grpc::Status status = queries().ReadEvents(NewContext().get(), request, &response);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(response.events_size(), 8);
  EXPECT_EQ(response.next_from(), 0u);
  const std::vector<std::string> types = {
      "ProgramEstablished", "SelectionRoundOpened", "ConsortiumSelected", "ConsortiumSelected",
      "ConsortiumSelected", "LabDesignated",        "LabDesignated",      "LabDesignated"};
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(response.events(i).global_position(), static_cast<uint64_t>(i + 1));
    EXPECT_EQ(response.events(i).event_type(), types[i]);
  }
  EXPECT_EQ(response.events(0).stream_id(), "program-alliance-2023");
  EXPECT_EQ(response.events(1).stream_id(), "program-alliance-2023");
  EXPECT_EQ(response.events(2).payload().consortium_selected().consortium_id(), kChungnam);

  request.set_stream_id("consortium-ulsan-secondary-batteries");
  response.Clear();
  status = queries().ReadEvents(NewContext().get(), request, &response);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(response.events_size(), 2);
  EXPECT_EQ(response.events(0).stream_version(), 1u);
  EXPECT_EQ(response.events(0).global_position(), 5u);
  EXPECT_EQ(response.events(0).event_type(), "ConsortiumSelected");
  EXPECT_EQ(response.events(1).stream_version(), 2u);
  EXPECT_EQ(response.events(1).global_position(), 8u);
  EXPECT_EQ(response.events(1).payload().lab_designated().lab_id(), kUlsanLab);
  EXPECT_EQ(response.next_from(), 0u);

  request.set_stream_id("consortium-jeju-unknown");
  response.Clear();
  status = queries().ReadEvents(NewContext().get(), request, &response);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(response.events_size(), 0);
  EXPECT_EQ(response.next_from(), 0u);
}

TEST_F(QueryServiceTest, ReadEvents_PagesFollowNextFrom) {
  Seed2023(/*with_labs=*/false);  // 5 events
  for (int32_t year : {2023, 2024, 2025}) MustSend(AgreementRequest(kChungnam, year));
  MustSend(DisburseRequest(kChungnam, 2023, 1'000));
  MustSend(DisburseRequest(kChungnam, 2024, 2'000));
  MustSend(DisburseRequest(kChungnam, 2025, 3'000));  // 11 events; Chungnam's stream has 7

  v1::ReadEventsRequest request;
  request.set_max_count(3);
  std::vector<uint64_t> positions;
  std::vector<uint64_t> next_froms;
  for (int page = 0; page < 10; ++page) {
    v1::ReadEventsResponse response;
    grpc::Status status = queries().ReadEvents(NewContext().get(), request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    EXPECT_LE(response.events_size(), 3);
    for (const v1::EventEnvelope& e : response.events()) positions.push_back(e.global_position());
    next_froms.push_back(response.next_from());
    if (response.next_from() == 0) break;
    request.set_from(response.next_from());
  }
  EXPECT_THAT(positions, ElementsAre(1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 9u, 10u, 11u));
  EXPECT_THAT(next_froms, ElementsAre(4u, 7u, 10u, 0u));

  // One stream, by version.
  request.Clear();
  request.set_stream_id("consortium-chungnam-future-vehicles");
  request.set_max_count(2);
  std::vector<uint64_t> versions;
  for (int page = 0; page < 10; ++page) {
    v1::ReadEventsResponse response;
    grpc::Status status = queries().ReadEvents(NewContext().get(), request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    for (const v1::EventEnvelope& e : response.events()) {
      EXPECT_EQ(e.stream_id(), "consortium-chungnam-future-vehicles");
      versions.push_back(e.stream_version());
    }
    if (response.next_from() == 0) break;
    EXPECT_EQ(response.next_from(), versions.back() + 1);
    request.set_from(response.next_from());
  }
  EXPECT_THAT(versions, ElementsAre(1u, 2u, 3u, 4u, 5u, 6u, 7u));

  // From the middle, and past the end.
  request.Clear();
  request.set_from(10);
  v1::ReadEventsResponse response;
  ASSERT_TRUE(queries().ReadEvents(NewContext().get(), request, &response).ok());
  ASSERT_EQ(response.events_size(), 2);
  EXPECT_EQ(response.events(0).global_position(), 10u);
  request.set_from(12);
  response.Clear();
  ASSERT_TRUE(queries().ReadEvents(NewContext().get(), request, &response).ok());
  EXPECT_EQ(response.events_size(), 0);
  EXPECT_EQ(response.next_from(), 0u);

  EXPECT_EQ(SerializedEvents(ReadAllEvents("", 3)), SerializedEvents(ReadAllEvents("", 1000)));

  request.set_max_count(-1);
  grpc::Status status = queries().ReadEvents(NewContext().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(FieldOf(status), "max_count");
}

TEST_F(QueryServiceTest, ReadEvents_AuditTrailKeepsTheOriginalAndTheReversal) {
  Seed2023();
  v1::DisburseFundsRequest paid = DisburseRequest(kGyeongnam, 2023, 123'000'000, "GN-1");
  MustSend(paid);
  MustSend(ReverseRequest(kGyeongnam, paid.meta().event_id(), "wrong account"));
  std::vector<v1::EventEnvelope> events = ReadAllEvents("consortium-gyeongnam-metal-3d-printing");
  // Selection, lab, five agreements, the payment, its reversal.
  ASSERT_EQ(events.size(), 9u);
  EXPECT_EQ(events[7].event_id(), paid.meta().event_id());
  EXPECT_EQ(events[7].payload().funds_disbursed().amount_krw(), 123'000'000);
  EXPECT_EQ(events[8].payload().disbursement_reversed().corrects_event_id(),
            paid.meta().event_id());
  EXPECT_EQ(events[8].payload().disbursement_reversed().reason(), "wrong account");
}

}  // namespace
}  // namespace alliance::testing
