#include "tests/service/test_requests.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/domain/regions.h"

namespace alliance::testing {
namespace {

// Every detail of `status` of message type T, parsed.
template <typename T>
std::vector<T> DetailsOf(const grpc::Status& status) {
  std::vector<T> out;
  if (status.error_details().empty()) return out;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const google::protobuf::Any& any : details.details()) {
    T detail;
    if (any.Is<T>() && any.UnpackTo(&detail)) out.push_back(std::move(detail));
  }
  return out;
}

std::optional<google::rpc::ErrorInfo> ErrorInfoOf(const grpc::Status& status) {
  std::vector<google::rpc::ErrorInfo> infos = DetailsOf<google::rpc::ErrorInfo>(status);
  if (infos.empty()) return std::nullopt;
  return infos.front();
}

v1::ProgramEstablished Program2023() {
  v1::ProgramEstablished program;
  program.set_program_id(kProgramId);
  program.set_name_ko("중견기업-지역 혁신 얼라이언스 지원사업");
  program.set_name_en("Mid-sized Enterprise – Regional Innovation Alliance support program");
  program.set_ministry("산업통상자원부");
  program.set_managing_agency("한국산업기술진흥원 (KIAT)");
  *program.mutable_rules() = Rules2023();
  *program.mutable_occurred_at() = Timestamp(kEstablishedAt);
  return program;
}

}  // namespace

std::string NewEventId() {
  static std::mutex mutex;
  static std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{
        device(), device(), device(), device(),
        static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count())};
    return std::mt19937_64(seed);
  }();
  uint64_t high;
  uint64_t low;
  {
    std::lock_guard<std::mutex> lock(mutex);
    high = engine();
    low = engine();
  }
  // Version 4, variant 10xx (RFC 4122).
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char text[37];
  std::snprintf(text, sizeof(text), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xffff),
                static_cast<unsigned>(high & 0xffff), static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return std::string(text, 36);
}

google::protobuf::Timestamp Timestamp(int64_t unix_seconds) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(unix_seconds);
  return timestamp;
}

v1::CommandMeta NewMeta() {
  v1::CommandMeta meta;
  meta.set_event_id(NewEventId());
  return meta;
}

v1::ProgramRules Rules2023() {
  v1::ProgramRules rules;
  rules.set_first_year(kFirstYear);
  rules.set_last_year(kLastYear);
  rules.set_total_budget_krw(kTotalBudgetKrw);
  rules.set_consortium_limit_krw(kConsortiumLimitKrw);
  rules.set_consortium_annual_limit_krw(kAnnualLimitKrw);
  rules.set_consortium_term_years(kTermYears);
  rules.set_min_midsized_enterprises(kMinMidsized);
  rules.add_excluded_region_codes("KR-11");
  rules.add_excluded_region_codes("KR-28");
  rules.add_excluded_region_codes("KR-41");
  rules.set_hiring_target(kHiringTarget);
  return rules;
}

v1::EstablishProgramRequest Program2023Request() {
  v1::EstablishProgramRequest request;
  *request.mutable_meta() = NewMeta();
  *request.mutable_program() = Program2023();
  return request;
}

v1::ProgramRules Rules2025() {
  v1::ProgramRules rules = Rules2023();
  rules.set_first_year(2025);
  rules.set_last_year(2027);
  rules.set_total_budget_krw(9'000'000'000);
  rules.set_consortium_limit_krw(3'000'000'000);
  rules.set_consortium_annual_limit_krw(1'200'000'000);
  rules.set_consortium_term_years(3);
  rules.set_hiring_target(12);
  return rules;
}

v1::EstablishProgramRequest ProgramRequest(const std::string& program_id,
                                           const v1::ProgramRules& rules) {
  v1::EstablishProgramRequest request = Program2023Request();
  request.mutable_program()->set_program_id(program_id);
  request.mutable_program()->set_name_en("test program " + program_id);
  *request.mutable_program()->mutable_rules() = rules;
  return request;
}

v1::Participant MakeParticipant(const std::string& id, const std::string& name_ko,
                                const std::string& name_en, v1::ParticipantRole role) {
  v1::Participant participant;
  participant.set_participant_id(id);
  participant.set_name_ko(name_ko);
  participant.set_name_en(name_en);
  participant.set_role(role);
  return participant;
}

v1::SelectConsortiumRequest SelectionRequest(const std::string& consortium_id) {
  v1::SelectConsortiumRequest request;
  *request.mutable_meta() = NewMeta();
  v1::ConsortiumSelected* s = request.mutable_selection();
  s->set_consortium_id(consortium_id);
  s->set_program_id(kProgramId);
  s->set_round_year(2023);
  *s->mutable_occurred_at() = Timestamp(kSelectedAt);
  auto add = [s](const std::string& id, const char* ko, const char* en, v1::ParticipantRole role) {
    *s->add_participants() = MakeParticipant(id, ko, en, role);
  };
  if (consortium_id == kChungnam) {
    s->set_region_code("KR-44");
    s->set_region_name_ko("충청남도");
    s->set_field_ko("미래차");
    s->set_field_en("future vehicles");
    s->set_lead_participant_id(Pid("kongju-univ"));
    add(Pid("kongju-univ"), "공주대학교", "Kongju National University",
        v1::PARTICIPANT_ROLE_UNIVERSITY);
    add(Pid("conex"), "주식회사 코넥", "Conex", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
    add(Pid("yongsan"), "(주)용산", "Yongsan", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
    add(Pid("katech"), "한국자동차연구원", "Korea Automotive Technology Institute (KATECH)",
        v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE);
    add(Pid("chungnam-province"), "충청남도", "Chungcheongnam-do",
        v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT);
  } else if (consortium_id == kGyeongnam) {
    s->set_region_code("KR-48");
    s->set_region_name_ko("경상남도");
    s->set_field_ko("금속 3D프린팅");
    s->set_field_en("metal 3D printing");
    s->set_lead_participant_id(Pid("changwon-univ"));
    add(Pid("changwon-univ"), "창원대학교", "Changwon National University",
        v1::PARTICIPANT_ROLE_UNIVERSITY);
    add(Pid("pk-valve"), "피케이밸브앤엔지니어링(주)", "PK Valve & Engineering",
        v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
    add(Pid("within"), "주식회사 위딘", "Within", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
    add(Pid("gyeongnam-province"), "경상남도", "Gyeongsangnam-do",
        v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT);
  } else {
    s->set_region_code("KR-31");
    s->set_region_name_ko("울산광역시");
    s->set_field_ko("이차전지");
    s->set_field_en("secondary batteries");
    s->set_lead_participant_id(Pid("ulsan-univ"));
    add(Pid("ulsan-univ"), "울산대학교", "University of Ulsan", v1::PARTICIPANT_ROLE_UNIVERSITY);
    add(Pid("korea-ptg"), "코리아피티지(주)", "Korea PTG",
        v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
    add(Pid("cosmo-chemical"), "코스모화학주식회사", "Cosmo Chemical",
        v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
    add(Pid("ulsan-technopark"), "울산테크노파크", "Ulsan Technopark",
        v1::PARTICIPANT_ROLE_INNOVATION_INSTITUTION);
    add(Pid("ulsan-city"), "울산광역시", "Ulsan Metropolitan City",
        v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT);
  }
  return request;
}

std::vector<v1::SelectConsortiumRequest> Consortia2023Requests() {
  return {SelectionRequest(kChungnam), SelectionRequest(kGyeongnam), SelectionRequest(kUlsan)};
}

v1::SelectConsortiumRequest OtherSelectionRequest(const std::string& consortium_id,
                                                  const std::string& program_id, int32_t round_year,
                                                  const std::string& region_code) {
  v1::SelectConsortiumRequest request;
  *request.mutable_meta() = NewMeta();
  v1::ConsortiumSelected* s = request.mutable_selection();
  s->set_consortium_id(consortium_id);
  s->set_program_id(program_id);
  s->set_round_year(round_year);
  s->set_region_code(region_code);
  const domain::Region* region = domain::FindRegion(region_code);
  s->set_region_name_ko(region == nullptr ? "" : std::string(region->name_ko));
  s->set_field_ko("로봇");
  s->set_field_en("robotics");
  s->set_lead_participant_id(Pid(consortium_id + "-univ"));
  *s->add_participants() = MakeParticipant(Pid(consortium_id + "-univ"), "대학교", "University",
                                           v1::PARTICIPANT_ROLE_UNIVERSITY);
  *s->add_participants() = MakeParticipant(Pid(consortium_id + "-ent-1"), "기업 1", "Enterprise 1",
                                           v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  *s->add_participants() = MakeParticipant(Pid(consortium_id + "-ent-2"), "기업 2", "Enterprise 2",
                                           v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE);
  *s->mutable_occurred_at() = Timestamp(kSelectedAt);
  return request;
}

std::string LabIdOf(const std::string& consortium_id) {
  if (consortium_id == kChungnam) return kChungnamLab;
  if (consortium_id == kGyeongnam) return kGyeongnamLab;
  if (consortium_id == kUlsan) return kUlsanLab;
  return consortium_id + "-lab";
}

v1::DesignateLabRequest LabRequest(const std::string& consortium_id) {
  std::string university = Pid(consortium_id + "-univ");
  if (consortium_id == kChungnam) university = Pid("kongju-univ");
  if (consortium_id == kGyeongnam) university = Pid("changwon-univ");
  if (consortium_id == kUlsan) university = Pid("ulsan-univ");
  return LabRequest(consortium_id, LabIdOf(consortium_id), university);
}

v1::DesignateLabRequest LabRequest(const std::string& consortium_id, const std::string& lab_id,
                                   const std::string& university_participant_id) {
  v1::DesignateLabRequest request;
  *request.mutable_meta() = NewMeta();
  v1::LabDesignated* lab = request.mutable_designation();
  lab->set_consortium_id(consortium_id);
  lab->set_lab_id(lab_id);
  lab->set_lab_name_ko(lab_id + " 중견기업 혁신연구실");
  lab->set_university_participant_id(university_participant_id);
  *lab->mutable_occurred_at() = Timestamp(kLabsDesignatedAt);
  return request;
}

v1::DisburseFundsRequest DisburseRequest(const std::string& consortium_id, int32_t program_year,
                                         int64_t amount_krw, const std::string& payment_reference) {
  v1::DisburseFundsRequest request;
  *request.mutable_meta() = NewMeta();
  v1::FundsDisbursed* funds = request.mutable_disbursement();
  funds->set_consortium_id(consortium_id);
  funds->set_program_year(program_year);
  funds->set_amount_krw(amount_krw);
  funds->set_payment_reference(payment_reference);
  *funds->mutable_occurred_at() = Timestamp(kLaterIn2024);
  return request;
}

v1::DisburseFundsRequest DisburseRequest(const std::string& consortium_id, int32_t program_year,
                                         int64_t amount_krw) {
  v1::DisburseFundsRequest request = DisburseRequest(consortium_id, program_year, amount_krw, "");
  request.mutable_disbursement()->set_payment_reference("PAY-" + request.meta().event_id());
  return request;
}

v1::DisburseFundsBatchRequest DisburseBatchRequest(const std::string& consortium_id,
                                                   int32_t program_year,
                                                   const std::vector<int64_t>& amounts_krw,
                                                   const std::string& reference_prefix) {
  v1::DisburseFundsBatchRequest request;
  *request.mutable_meta() = NewMeta();
  for (size_t i = 0; i < amounts_krw.size(); ++i) {
    *request.add_disbursements() = DisburseRequest(consortium_id, program_year, amounts_krw[i],
                                                   reference_prefix + "-" + std::to_string(i))
                                       .disbursement();
  }
  return request;
}

v1::ReverseDisbursementRequest ReverseRequest(const std::string& consortium_id,
                                              const std::string& corrects_event_id,
                                              const std::string& reason) {
  v1::ReverseDisbursementRequest request;
  *request.mutable_meta() = NewMeta();
  request.set_consortium_id(consortium_id);
  request.set_corrects_event_id(corrects_event_id);
  request.set_reason(reason);
  *request.mutable_occurred_at() = Timestamp(kLaterIn2024);
  return request;
}

v1::RecordHireRequest HireRequest(const std::string& consortium_id,
                                  const std::string& researcher_id, const std::string& lab_id,
                                  const std::string& enterprise_participant_id, v1::Degree degree) {
  v1::RecordHireRequest request;
  *request.mutable_meta() = NewMeta();
  v1::ResearcherHired* hire = request.mutable_hire();
  hire->set_consortium_id(consortium_id);
  hire->set_researcher_id(researcher_id);
  hire->set_degree(degree);
  hire->set_lab_id(lab_id);
  hire->set_enterprise_participant_id(enterprise_participant_id);
  *hire->mutable_occurred_at() = Timestamp(kLaterIn2024);
  return request;
}

v1::OpenSelectionRoundRequest RoundRequest(int32_t round_year, int32_t slots,
                                           const std::string& program_id) {
  v1::OpenSelectionRoundRequest request;
  *request.mutable_meta() = NewMeta();
  request.mutable_round()->set_program_id(program_id);
  request.mutable_round()->set_round_year(round_year);
  request.mutable_round()->set_slots(slots);
  *request.mutable_round()->mutable_occurred_at() = Timestamp(kEstablishedAt);
  return request;
}

v1::SignAgreementRequest AgreementRequest(const std::string& consortium_id, int32_t program_year,
                                          int64_t grant_krw) {
  v1::SignAgreementRequest request;
  *request.mutable_meta() = NewMeta();
  v1::AgreementSigned* agreement = request.mutable_agreement();
  agreement->set_consortium_id(consortium_id);
  agreement->set_program_year(program_year);
  agreement->set_grant_krw(grant_krw);
  agreement->set_agreement_reference("KIAT-AGR-" + std::to_string(program_year) + "-" +
                                     consortium_id);
  *agreement->mutable_occurred_at() = Timestamp(kLabsDesignatedAt);
  return request;
}

v1::AmendAgreementRequest AmendRequest(const std::string& consortium_id, int32_t program_year,
                                       int64_t grant_krw) {
  v1::AmendAgreementRequest request;
  *request.mutable_meta() = NewMeta();
  request.set_consortium_id(consortium_id);
  request.set_program_year(program_year);
  request.set_grant_krw(grant_krw);
  request.set_reason("budget reallocated");
  *request.mutable_occurred_at() = Timestamp(kLaterIn2024);
  return request;
}

v1::JoinConsortiumRequest JoinRequest(const std::string& consortium_id,
                                      const v1::Participant& participant) {
  v1::JoinConsortiumRequest request;
  *request.mutable_meta() = NewMeta();
  request.mutable_joining()->set_consortium_id(consortium_id);
  *request.mutable_joining()->mutable_participant() = participant;
  *request.mutable_joining()->mutable_occurred_at() = Timestamp(kLaterIn2024);
  return request;
}

v1::WithdrawParticipantRequest WithdrawRequest(const std::string& consortium_id,
                                               const std::string& participant_id) {
  v1::WithdrawParticipantRequest request;
  *request.mutable_meta() = NewMeta();
  request.set_consortium_id(consortium_id);
  request.set_participant_id(participant_id);
  request.set_reason("business restructuring");
  *request.mutable_occurred_at() = Timestamp(kLaterIn2024);
  return request;
}

v1::EnrolResearcherRequest EnrolRequest(const std::string& consortium_id,
                                        const std::string& researcher_id, const std::string& lab_id,
                                        v1::DegreeTrack track, int64_t at) {
  v1::EnrolResearcherRequest request;
  *request.mutable_meta() = NewMeta();
  v1::ResearcherEnrolled* enrolment = request.mutable_enrolment();
  enrolment->set_consortium_id(consortium_id);
  enrolment->set_researcher_id(researcher_id);
  enrolment->set_lab_id(lab_id);
  enrolment->set_track(track);
  *enrolment->mutable_occurred_at() = Timestamp(at);
  return request;
}

v1::RecordGraduationRequest GraduationRequest(const std::string& consortium_id,
                                              const std::string& researcher_id, int64_t at) {
  v1::RecordGraduationRequest request;
  *request.mutable_meta() = NewMeta();
  request.set_consortium_id(consortium_id);
  request.set_researcher_id(researcher_id);
  *request.mutable_occurred_at() = Timestamp(at);
  return request;
}

v1::RecordDepartureRequest DepartureRequest(const std::string& consortium_id,
                                            const std::string& researcher_id, int64_t at) {
  v1::RecordDepartureRequest request;
  *request.mutable_meta() = NewMeta();
  request.set_consortium_id(consortium_id);
  request.set_researcher_id(researcher_id);
  request.set_reason("moved to another company");
  *request.mutable_occurred_at() = Timestamp(at);
  return request;
}

v1::RetractResearcherStepRequest RetractStepRequest(const std::string& consortium_id,
                                                    const std::string& corrects_event_id) {
  v1::RetractResearcherStepRequest request;
  *request.mutable_meta() = NewMeta();
  request.set_consortium_id(consortium_id);
  request.set_corrects_event_id(corrects_event_id);
  request.set_reason("recorded in error");
  *request.mutable_occurred_at() = Timestamp(kLaterIn2024);
  return request;
}

v1::RecordEvaluationRequest EvaluationRequest(const std::string& consortium_id,
                                              int32_t program_year, v1::EvaluationGrade grade,
                                              int32_t score) {
  v1::RecordEvaluationRequest request;
  *request.mutable_meta() = NewMeta();
  v1::EvaluationRecorded* evaluation = request.mutable_evaluation();
  evaluation->set_consortium_id(consortium_id);
  evaluation->set_program_year(program_year);
  evaluation->set_grade(grade);
  evaluation->set_score(score);
  *evaluation->mutable_occurred_at() = Timestamp(kLaterIn2024);
  return request;
}

v1::CorrectEvaluationRequest CorrectEvaluationRequest(const std::string& consortium_id,
                                                      const std::string& corrects_event_id,
                                                      v1::EvaluationGrade grade, int32_t score) {
  v1::CorrectEvaluationRequest request;
  *request.mutable_meta() = NewMeta();
  request.set_consortium_id(consortium_id);
  request.set_corrects_event_id(corrects_event_id);
  request.set_grade(grade);
  request.set_score(score);
  request.set_reason("score sheet mis-added");
  *request.mutable_occurred_at() = Timestamp(kLaterIn2024);
  return request;
}

v1::ChangeConsortiumStateRequest StateRequest(const std::string& consortium_id,
                                              const std::string& reason, int64_t at) {
  v1::ChangeConsortiumStateRequest request;
  *request.mutable_meta() = NewMeta();
  request.set_consortium_id(consortium_id);
  request.set_reason(reason);
  *request.mutable_occurred_at() = Timestamp(at);
  return request;
}

std::unique_ptr<grpc::ClientContext> NewContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  SetDeadline(context.get());
  return context;
}

void SetDeadline(grpc::ClientContext* context, std::chrono::seconds after) {
  context->set_deadline(std::chrono::system_clock::now() + after);
}

std::string ReasonOf(const grpc::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->reason() : "";
}

std::map<std::string, std::string> MetadataOf(const grpc::Status& status) {
  std::map<std::string, std::string> metadata;
  if (std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status)) {
    for (const auto& [key, value] : info->metadata()) metadata[key] = value;
  }
  return metadata;
}

std::string DomainOf(const grpc::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = ErrorInfoOf(status);
  return info ? info->domain() : "";
}

std::string FieldOf(const grpc::Status& status) {
  std::vector<google::rpc::BadRequest> bad = DetailsOf<google::rpc::BadRequest>(status);
  if (bad.empty() || bad.front().field_violations_size() == 0) return "";
  return bad.front().field_violations(0).field();
}

std::string Describe(const grpc::Status& status) {
  return std::to_string(static_cast<int>(status.error_code())) + ": " + status.error_message() +
         " [" + ReasonOf(status) + "]";
}

}  // namespace alliance::testing
