// alliancectl: the command-line tool for the Alliance case ledger. It records
// commands (establish a program, open a selection round, select a
// consortium, designate a lab, sign and amend agreements, disburse, reverse,
// join and withdraw members, a researcher's steps from enrolment to hire,
// evaluations, and a consortium's state changes), reads the status read
// models (consortium, list, program, participant) and the event log, and
// loads the seed data set. Run `alliancectl --help` for the flags.
//
// Output: tables for people by default, the response as proto3 JSON with
// --json. Errors go to stderr as "<CODE> [<REASON>]: <message> {<metadata>}".
// Exit codes: 0 success, 1 the server refused or could not be reached,
// 2 usage error (bad flags or arguments; nothing was sent).
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/queries.pb.h"
#include "clients/alliance_client.h"
#include "clients/views.h"
#include "proto/errors/refusal.h"
#include "seed.pb.h"

namespace {

std::string DefaultPrincipal() {
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? user : "alliancectl";
}

}  // namespace

// Connection and output.
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "Address of the ledger server (host:port).");
ABSL_FLAG(bool, json, false,
          "Print the response as proto3 JSON (lowerCamelCase names, every field shown, "
          "int64 as strings) instead of tables.");
ABSL_FLAG(int64_t, deadline_ms, 5000, "Deadline of each call in milliseconds.");
ABSL_FLAG(std::string, agency, "KIAT", "Calling agency, sent as the alliance-agency header.");
ABSL_FLAG(std::string, principal, DefaultPrincipal(),
          "Person or system in the agency, sent as the alliance-principal header "
          "(default: $USER, else \"alliancectl\").");

// Every command.
ABSL_FLAG(std::string, event_id, "", "Event id (UUID) of the command; default: a fresh one.");
ABSL_FLAG(std::string, expected_version, "any",
          "Expected version of the command's stream: any, no-stream, or a number >= 1.");
ABSL_FLAG(std::string, correlation_id, "", "Correlation id, e.g. the agency's case number.");
ABSL_FLAG(std::string, occurred_at, "",
          "When it happened, RFC 3339 (e.g. 2023-05-25T14:00:00+09:00); default: now.");
ABSL_FLAG(std::string, file, "",
          "Text-format file: EstablishProgramRequest (establish-program), "
          "SelectConsortiumRequest (select), alliance.seed.SeedFile (seed).");

// establish-program without --file. The rules default to the 2023 program's.
ABSL_FLAG(std::string, program, "", "Program id (establish-program, open-round; list filter).");
ABSL_FLAG(std::string, name_ko, "",
          "Name in Korean: the program's (establish-program) or the participant's (join).");
ABSL_FLAG(std::string, name_en, "",
          "Name in English: the program's (establish-program) or the participant's (join).");
ABSL_FLAG(std::string, ministry, "", "Ministry, e.g. 산업통상자원부 (establish-program).");
ABSL_FLAG(std::string, managing_agency, "", "Managing agency, e.g. KIAT (establish-program).");
ABSL_FLAG(int32_t, first_year, 2023, "First program year (establish-program).");
ABSL_FLAG(int32_t, last_year, 2028, "Last program year (establish-program).");
ABSL_FLAG(int64_t, total_budget_krw, 41'400'000'000, "Program budget (establish-program).");
ABSL_FLAG(int64_t, consortium_limit_krw, 6'900'000'000,
          "What one consortium may receive over its term (establish-program).");
ABSL_FLAG(int64_t, annual_limit_krw, 1'380'000'000,
          "What one consortium may receive in one year (establish-program).");
ABSL_FLAG(int32_t, term_years, 5, "Years a consortium is funded (establish-program).");
ABSL_FLAG(int32_t, min_midsized_enterprises, 2,
          "Mid-sized enterprises a consortium needs (establish-program).");
ABSL_FLAG(std::vector<std::string>, excluded_regions,
          std::vector<std::string>({"KR-11", "KR-28", "KR-41"}),
          "Regions that may not host a consortium, comma-separated (establish-program).");
ABSL_FLAG(int32_t, hiring_target, 30, "Researchers to be hired (establish-program).");

// Program and consortium commands.
ABSL_FLAG(int32_t, slots, 0, "Consortia the round selects (open-round).");
ABSL_FLAG(std::string, consortium, "", "Consortium id.");
ABSL_FLAG(std::string, lab, "", "Lab id (designate-lab, enrol, hire).");
ABSL_FLAG(std::string, lab_name, "", "Lab name in Korean (designate-lab).");
ABSL_FLAG(std::string, university, "",
          "Business registration number of the lab's university (designate-lab).");
ABSL_FLAG(int32_t, year, 0,
          "Year: the round's (open-round) or the program year (sign-agreement, "
          "amend-agreement, disburse, evaluate).");
ABSL_FLAG(int64_t, amount_krw, 0, "Amount in whole KRW (disburse).");
ABSL_FLAG(int64_t, grant_krw, 0,
          "The year's government grant in whole KRW (sign-agreement, amend-agreement).");
ABSL_FLAG(std::string, reference, "",
          "Paying agency's payment reference (disburse); agreement number, optional "
          "(sign-agreement).");
ABSL_FLAG(std::string, event, "",
          "event_id of the event corrected: the disbursement (reverse), the researcher's "
          "step (retract-step), the year's evaluation in effect (correct-evaluation).");
ABSL_FLAG(std::string, reason, "",
          "Why, in words (reverse, amend-agreement, withdraw, retract-step, "
          "correct-evaluation, suspend, resume, terminate; optional for depart, complete).");
ABSL_FLAG(std::string, role, "",
          "Participant role (join): university, enterprise (mid-sized), research-institute, "
          "innovation-institution or local-government.");
ABSL_FLAG(std::string, researcher, "",
          "Pseudonymous researcher id (enrol, graduate, hire, depart).");
ABSL_FLAG(std::string, track, "", "Degree track, ms or phd (enrol).");
ABSL_FLAG(std::string, degree, "",
          "ms, ms-candidate, phd or phd-candidate (hire): the graduated degree, or the "
          "track's candidate degree before graduation.");
ABSL_FLAG(std::string, enterprise, "",
          "Business registration number of the hiring mid-sized enterprise (hire).");
ABSL_FLAG(std::string, grade, "",
          "Evaluation grade: excellent, satisfactory, unsatisfactory or poor (evaluate, "
          "correct-evaluation).");
ABSL_FLAG(int32_t, score, 0,
          "Evaluation score 0..100, 0 when not scored (evaluate, "
          "correct-evaluation).");
ABSL_FLAG(std::string, summary, "", "The evaluation committee's summary, optional (evaluate).");

// Queries.
ABSL_FLAG(std::string, region, "", "Region code filter, e.g. KR-44 (list).");
ABSL_FLAG(std::string, field, "", "Field filter, Korean or English (list).");
ABSL_FLAG(std::string, participant, "",
          "Business registration number, 10 digits: the member who joins or withdraws "
          "(join, withdraw); list filter (list).");
ABSL_FLAG(std::string, state, "",
          "State filter: active, suspended, terminated or completed (list).");
ABSL_FLAG(int32_t, page_size, 0, "Page size, 1..100 (list); set it to print one page only.");
ABSL_FLAG(std::string, page_token, "", "Page token from a previous page (list).");
ABSL_FLAG(std::string, stream, "", "Stream id, e.g. consortium-<id> (events); default: all.");
ABSL_FLAG(uint64_t, from, 0, "First position or version to read (events).");
ABSL_FLAG(int32_t, max, 0, "Events to read, 1..1000 (events); set it to print one page only.");

namespace alliance::client {
namespace {

namespace pb = google::protobuf;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A deadline longer than this is a typo, not a wish: ten minutes.
constexpr int64_t kDeadlineMsMax = 600'000;
// Input files are hand-written text: 16 MiB is far beyond any real one.
constexpr std::streamsize kInputFileBytesMax = 16 << 20;
// The server's page caps (queries.proto): request the most when following.
constexpr int32_t kListPageSizeMax = 100;
constexpr int32_t kEventsPageMax = 1000;
// Pages followed before giving up on a server that never says "last page":
// 10,000 pages of 1,000 events is ten million events.
constexpr int kPagesFollowedMax = 10'000;

constexpr char kUsage[] =
    "alliancectl [flags] <subcommand> [args]\n"
    "\n"
    "Commands (each takes --event_id, --expected_version, --correlation_id, and\n"
    "--occurred_at unless the file gives it; participants are 10-digit business\n"
    "registration numbers):\n"
    "  establish-program  --file=req.textpb | --program --name_ko --ministry --managing_agency\n"
    "  open-round         --program --year --slots\n"
    "  select             --file=req.textpb (a SelectConsortiumRequest)\n"
    "  designate-lab      --consortium --lab --lab_name --university\n"
    "  sign-agreement     --consortium --year --grant_krw [--reference]\n"
    "  amend-agreement    --consortium --year --grant_krw --reason\n"
    "  disburse           --consortium --year --amount_krw --reference\n"
    "  reverse            --consortium --event --reason\n"
    "  join               --consortium --participant --name_ko [--name_en] --role\n"
    "  withdraw           --consortium --participant --reason\n"
    "  enrol              --consortium --researcher --lab --track=ms|phd\n"
    "  graduate           --consortium --researcher\n"
    "  hire               --consortium --researcher --degree --lab --enterprise\n"
    "  depart             --consortium --researcher [--reason]\n"
    "  retract-step       --consortium --event --reason\n"
    "  evaluate           --consortium --year --grade [--score --summary]\n"
    "  correct-evaluation --consortium --event --grade [--score] --reason\n"
    "  suspend | resume | terminate  --consortium --reason\n"
    "  complete           --consortium [--reason]\n"
    "  seed               [--file] (default: the 2023 data set)\n"
    "Queries:\n"
    "  status <consortium_id>\n"
    "  list               [--program --region --field --participant --state --page_size\n"
    "                      --page_token]\n"
    "  program <program_id>\n"
    "  participant <business_registration_number>\n"
    "  events             [--stream --from --max]\n"
    "\n"
    "Global flags: --server --agency --principal --deadline_ms --json. Try --help.";

// A subcommand's flags or arguments are wrong; nothing was sent.
struct UsageError {
  std::string message;
};

int ReportUsageError(absl::string_view message) {
  std::cerr << "alliancectl: " << message << "\n\n" << kUsage << "\n";
  return kExitUsage;
}

// "FAILED_PRECONDITION ANNUAL_LIMIT_EXCEEDED: <message> {k=v, ...}".
std::string DescribeError(const absl::Status& status) {
  std::string text = absl::StatusCodeToString(status.code());
  std::optional<RefusalDetails> refusal = GetRefusalDetails(status);
  if (refusal) absl::StrAppend(&text, " ", refusal->reason);
  absl::StrAppend(&text, ": ", status.message());
  if (refusal) {
    std::map<std::string, std::string> metadata = refusal->metadata;
    if (!refusal->field.empty()) metadata.emplace("field", refusal->field);
    if (!metadata.empty()) {
      absl::StrAppend(&text, " {", absl::StrJoin(metadata, ", ", absl::PairFormatter("=")), "}");
    }
  }
  return text;
}

int ReportFailure(const absl::Status& status) {
  std::cerr << DescribeError(status) << "\n";
  return kExitFailure;
}

std::string ToJson(const pb::Message& message, bool multiline) {
  pb::util::JsonPrintOptions options;
  options.add_whitespace = multiline;
  // Zeros and false are information here (remaining_krw 0, replayed false).
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = false;
  std::string json;
  const auto status = pb::util::MessageToJsonString(message, &json, options);
  // Every message we print is one of ours; conversion cannot fail.
  if (!status.ok()) return absl::StrCat("{\"error\": \"", status.ToString(), "\"}\n");
  if (!multiline) json.push_back('\n');
  return json;
}

// ---- Parsing flag values -------------------------------------------------

pb::Timestamp ToTimestamp(absl::Time time) {
  // ToUnixSeconds rounds toward the past, so nanos is in [0, 1e9).
  const int64_t seconds = absl::ToUnixSeconds(time);
  pb::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return timestamp;
}

absl::StatusOr<pb::Timestamp> OccurredAtFromFlag() {
  const std::string text = absl::GetFlag(FLAGS_occurred_at);
  // Whole seconds: "now" is as precise as a person typing the command.
  if (text.empty() || text == "now") {
    return ToTimestamp(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())));
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--occurred_at=", text, " is not RFC 3339 (", error, ")"));
  }
  return ToTimestamp(time);
}

absl::StatusOr<v1::ExpectedVersion> ParseExpectedVersion(absl::string_view text) {
  v1::ExpectedVersion expected;
  uint64_t version = 0;
  if (text == "any") {
    expected.set_kind(v1::ExpectedVersion::KIND_ANY);
  } else if (text == "no-stream") {
    expected.set_kind(v1::ExpectedVersion::KIND_NO_STREAM);
  } else if (absl::SimpleAtoi(text, &version) && version >= 1) {
    expected.set_kind(v1::ExpectedVersion::KIND_EXACT);
    expected.set_version(version);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--expected_version=", text, ": want any, no-stream or a version >= 1"));
  }
  return expected;
}

// Fills what `meta` leaves unset from the flags: a file's meta wins, so that
// a request file can pin its event id.
absl::Status FillMeta(v1::CommandMeta* meta) {
  if (meta->event_id().empty()) {
    const std::string flag = absl::GetFlag(FLAGS_event_id);
    meta->set_event_id(flag.empty() ? NewEventId() : flag);
  }
  if (!meta->has_expected_version()) {
    absl::StatusOr<v1::ExpectedVersion> expected =
        ParseExpectedVersion(absl::GetFlag(FLAGS_expected_version));
    if (!expected.ok()) return expected.status();
    // ANY is what an absent expected_version means: send nothing.
    if (expected->kind() != v1::ExpectedVersion::KIND_ANY) {
      *meta->mutable_expected_version() = *expected;
    }
  }
  if (meta->correlation_id().empty()) meta->set_correlation_id(absl::GetFlag(FLAGS_correlation_id));
  return absl::OkStatus();
}

// Fills an unset occurred_at from --occurred_at (or now).
absl::Status FillOccurredAt(bool has_occurred_at, pb::Timestamp* occurred_at) {
  if (has_occurred_at) return absl::OkStatus();
  absl::StatusOr<pb::Timestamp> parsed = OccurredAtFromFlag();
  if (!parsed.ok()) return parsed.status();
  *occurred_at = *parsed;
  return absl::OkStatus();
}

// Both of the above, for a command whose request has no occurred_at of its
// own yet: the common case of the recording subcommands.
absl::Status FillMetaAndOccurredAt(v1::CommandMeta* meta, pb::Timestamp* occurred_at) {
  if (absl::Status s = FillMeta(meta); !s.ok()) return s;
  return FillOccurredAt(false, occurred_at);
}

// Every name in `required` (flag name, value) must be non-empty.
absl::Status RequireFlags(std::vector<std::pair<absl::string_view, std::string>> required) {
  std::vector<absl::string_view> missing;
  for (const auto& [name, value] : required) {
    if (value.empty()) missing.push_back(name);
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("missing --", absl::StrJoin(missing, ", --")));
}

absl::StatusOr<std::string> ReadInputFile(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("missing --file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string text;
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    text.append(buffer.data(), static_cast<size_t>(in.gcount()));
    if (static_cast<std::streamsize>(text.size()) > kInputFileBytesMax) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " is larger than ", kInputFileBytesMax, " bytes"));
    }
  }
  return text;
}

// Reads a text-format message, reporting the parser's line and column.
absl::Status ReadTextProto(const std::string& path, pb::Message* message) {
  absl::StatusOr<std::string> text = ReadInputFile(path);
  if (!text.ok()) return text.status();
  class Collector : public pb::io::ErrorCollector {
   public:
    void AddError(int line, int column, const std::string& message) override {
      if (first_.empty()) first_ = absl::StrCat(line + 1, ":", column + 1, ": ", message);
    }
    const std::string& first() const { return first_; }

   private:
    std::string first_;
  };
  Collector errors;
  pb::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(*text, message)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":", errors.first(), " (expected a ", message->GetTypeName(), ")"));
  }
  return absl::OkStatus();
}

// ---- Enum values by name ---------------------------------------------------

// Degrees, tracks, grades and states take the words a table shows
// (kDegreeNames and the others in clients/views.h). Roles read as phrases
// in a table ("mid-sized enterprise"), so --role has spellings of its own.
constexpr EnumName<v1::ParticipantRole> kRoleFlagNames[] = {
    {"university", v1::PARTICIPANT_ROLE_UNIVERSITY},
    {"enterprise", v1::PARTICIPANT_ROLE_MIDSIZED_ENTERPRISE},
    {"research-institute", v1::PARTICIPANT_ROLE_RESEARCH_INSTITUTE},
    {"innovation-institution", v1::PARTICIPANT_ROLE_INNOVATION_INSTITUTION},
    {"local-government", v1::PARTICIPANT_ROLE_LOCAL_GOVERNMENT},
};

// The value named `text` in `names`, or INVALID_ARGUMENT listing the names
// --<flag> takes.
template <typename Enum, size_t N>
absl::StatusOr<Enum> ParseEnum(absl::string_view flag, absl::string_view text,
                               const EnumName<Enum> (&names)[N]) {
  std::vector<absl::string_view> choices;
  for (const EnumName<Enum>& name : names) {
    if (name.text == text) return name.value;
    choices.push_back(name.text);
  }
  const absl::string_view last = choices.back();
  choices.pop_back();
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, "=", text, ": want ", absl::StrJoin(choices, ", "), " or ", last));
}

absl::StatusOr<v1::Degree> ParseDegree(absl::string_view text) {
  return ParseEnum("degree", text, kDegreeNames);
}

// ---- Command results ---------------------------------------------------

std::string DescribeAppend(absl::string_view event_type, const v1::AppendResult& result) {
  const std::string where =
      absl::StrCat("(stream ", result.stream_id(), " version ", result.stream_version(), ", event ",
                   result.event_id(), ")");
  if (result.replayed()) {
    return absl::StrCat("already recorded (replayed): position ", result.global_position(), " ",
                        where);
  }
  return absl::StrCat("appended ", event_type, " at position ", result.global_position(), " ",
                      where);
}

int PrintAppend(absl::string_view event_type, const absl::StatusOr<v1::AppendResult>& result) {
  if (!result.ok()) return ReportFailure(result.status());
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(*result, /*multiline=*/true);
  } else {
    std::cout << DescribeAppend(event_type, *result) << "\n";
  }
  return kExitOk;
}

// ---- Subcommands ---------------------------------------------------------

using Args = std::vector<std::string>;

// Each returns the exit code, or a UsageError when nothing was sent.
using Outcome = std::variant<int, UsageError>;

UsageError Usage(const absl::Status& status) { return UsageError{std::string(status.message())}; }

Outcome NoArgs(const Args& args) {
  if (!args.empty()) return UsageError{absl::StrCat("unexpected argument ", args.front())};
  return kExitOk;
}

Outcome EstablishProgram(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::EstablishProgramRequest request;
  const std::string file = absl::GetFlag(FLAGS_file);
  if (!file.empty()) {
    if (absl::Status s = ReadTextProto(file, &request); !s.ok()) return Usage(s);
  } else {
    v1::ProgramEstablished& program = *request.mutable_program();
    program.set_program_id(absl::GetFlag(FLAGS_program));
    program.set_name_ko(absl::GetFlag(FLAGS_name_ko));
    program.set_name_en(absl::GetFlag(FLAGS_name_en));
    program.set_ministry(absl::GetFlag(FLAGS_ministry));
    program.set_managing_agency(absl::GetFlag(FLAGS_managing_agency));
    if (absl::Status s = RequireFlags({{"program", program.program_id()},
                                       {"name_ko", program.name_ko()},
                                       {"ministry", program.ministry()},
                                       {"managing_agency", program.managing_agency()}});
        !s.ok()) {
      return Usage(s);
    }
    v1::ProgramRules& rules = *program.mutable_rules();
    rules.set_first_year(absl::GetFlag(FLAGS_first_year));
    rules.set_last_year(absl::GetFlag(FLAGS_last_year));
    rules.set_total_budget_krw(absl::GetFlag(FLAGS_total_budget_krw));
    rules.set_consortium_limit_krw(absl::GetFlag(FLAGS_consortium_limit_krw));
    rules.set_consortium_annual_limit_krw(absl::GetFlag(FLAGS_annual_limit_krw));
    rules.set_consortium_term_years(absl::GetFlag(FLAGS_term_years));
    rules.set_min_midsized_enterprises(absl::GetFlag(FLAGS_min_midsized_enterprises));
    for (const std::string& code : absl::GetFlag(FLAGS_excluded_regions)) {
      rules.add_excluded_region_codes(code);
    }
    rules.set_hiring_target(absl::GetFlag(FLAGS_hiring_target));
  }
  if (absl::Status s = FillMeta(request.mutable_meta()); !s.ok()) return Usage(s);
  v1::ProgramEstablished& program = *request.mutable_program();
  if (absl::Status s = FillOccurredAt(program.has_occurred_at(), program.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("ProgramEstablished", client.EstablishProgram(request));
}

Outcome SelectConsortium(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::SelectConsortiumRequest request;
  if (absl::Status s = ReadTextProto(absl::GetFlag(FLAGS_file), &request); !s.ok()) {
    return Usage(s);
  }
  if (absl::Status s = FillMeta(request.mutable_meta()); !s.ok()) return Usage(s);
  v1::ConsortiumSelected& selection = *request.mutable_selection();
  if (absl::Status s = FillOccurredAt(selection.has_occurred_at(), selection.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("ConsortiumSelected", client.SelectConsortium(request));
}

Outcome DesignateLab(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::DesignateLabRequest request;
  v1::LabDesignated& designation = *request.mutable_designation();
  designation.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  designation.set_lab_id(absl::GetFlag(FLAGS_lab));
  designation.set_lab_name_ko(absl::GetFlag(FLAGS_lab_name));
  designation.set_university_participant_id(absl::GetFlag(FLAGS_university));
  if (absl::Status s = RequireFlags({{"consortium", designation.consortium_id()},
                                     {"lab", designation.lab_id()},
                                     {"lab_name", designation.lab_name_ko()},
                                     {"university", designation.university_participant_id()}});
      !s.ok()) {
    return Usage(s);
  }
  if (absl::Status s =
          FillMetaAndOccurredAt(request.mutable_meta(), designation.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("LabDesignated", client.DesignateLab(request));
}

Outcome DisburseFunds(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::DisburseFundsRequest request;
  v1::FundsDisbursed& disbursement = *request.mutable_disbursement();
  disbursement.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  disbursement.set_program_year(absl::GetFlag(FLAGS_year));
  disbursement.set_amount_krw(absl::GetFlag(FLAGS_amount_krw));
  disbursement.set_payment_reference(absl::GetFlag(FLAGS_reference));
  if (absl::Status s = RequireFlags({{"consortium", disbursement.consortium_id()},
                                     {"reference", disbursement.payment_reference()}});
      !s.ok()) {
    return Usage(s);
  }
  // Range checks are the server's (its rules know the program); zero means
  // the flag was not given.
  if (disbursement.program_year() == 0) return UsageError{"missing --year"};
  if (disbursement.amount_krw() == 0) return UsageError{"missing --amount_krw"};
  if (absl::Status s =
          FillMetaAndOccurredAt(request.mutable_meta(), disbursement.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("FundsDisbursed", client.DisburseFunds(request));
}

Outcome ReverseDisbursement(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::ReverseDisbursementRequest request;
  request.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  request.set_corrects_event_id(absl::GetFlag(FLAGS_event));
  request.set_reason(absl::GetFlag(FLAGS_reason));
  if (absl::Status s = RequireFlags({{"consortium", request.consortium_id()},
                                     {"event", request.corrects_event_id()},
                                     {"reason", request.reason()}});
      !s.ok()) {
    return Usage(s);
  }
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), request.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("DisbursementReversed", client.ReverseDisbursement(request));
}

Outcome RecordHire(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::RecordHireRequest request;
  v1::ResearcherHired& hire = *request.mutable_hire();
  hire.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  hire.set_researcher_id(absl::GetFlag(FLAGS_researcher));
  hire.set_lab_id(absl::GetFlag(FLAGS_lab));
  hire.set_enterprise_participant_id(absl::GetFlag(FLAGS_enterprise));
  const std::string degree_text = absl::GetFlag(FLAGS_degree);
  if (absl::Status s = RequireFlags({{"consortium", hire.consortium_id()},
                                     {"researcher", hire.researcher_id()},
                                     {"degree", degree_text},
                                     {"lab", hire.lab_id()},
                                     {"enterprise", hire.enterprise_participant_id()}});
      !s.ok()) {
    return Usage(s);
  }
  absl::StatusOr<v1::Degree> degree = ParseDegree(degree_text);
  if (!degree.ok()) return Usage(degree.status());
  hire.set_degree(*degree);
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), hire.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("ResearcherHired", client.RecordHire(request));
}

Outcome OpenSelectionRound(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::OpenSelectionRoundRequest request;
  v1::SelectionRoundOpened& round = *request.mutable_round();
  round.set_program_id(absl::GetFlag(FLAGS_program));
  round.set_round_year(absl::GetFlag(FLAGS_year));
  round.set_slots(absl::GetFlag(FLAGS_slots));
  if (absl::Status s = RequireFlags({{"program", round.program_id()}}); !s.ok()) return Usage(s);
  if (round.round_year() == 0) return UsageError{"missing --year"};
  if (round.slots() == 0) return UsageError{"missing --slots"};
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), round.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("SelectionRoundOpened", client.OpenSelectionRound(request));
}

Outcome SignAgreement(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::SignAgreementRequest request;
  v1::AgreementSigned& agreement = *request.mutable_agreement();
  agreement.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  agreement.set_program_year(absl::GetFlag(FLAGS_year));
  agreement.set_grant_krw(absl::GetFlag(FLAGS_grant_krw));
  agreement.set_agreement_reference(absl::GetFlag(FLAGS_reference));
  if (absl::Status s = RequireFlags({{"consortium", agreement.consortium_id()}}); !s.ok()) {
    return Usage(s);
  }
  if (agreement.program_year() == 0) return UsageError{"missing --year"};
  if (agreement.grant_krw() == 0) return UsageError{"missing --grant_krw"};
  if (absl::Status s =
          FillMetaAndOccurredAt(request.mutable_meta(), agreement.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("AgreementSigned", client.SignAgreement(request));
}

Outcome AmendAgreement(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::AmendAgreementRequest request;
  request.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  request.set_program_year(absl::GetFlag(FLAGS_year));
  request.set_grant_krw(absl::GetFlag(FLAGS_grant_krw));
  request.set_reason(absl::GetFlag(FLAGS_reason));
  if (absl::Status s =
          RequireFlags({{"consortium", request.consortium_id()}, {"reason", request.reason()}});
      !s.ok()) {
    return Usage(s);
  }
  if (request.program_year() == 0) return UsageError{"missing --year"};
  if (request.grant_krw() == 0) return UsageError{"missing --grant_krw"};
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), request.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("AgreementAmended", client.AmendAgreement(request));
}

Outcome JoinConsortium(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::JoinConsortiumRequest request;
  v1::ParticipantJoined& joining = *request.mutable_joining();
  joining.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  v1::Participant& participant = *joining.mutable_participant();
  participant.set_participant_id(absl::GetFlag(FLAGS_participant));
  participant.set_name_ko(absl::GetFlag(FLAGS_name_ko));
  participant.set_name_en(absl::GetFlag(FLAGS_name_en));
  const std::string role_text = absl::GetFlag(FLAGS_role);
  if (absl::Status s = RequireFlags({{"consortium", joining.consortium_id()},
                                     {"participant", participant.participant_id()},
                                     {"name_ko", participant.name_ko()},
                                     {"role", role_text}});
      !s.ok()) {
    return Usage(s);
  }
  absl::StatusOr<v1::ParticipantRole> role = ParseEnum("role", role_text, kRoleFlagNames);
  if (!role.ok()) return Usage(role.status());
  participant.set_role(*role);
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), joining.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("ParticipantJoined", client.JoinConsortium(request));
}

Outcome WithdrawParticipant(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::WithdrawParticipantRequest request;
  request.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  request.set_participant_id(absl::GetFlag(FLAGS_participant));
  request.set_reason(absl::GetFlag(FLAGS_reason));
  if (absl::Status s = RequireFlags({{"consortium", request.consortium_id()},
                                     {"participant", request.participant_id()},
                                     {"reason", request.reason()}});
      !s.ok()) {
    return Usage(s);
  }
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), request.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("ParticipantWithdrew", client.WithdrawParticipant(request));
}

Outcome EnrolResearcher(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::EnrolResearcherRequest request;
  v1::ResearcherEnrolled& enrolment = *request.mutable_enrolment();
  enrolment.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  enrolment.set_researcher_id(absl::GetFlag(FLAGS_researcher));
  enrolment.set_lab_id(absl::GetFlag(FLAGS_lab));
  const std::string track_text = absl::GetFlag(FLAGS_track);
  if (absl::Status s = RequireFlags({{"consortium", enrolment.consortium_id()},
                                     {"researcher", enrolment.researcher_id()},
                                     {"lab", enrolment.lab_id()},
                                     {"track", track_text}});
      !s.ok()) {
    return Usage(s);
  }
  absl::StatusOr<v1::DegreeTrack> track = ParseEnum("track", track_text, kTrackNames);
  if (!track.ok()) return Usage(track.status());
  enrolment.set_track(*track);
  if (absl::Status s =
          FillMetaAndOccurredAt(request.mutable_meta(), enrolment.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("ResearcherEnrolled", client.EnrolResearcher(request));
}

Outcome RecordGraduation(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::RecordGraduationRequest request;
  request.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  request.set_researcher_id(absl::GetFlag(FLAGS_researcher));
  if (absl::Status s = RequireFlags(
          {{"consortium", request.consortium_id()}, {"researcher", request.researcher_id()}});
      !s.ok()) {
    return Usage(s);
  }
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), request.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("ResearcherGraduated", client.RecordGraduation(request));
}

Outcome RecordDeparture(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::RecordDepartureRequest request;
  request.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  request.set_researcher_id(absl::GetFlag(FLAGS_researcher));
  request.set_reason(absl::GetFlag(FLAGS_reason));
  if (absl::Status s = RequireFlags(
          {{"consortium", request.consortium_id()}, {"researcher", request.researcher_id()}});
      !s.ok()) {
    return Usage(s);
  }
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), request.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("ResearcherLeft", client.RecordDeparture(request));
}

Outcome RetractResearcherStep(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::RetractResearcherStepRequest request;
  request.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  request.set_corrects_event_id(absl::GetFlag(FLAGS_event));
  request.set_reason(absl::GetFlag(FLAGS_reason));
  if (absl::Status s = RequireFlags({{"consortium", request.consortium_id()},
                                     {"event", request.corrects_event_id()},
                                     {"reason", request.reason()}});
      !s.ok()) {
    return Usage(s);
  }
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), request.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("ResearcherStepRetracted", client.RetractResearcherStep(request));
}

Outcome RecordEvaluation(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::RecordEvaluationRequest request;
  v1::EvaluationRecorded& evaluation = *request.mutable_evaluation();
  evaluation.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  evaluation.set_program_year(absl::GetFlag(FLAGS_year));
  evaluation.set_score(absl::GetFlag(FLAGS_score));
  evaluation.set_summary(absl::GetFlag(FLAGS_summary));
  const std::string grade_text = absl::GetFlag(FLAGS_grade);
  if (absl::Status s =
          RequireFlags({{"consortium", evaluation.consortium_id()}, {"grade", grade_text}});
      !s.ok()) {
    return Usage(s);
  }
  if (evaluation.program_year() == 0) return UsageError{"missing --year"};
  absl::StatusOr<v1::EvaluationGrade> grade = ParseEnum("grade", grade_text, kGradeNames);
  if (!grade.ok()) return Usage(grade.status());
  evaluation.set_grade(*grade);
  if (absl::Status s =
          FillMetaAndOccurredAt(request.mutable_meta(), evaluation.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("EvaluationRecorded", client.RecordEvaluation(request));
}

Outcome CorrectEvaluation(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::CorrectEvaluationRequest request;
  request.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  request.set_corrects_event_id(absl::GetFlag(FLAGS_event));
  request.set_score(absl::GetFlag(FLAGS_score));
  request.set_reason(absl::GetFlag(FLAGS_reason));
  const std::string grade_text = absl::GetFlag(FLAGS_grade);
  if (absl::Status s = RequireFlags({{"consortium", request.consortium_id()},
                                     {"event", request.corrects_event_id()},
                                     {"grade", grade_text},
                                     {"reason", request.reason()}});
      !s.ok()) {
    return Usage(s);
  }
  absl::StatusOr<v1::EvaluationGrade> grade = ParseEnum("grade", grade_text, kGradeNames);
  if (!grade.ok()) return Usage(grade.status());
  request.set_grade(*grade);
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), request.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend("EvaluationCorrected", client.CorrectEvaluation(request));
}

// One of the four state changes: they share a request and differ in the RPC
// and the event it records.
using ChangeStateCall =
    absl::StatusOr<v1::AppendResult> (AllianceClient::*)(const v1::ChangeConsortiumStateRequest&);

Outcome ChangeConsortiumState(AllianceClient& client, const Args& args, ChangeStateCall call,
                              absl::string_view event_type, bool reason_required) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::ChangeConsortiumStateRequest request;
  request.set_consortium_id(absl::GetFlag(FLAGS_consortium));
  request.set_reason(absl::GetFlag(FLAGS_reason));
  if (absl::Status s = RequireFlags({{"consortium", request.consortium_id()}}); !s.ok()) {
    return Usage(s);
  }
  if (reason_required && request.reason().empty()) return UsageError{"missing --reason"};
  if (absl::Status s = FillMetaAndOccurredAt(request.mutable_meta(), request.mutable_occurred_at());
      !s.ok()) {
    return Usage(s);
  }
  return PrintAppend(event_type, (client.*call)(request));
}

Outcome SuspendConsortium(AllianceClient& client, const Args& args) {
  return ChangeConsortiumState(client, args, &AllianceClient::SuspendConsortium,
                               "ConsortiumSuspended", /*reason_required=*/true);
}

Outcome ResumeConsortium(AllianceClient& client, const Args& args) {
  return ChangeConsortiumState(client, args, &AllianceClient::ResumeConsortium, "ConsortiumResumed",
                               /*reason_required=*/true);
}

Outcome TerminateConsortium(AllianceClient& client, const Args& args) {
  return ChangeConsortiumState(client, args, &AllianceClient::TerminateConsortium,
                               "ConsortiumTerminated", /*reason_required=*/true);
}

Outcome CompleteConsortium(AllianceClient& client, const Args& args) {
  return ChangeConsortiumState(client, args, &AllianceClient::CompleteConsortium,
                               "ConsortiumCompleted", /*reason_required=*/false);
}

// ---- seed ------------------------------------------------------------

// What one seed command is called in the output, and the event it records.
struct SeedLabel {
  std::string text;
  absl::string_view event_type;
  const v1::CommandMeta* meta;
};

SeedLabel LabelOf(const seed::SeedCommand& command) {
  using C = seed::SeedCommand;
  switch (command.command_case()) {
    case C::kEstablishProgram: {
      const auto& c = command.establish_program();
      return {absl::StrCat("establish-program ", c.program().program_id()), "ProgramEstablished",
              &c.meta()};
    }
    case C::kOpenSelectionRound: {
      const auto& c = command.open_selection_round();
      return {absl::StrCat("open-round ", c.round().program_id(), " ", c.round().round_year(), " (",
                           c.round().slots(), " slots)"),
              "SelectionRoundOpened", &c.meta()};
    }
    case C::kSelectConsortium: {
      const auto& c = command.select_consortium();
      return {absl::StrCat("select ", c.selection().consortium_id()), "ConsortiumSelected",
              &c.meta()};
    }
    case C::kDesignateLab: {
      const auto& c = command.designate_lab();
      return {absl::StrCat("designate-lab ", c.designation().consortium_id(), " ",
                           c.designation().lab_id()),
              "LabDesignated", &c.meta()};
    }
    case C::kSignAgreement: {
      const auto& c = command.sign_agreement();
      return {absl::StrCat("sign-agreement ", c.agreement().consortium_id(), " ",
                           c.agreement().program_year()),
              "AgreementSigned", &c.meta()};
    }
    case C::kAmendAgreement: {
      const auto& c = command.amend_agreement();
      return {absl::StrCat("amend-agreement ", c.consortium_id(), " ", c.program_year()),
              "AgreementAmended", &c.meta()};
    }
    case C::kDisburseFunds: {
      const auto& c = command.disburse_funds();
      return {
          absl::StrCat("disburse ", c.disbursement().consortium_id(), " ",
                       c.disbursement().program_year(), " ", c.disbursement().payment_reference()),
          "FundsDisbursed", &c.meta()};
    }
    case C::kReverseDisbursement: {
      const auto& c = command.reverse_disbursement();
      return {absl::StrCat("reverse ", c.consortium_id(), " ", c.corrects_event_id()),
              "DisbursementReversed", &c.meta()};
    }
    case C::kJoinConsortium: {
      const auto& c = command.join_consortium();
      return {absl::StrCat("join ", c.joining().consortium_id(), " ",
                           c.joining().participant().participant_id()),
              "ParticipantJoined", &c.meta()};
    }
    case C::kWithdrawParticipant: {
      const auto& c = command.withdraw_participant();
      return {absl::StrCat("withdraw ", c.consortium_id(), " ", c.participant_id()),
              "ParticipantWithdrew", &c.meta()};
    }
    case C::kEnrolResearcher: {
      const auto& c = command.enrol_researcher();
      return {
          absl::StrCat("enrol ", c.enrolment().consortium_id(), " ", c.enrolment().researcher_id()),
          "ResearcherEnrolled", &c.meta()};
    }
    case C::kRecordGraduation: {
      const auto& c = command.record_graduation();
      return {absl::StrCat("graduate ", c.consortium_id(), " ", c.researcher_id()),
              "ResearcherGraduated", &c.meta()};
    }
    case C::kRecordHire: {
      const auto& c = command.record_hire();
      return {absl::StrCat("hire ", c.hire().consortium_id(), " ", c.hire().researcher_id()),
              "ResearcherHired", &c.meta()};
    }
    case C::kRecordDeparture: {
      const auto& c = command.record_departure();
      return {absl::StrCat("depart ", c.consortium_id(), " ", c.researcher_id()), "ResearcherLeft",
              &c.meta()};
    }
    case C::kRetractResearcherStep: {
      const auto& c = command.retract_researcher_step();
      return {absl::StrCat("retract-step ", c.consortium_id(), " ", c.corrects_event_id()),
              "ResearcherStepRetracted", &c.meta()};
    }
    case C::kRecordEvaluation: {
      const auto& c = command.record_evaluation();
      return {absl::StrCat("evaluate ", c.evaluation().consortium_id(), " ",
                           c.evaluation().program_year()),
              "EvaluationRecorded", &c.meta()};
    }
    case C::kCorrectEvaluation: {
      const auto& c = command.correct_evaluation();
      return {absl::StrCat("correct-evaluation ", c.consortium_id(), " ", c.corrects_event_id()),
              "EvaluationCorrected", &c.meta()};
    }
    case C::kSuspendConsortium: {
      const auto& c = command.suspend_consortium();
      return {absl::StrCat("suspend ", c.consortium_id()), "ConsortiumSuspended", &c.meta()};
    }
    case C::kResumeConsortium: {
      const auto& c = command.resume_consortium();
      return {absl::StrCat("resume ", c.consortium_id()), "ConsortiumResumed", &c.meta()};
    }
    case C::kTerminateConsortium: {
      const auto& c = command.terminate_consortium();
      return {absl::StrCat("terminate ", c.consortium_id()), "ConsortiumTerminated", &c.meta()};
    }
    case C::kCompleteConsortium: {
      const auto& c = command.complete_consortium();
      return {absl::StrCat("complete ", c.consortium_id()), "ConsortiumCompleted", &c.meta()};
    }
    case C::COMMAND_NOT_SET:
      break;
  }
  return {"(empty command)", "", nullptr};
}

absl::StatusOr<v1::AppendResult> SendSeedCommand(AllianceClient& client,
                                                 const seed::SeedCommand& command) {
  // The field set in the oneof names the RPC: establish_program is
  // EstablishProgram (seed.proto keeps the two in step).
  static const google::protobuf::OneofDescriptor* const kind =
      seed::SeedCommand::descriptor()->FindOneofByName("command");
  const google::protobuf::FieldDescriptor* field =
      command.GetReflection()->GetOneofFieldDescriptor(command, kind);
  if (field == nullptr) return absl::InvalidArgumentError("empty seed command");
  const std::string& name = field->name();
  std::string method;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '_') continue;
    method.push_back(i == 0 || name[i - 1] == '_' ? absl::ascii_toupper(name[i]) : name[i]);
  }
  return client.Send(method, command.GetReflection()->GetMessage(command, field));
}

// Sends the seed file's commands in order, as written: each has a fixed
// event id and occurred_at, so a second run records nothing new. Stops at
// the first refusal.
Outcome Seed(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  std::string path = absl::GetFlag(FLAGS_file);
  if (path.empty()) path = ALLIANCE_SEED_FILE;
  seed::SeedFile seed_file;
  if (absl::Status s = ReadTextProto(path, &seed_file); !s.ok()) return Usage(s);
  // Check the whole file before sending anything: a fresh id per run would
  // make seeding record everything again.
  for (int i = 0; i < seed_file.commands_size(); ++i) {
    const SeedLabel label = LabelOf(seed_file.commands(i));
    if (label.meta == nullptr || label.meta->event_id().empty()) {
      return UsageError{absl::StrCat(path, ": command ", i + 1, " (", label.text,
                                     ") has no meta.event_id; seed commands need fixed ids")};
    }
  }
  const bool json = absl::GetFlag(FLAGS_json);
  int appended = 0;
  int replayed = 0;
  const int total = seed_file.commands_size();
  for (int i = 0; i < total; ++i) {
    const seed::SeedCommand& command = seed_file.commands(i);
    const SeedLabel label = LabelOf(command);
    absl::StatusOr<v1::AppendResult> result = SendSeedCommand(client, command);
    if (!result.ok()) {
      std::cout << "[" << i + 1 << "/" << total << "] " << label.text << ": refused\n";
      return ReportFailure(result.status());
    }
    (result->replayed() ? replayed : appended) += 1;
    if (json) {
      std::cout << ToJson(*result, /*multiline=*/false);
    } else {
      std::cout << "[" << i + 1 << "/" << total << "] " << label.text << ": "
                << DescribeAppend(label.event_type, *result) << "\n";
    }
  }
  if (!json) {
    std::cout << "seeded " << total << " commands from " << path << ": " << appended
              << " appended, " << replayed << " already recorded\n";
  }
  return kExitOk;
}

// ---- Queries -----------------------------------------------------------

Outcome ShowConsortium(AllianceClient& client, const Args& args) {
  if (args.size() != 1) return UsageError{"status takes one argument: <consortium_id>"};
  v1::GetConsortiumRequest request;
  request.set_consortium_id(args[0]);
  absl::StatusOr<v1::ConsortiumStatus> status = client.GetConsortium(request);
  if (!status.ok()) return ReportFailure(status.status());
  std::cout << (absl::GetFlag(FLAGS_json) ? ToJson(*status, true) : RenderConsortium(*status));
  return kExitOk;
}

Outcome ListConsortia(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::ListConsortiaRequest request;
  request.set_program_id(absl::GetFlag(FLAGS_program));
  request.set_region_code(absl::GetFlag(FLAGS_region));
  request.set_field(absl::GetFlag(FLAGS_field));
  request.set_participant_id(absl::GetFlag(FLAGS_participant));
  if (const std::string state = absl::GetFlag(FLAGS_state); !state.empty()) {
    absl::StatusOr<v1::ConsortiumState> parsed = ParseEnum("state", state, kStateNames);
    if (!parsed.ok()) return Usage(parsed.status());
    request.set_state(*parsed);
  }
  request.set_page_size(absl::GetFlag(FLAGS_page_size));
  request.set_page_token(absl::GetFlag(FLAGS_page_token));
  // Asking for a page means wanting that page; otherwise print them all.
  const bool follow = request.page_size() == 0 && request.page_token().empty();
  if (follow) request.set_page_size(kListPageSizeMax);

  v1::ListConsortiaResponse all;
  for (int page = 0;; ++page) {
    if (page == kPagesFollowedMax) {
      return ReportFailure(absl::OutOfRangeError(
          absl::StrCat("stopped after ", kPagesFollowedMax, " pages; use --page_token")));
    }
    absl::StatusOr<v1::ListConsortiaResponse> response = client.ListConsortia(request);
    if (!response.ok()) return ReportFailure(response.status());
    for (v1::ConsortiumStatus& c : *response->mutable_consortia()) {
      *all.add_consortia() = std::move(c);
    }
    all.set_next_page_token(response->next_page_token());
    if (!follow || response->next_page_token().empty()) break;
    if (response->next_page_token() == request.page_token()) {
      return ReportFailure(absl::InternalError("server repeated a page token"));
    }
    request.set_page_token(response->next_page_token());
  }

  std::cout << (absl::GetFlag(FLAGS_json) ? ToJson(all, true) : RenderConsortiumList(all));
  return kExitOk;
}

Outcome ShowProgram(AllianceClient& client, const Args& args) {
  if (args.size() != 1) return UsageError{"program takes one argument: <program_id>"};
  v1::GetProgramSummaryRequest request;
  request.set_program_id(args[0]);
  absl::StatusOr<v1::ProgramSummary> summary = client.GetProgramSummary(request);
  if (!summary.ok()) return ReportFailure(summary.status());
  std::cout << (absl::GetFlag(FLAGS_json) ? ToJson(*summary, true) : RenderProgram(*summary));
  return kExitOk;
}

Outcome ShowParticipant(AllianceClient& client, const Args& args) {
  if (args.size() != 1) {
    return UsageError{"participant takes one argument: <business_registration_number>"};
  }
  v1::GetParticipantRequest request;
  request.set_participant_id(args[0]);
  absl::StatusOr<v1::ParticipantStatus> status = client.GetParticipant(request);
  if (!status.ok()) return ReportFailure(status.status());
  std::cout << (absl::GetFlag(FLAGS_json) ? ToJson(*status, true) : RenderParticipant(*status));
  return kExitOk;
}

Outcome ReadEvents(AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  v1::ReadEventsRequest request;
  request.set_stream_id(absl::GetFlag(FLAGS_stream));
  request.set_from(absl::GetFlag(FLAGS_from));
  request.set_max_count(absl::GetFlag(FLAGS_max));
  const bool follow = request.max_count() == 0;
  if (follow) request.set_max_count(kEventsPageMax);

  v1::ReadEventsResponse all;
  for (int page = 0;; ++page) {
    if (page == kPagesFollowedMax) {
      return ReportFailure(absl::OutOfRangeError(
          absl::StrCat("stopped after ", kPagesFollowedMax, " pages; use --from and --max")));
    }
    absl::StatusOr<v1::ReadEventsResponse> response = client.ReadEvents(request);
    if (!response.ok()) return ReportFailure(response.status());
    for (v1::EventEnvelope& e : *response->mutable_events()) *all.add_events() = std::move(e);
    all.set_next_from(response->next_from());
    if (!follow || response->next_from() == 0) break;
    if (response->next_from() <= request.from()) {
      return ReportFailure(absl::InternalError("server's next_from did not advance"));
    }
    request.set_from(response->next_from());
  }

  std::cout << (absl::GetFlag(FLAGS_json) ? ToJson(all, true) : RenderEvents(all));
  return kExitOk;
}

// ---- Dispatch ----------------------------------------------------------

struct Subcommand {
  absl::string_view name;
  Outcome (*run)(AllianceClient& client, const Args& args);
};

constexpr Subcommand kSubcommands[] = {
    {"establish-program", EstablishProgram},
    {"open-round", OpenSelectionRound},
    {"select", SelectConsortium},
    {"designate-lab", DesignateLab},
    {"sign-agreement", SignAgreement},
    {"amend-agreement", AmendAgreement},
    {"disburse", DisburseFunds},
    {"reverse", ReverseDisbursement},
    {"join", JoinConsortium},
    {"withdraw", WithdrawParticipant},
    {"enrol", EnrolResearcher},
    {"graduate", RecordGraduation},
    {"hire", RecordHire},
    {"depart", RecordDeparture},
    {"retract-step", RetractResearcherStep},
    {"evaluate", RecordEvaluation},
    {"correct-evaluation", CorrectEvaluation},
    {"suspend", SuspendConsortium},
    {"resume", ResumeConsortium},
    {"terminate", TerminateConsortium},
    {"complete", CompleteConsortium},
    {"seed", Seed},
    {"status", ShowConsortium},
    {"list", ListConsortia},
    {"program", ShowProgram},
    {"participant", ShowParticipant},
    {"events", ReadEvents},
};

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> positionals = absl::ParseCommandLine(argc, argv);
  // positionals[0] is the program name.
  if (positionals.size() < 2) return ReportUsageError("missing subcommand");
  const absl::string_view name = positionals[1];
  const Args args(positionals.begin() + 2, positionals.end());

  const int64_t deadline_ms = absl::GetFlag(FLAGS_deadline_ms);
  if (deadline_ms <= 0 || deadline_ms > kDeadlineMsMax) {
    return ReportUsageError(absl::StrCat("--deadline_ms must be in 1..", kDeadlineMsMax));
  }
  for (const Subcommand& subcommand : kSubcommands) {
    if (subcommand.name != name) continue;
    // Creating a channel does not connect: a usage error below still sends
    // nothing.
    AllianceClient client(
        grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials()),
        {.agency = absl::GetFlag(FLAGS_agency),
         .principal = absl::GetFlag(FLAGS_principal),
         .deadline = absl::Milliseconds(deadline_ms)});
    Outcome outcome = subcommand.run(client, args);
    if (const auto* usage = std::get_if<UsageError>(&outcome)) {
      return ReportUsageError(absl::StrCat(name, ": ", usage->message));
    }
    return std::get<int>(outcome);
  }
  return ReportUsageError(absl::StrCat("unknown subcommand ", name));
}

}  // namespace
}  // namespace alliance::client

int main(int argc, char** argv) { return alliance::client::Main(argc, argv); }
