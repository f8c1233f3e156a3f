// alliancectl: the command-line tool for the Alliance case ledger. It records
// commands (establish a program, open a selection round, select a
// consortium, designate a lab, sign and amend agreements, disburse, reverse,
// join and withdraw members, a researcher's steps from enrolment to hire,
// evaluations, and a consortium's state changes), reads the status read
// models (consortium, list, program, participant) and the event log, loads
// the seed data set, and audits the log (`audit <verb>`: signed tree heads
// and Merkle proofs checked here, clients/audit_client.h). Run
// `alliancectl --help` for the flags.
//
// Output: tables for people by default, the response as proto3 JSON with
// --json. Errors go to stderr as "<CODE> [<REASON>]: <message> {<metadata>}".
// Exit codes: 0 success, 1 the server refused or could not be reached (or,
// for `audit key`, its key is not the pinned one; for `audit verify`, the log
// did not verify), 2 usage error (bad flags or arguments; nothing was sent),
// 3 the server failed a check of `audit head`, `prove` or `consistency`: a
// bad signature, a head smaller than the one accepted, a proof that does
// not verify (its history does not extend the one this client saw); or a
// `verify` result that contradicts the accepted head.
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/v1/access.pb.h"
#include "alliance/v1/commands.pb.h"
#include "alliance/v1/queries.pb.h"
#include "clients/alliance_client.h"
#include "clients/audit_client.h"
#include "clients/audit_export.h"
#include "clients/channel.h"
#include "clients/format.h"
#include "clients/history.h"
#include "clients/views.h"
#include "proto/errors/refusal.h"
#include "seed.pb.h"
#include "services/domain/authority.h"
#include "services/domain/commands.h"

namespace {}  // namespace

// Connection and output.
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "Address of the ledger server (host:port).");
ABSL_FLAG(bool, json, false,
          "Print the response as proto3 JSON (lowerCamelCase names, every field shown, "
          "int64 as strings) instead of tables.");
ABSL_FLAG(int64_t, deadline_ms, 5000, "Deadline of each call in milliseconds.");
ABSL_FLAG(std::string, identity, "kiat",
          "Who calls: the client certificate <pki_dir>/<identity>.crt and its key (the server "
          "records and authorises this identity).");
ABSL_FLAG(std::string, pki_dir, "var/pki",
          "Folder of the CA certificate (ca.crt) and the identities' certificates and keys "
          "(deploy/pki.sh lays one out).");
ABSL_FLAG(std::string, tls_ca, "",
          "CA certificate (PEM) the server's is checked against; "
          "default: <pki_dir>/ca.crt.");
ABSL_FLAG(std::string, tls_cert, "", "Client certificate (PEM); default: that of --identity.");
ABSL_FLAG(std::string, tls_key, "", "Client key (PEM); default: that of --identity.");
ABSL_FLAG(bool, plaintext, false,
          "Connect without TLS (a server started with --plaintext on loopback).");
ABSL_FLAG(std::string, identities, "var/identities.textpb",
          "The identity registry (seed: who records each command).");

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

// audit.
ABSL_FLAG(std::string, pin_key, "",
          "PEM file of the server's pinned tree-head key. audit key: pin the server's key "
          "there when the file is missing, else compare with it (not given: only print the "
          "key). Other audit verbs: verify heads with it (default: "
          "~/.alliance/tree-head-key.pem).");
ABSL_FLAG(std::string, head_file, std::string(alliance::client::kDefaultHeadFilePath),
          "Text-format file of the last signed tree head audit accepted; every new head must "
          "be proved to extend it, and replaces it only then.");
ABSL_FLAG(uint64_t, first, 0,
          "Tree size to prove consistency from (audit consistency); default: the accepted "
          "head's.");
ABSL_FLAG(std::string, first_root, "",
          "Root (64 hex digits) of the tree of --first events, from a head you trust (audit "
          "consistency; not needed when --first is the accepted head's size).");
ABSL_FLAG(int64_t, verify_deadline_ms,
          absl::ToInt64Milliseconds(alliance::client::kDefaultVerifyDeadline),
          "Deadline of audit verify, which reads the whole log on the server, in milliseconds.");
ABSL_FLAG(std::string, out, "",
          "File audit export writes (NDJSON, one alliance.v1.ExportRecord a line); default: "
          "standard output.");
ABSL_FLAG(std::string, data_dir, "",
          "Folder of the empty store audit import writes (created when missing).");

namespace alliance::client {
namespace {

namespace pb = google::protobuf;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// A check of what the server sent failed (clients/audit_client.h,
// IsUntrusted): distinct from 1 so that a monitoring job tells a server
// that lies from one that is down.
constexpr int kExitUntrusted = 3;

// A deadline longer than this is a typo, not a wish: ten minutes.
constexpr int64_t kDeadlineMsMax = 600'000;
// audit verify reads the whole log: up to a day.
constexpr int64_t kVerifyDeadlineMsMax = 86'400'000;
// Input files are hand-written text: 16 MiB is far beyond any real one.
constexpr std::streamsize kInputFileBytesMax = 16 << 20;
// The server's page caps (queries.proto): request the most when following.
constexpr int32_t kListPageSizeMax = 100;
constexpr int32_t kEventsPageMax = 1000;
// Pages followed before giving up on a server that never says "last page":
// 10,000 pages of 1,000 events is ten million events.
constexpr int kPagesFollowedMax = 10'000;

// The usage text: the recording commands' lines come from their rows
// (CommandUsage()).
constexpr char kUsageHead[] =
    "alliancectl [flags] <subcommand> [args]\n"
    "\n"
    "Commands (each takes --event_id, --expected_version, --correlation_id, and\n"
    "--occurred_at unless the file gives it, and --file=req.textpb instead of its\n"
    "flags; participants are 10-digit business registration numbers):\n";
constexpr char kUsageTail[] =
    "  seed               [--file --identities] (default: the 2023 data set, each command\n"
    "                      sent as the registered identity of the role that records it)\n"
    "Queries:\n"
    "  status <consortium_id>\n"
    "  list               [--program --region --field --participant --state --page_size\n"
    "                      --page_token]\n"
    "  program <program_id>\n"
    "  participant <business_registration_number>\n"
    "  events             [--stream --from --max]\n"
    "Audit (every signature and proof checked here; --pin_key --head_file):\n"
    "  audit key          [--pin_key] (pin the server's tree-head key, or compare with it)\n"
    "  audit head         verify the signed tree head and that it extends the accepted one\n"
    "  audit prove <global_position>\n"
    "  audit consistency  [--first --first_root]\n"
    "  audit verify       [--verify_deadline_ms]\n"
    "  audit history <consortium_id> (its events by date, corrections beside them)\n"
    "  audit export       [--out] (the whole history, NDJSON, ending with the signed head)\n"
    "  audit import <export file> --data_dir (into an empty store, checked first)\n"
    "\n"
    "Global flags: --server --identity --pki_dir --tls_ca --tls_cert --tls_key --deadline_ms\n"
    "--json. Try --help.\n"
    "Exit codes: 0 ok, 1 refused or unreachable, 2 usage, 3 an audit check failed.";

// A subcommand's flags or arguments are wrong; nothing was sent.
struct UsageError {
  std::string message;
};

int ReportUsageError(absl::string_view message) {
  std::cerr << "alliancectl: " << message << "\n\n" << absl::ProgramUsageMessage() << "\n";
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

// Sets occurred_at from --occurred_at (or now).
absl::Status FillOccurredAt(pb::Timestamp* occurred_at) {
  absl::StatusOr<pb::Timestamp> parsed = OccurredAtFromFlag();
  if (!parsed.ok()) return parsed.status();
  *occurred_at = *parsed;
  return absl::OkStatus();
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

// ---- Recording commands: the command line of each row of the command table

// One flag that fills one field of the request, named by its path from the
// request ("disbursement.amount_krw"). A string flag left empty, or a number
// flag left 0, was not given.
struct FlagField {
  absl::string_view flag;
  absl::string_view field_path;
  bool required = true;
};

// How one command of the command table (services/domain/commands.h) reads
// its request from the command line. Everything else about it (its request
// type, its meta, its stream) comes from its row there. Every command also
// takes --file=<request.textpb> instead of its flags.
struct CommandLine {
  absl::string_view subcommand;  // "disburse"
  absl::string_view rpc;         // "DisburseFunds": the row of the command table
  absl::string_view event_type;  // what it records, for the output
  std::vector<FlagField> flags;  // none: --file only
};

const std::vector<CommandLine>& CommandLines() {
  static const std::vector<CommandLine>* const lines = new std::vector<CommandLine>{
      {"establish-program",
       "EstablishProgram",
       "ProgramEstablished",
       {{"program", "program.program_id"},
        {"name_ko", "program.name_ko"},
        {"name_en", "program.name_en", false},
        {"ministry", "program.ministry"},
        {"managing_agency", "program.managing_agency"},
        {"first_year", "program.rules.first_year", false},
        {"last_year", "program.rules.last_year", false},
        {"total_budget_krw", "program.rules.total_budget_krw", false},
        {"consortium_limit_krw", "program.rules.consortium_limit_krw", false},
        {"annual_limit_krw", "program.rules.consortium_annual_limit_krw", false},
        {"term_years", "program.rules.consortium_term_years", false},
        {"min_midsized_enterprises", "program.rules.min_midsized_enterprises", false},
        {"excluded_regions", "program.rules.excluded_region_codes", false},
        {"hiring_target", "program.rules.hiring_target", false}}},
      {"open-round",
       "OpenSelectionRound",
       "SelectionRoundOpened",
       {{"program", "round.program_id"}, {"year", "round.round_year"}, {"slots", "round.slots"}}},
      {"select", "SelectConsortium", "ConsortiumSelected", {}},
      {"designate-lab",
       "DesignateLab",
       "LabDesignated",
       {{"consortium", "designation.consortium_id"},
        {"lab", "designation.lab_id"},
        {"lab_name", "designation.lab_name_ko"},
        {"university", "designation.university_participant_id"}}},
      {"sign-agreement",
       "SignAgreement",
       "AgreementSigned",
       {{"consortium", "agreement.consortium_id"},
        {"year", "agreement.program_year"},
        {"grant_krw", "agreement.grant_krw"},
        {"reference", "agreement.agreement_reference", false}}},
      {"amend-agreement",
       "AmendAgreement",
       "AgreementAmended",
       {{"consortium", "consortium_id"},
        {"year", "program_year"},
        {"grant_krw", "grant_krw"},
        {"reason", "reason"}}},
      {"disburse",
       "DisburseFunds",
       "FundsDisbursed",
       {{"consortium", "disbursement.consortium_id"},
        {"year", "disbursement.program_year"},
        {"amount_krw", "disbursement.amount_krw"},
        {"reference", "disbursement.payment_reference"}}},
      {"disburse-batch", "DisburseFundsBatch", "FundsDisbursed", {}},
      {"reverse",
       "ReverseDisbursement",
       "DisbursementReversed",
       {{"consortium", "consortium_id"}, {"event", "corrects_event_id"}, {"reason", "reason"}}},
      {"join",
       "JoinConsortium",
       "ParticipantJoined",
       {{"consortium", "joining.consortium_id"},
        {"participant", "joining.participant.participant_id"},
        {"name_ko", "joining.participant.name_ko"},
        {"name_en", "joining.participant.name_en", false},
        {"role", "joining.participant.role"}}},
      {"withdraw",
       "WithdrawParticipant",
       "ParticipantWithdrew",
       {{"consortium", "consortium_id"}, {"participant", "participant_id"}, {"reason", "reason"}}},
      {"enrol",
       "EnrolResearcher",
       "ResearcherEnrolled",
       {{"consortium", "enrolment.consortium_id"},
        {"researcher", "enrolment.researcher_id"},
        {"lab", "enrolment.lab_id"},
        {"track", "enrolment.track"}}},
      {"graduate",
       "RecordGraduation",
       "ResearcherGraduated",
       {{"consortium", "consortium_id"}, {"researcher", "researcher_id"}}},
      {"hire",
       "RecordHire",
       "ResearcherHired",
       {{"consortium", "hire.consortium_id"},
        {"researcher", "hire.researcher_id"},
        {"degree", "hire.degree"},
        {"lab", "hire.lab_id"},
        {"enterprise", "hire.enterprise_participant_id"}}},
      {"depart",
       "RecordDeparture",
       "ResearcherLeft",
       {{"consortium", "consortium_id"},
        {"researcher", "researcher_id"},
        {"reason", "reason", false}}},
      {"retract-step",
       "RetractResearcherStep",
       "ResearcherStepRetracted",
       {{"consortium", "consortium_id"}, {"event", "corrects_event_id"}, {"reason", "reason"}}},
      {"evaluate",
       "RecordEvaluation",
       "EvaluationRecorded",
       {{"consortium", "evaluation.consortium_id"},
        {"year", "evaluation.program_year"},
        {"grade", "evaluation.grade"},
        {"score", "evaluation.score", false},
        {"summary", "evaluation.summary", false}}},
      {"correct-evaluation",
       "CorrectEvaluation",
       "EvaluationCorrected",
       {{"consortium", "consortium_id"},
        {"event", "corrects_event_id"},
        {"grade", "grade"},
        {"score", "score", false},
        {"reason", "reason"}}},
      {"suspend",
       "SuspendConsortium",
       "ConsortiumSuspended",
       {{"consortium", "consortium_id"}, {"reason", "reason"}}},
      {"resume",
       "ResumeConsortium",
       "ConsortiumResumed",
       {{"consortium", "consortium_id"}, {"reason", "reason"}}},
      {"terminate",
       "TerminateConsortium",
       "ConsortiumTerminated",
       {{"consortium", "consortium_id"}, {"reason", "reason"}}},
      {"complete",
       "CompleteConsortium",
       "ConsortiumCompleted",
       {{"consortium", "consortium_id"}, {"reason", "reason", false}}},
  };
  return *lines;
}

const CommandLine* FindCommandLine(absl::string_view rpc) {
  for (const CommandLine& line : CommandLines()) {
    if (line.rpc == rpc) return &line;
  }
  return nullptr;
}

// The enum value named `text`, by the names a person types (clients/views.h,
// and kRoleFlagNames for roles).
absl::StatusOr<int> ParseEnumFlag(absl::string_view flag, absl::string_view text,
                                  const pb::EnumDescriptor* type) {
  auto as_int = [](auto parsed) -> absl::StatusOr<int> {
    if (!parsed.ok()) return parsed.status();
    return static_cast<int>(*parsed);
  };
  if (type == v1::Degree_descriptor()) return as_int(ParseEnum(flag, text, kDegreeNames));
  if (type == v1::DegreeTrack_descriptor()) return as_int(ParseEnum(flag, text, kTrackNames));
  if (type == v1::EvaluationGrade_descriptor()) return as_int(ParseEnum(flag, text, kGradeNames));
  if (type == v1::ParticipantRole_descriptor()) {
    return as_int(ParseEnum(flag, text, kRoleFlagNames));
  }
  return absl::InternalError(absl::StrCat("--", flag, ": no names for ", type->full_name()));
}

// The message holding the last part of `path` in `request` (created on the
// way) and that part's field.
std::pair<pb::Message*, const pb::FieldDescriptor*> ResolveField(pb::Message* request,
                                                                 absl::string_view path) {
  pb::Message* message = request;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const pb::FieldDescriptor* field =
        message->GetDescriptor()->FindFieldByName(std::string(parts[i]));
    assert(field != nullptr && field->message_type() != nullptr);
    message = message->GetReflection()->MutableMessage(message, field);
  }
  const pb::FieldDescriptor* field =
      message->GetDescriptor()->FindFieldByName(std::string(parts.back()));
  assert(field != nullptr);
  return {message, field};
}

// Sets the field at `binding.field_path` from the flag's value; a flag not
// given leaves it unset, or is reported missing when required.
absl::Status SetFromFlag(const FlagField& binding, pb::Message* request,
                         std::vector<absl::string_view>* missing) {
  const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(binding.flag);
  assert(flag != nullptr);
  const std::string value = flag->CurrentValue();
  auto [message, field] = ResolveField(request, binding.field_path);
  const pb::Reflection* reflection = message->GetReflection();
  if (value.empty() || (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING && value == "0")) {
    if (binding.required) missing->push_back(binding.flag);
    return absl::OkStatus();
  }
  const std::string bad = absl::StrCat("--", binding.flag, "=", value, ": not a number");
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      if (field->is_repeated()) {
        for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
          reflection->AddString(message, field, std::string(part));
        }
      } else {
        reflection->SetString(message, field, value);
      }
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      int32_t number = 0;
      if (!absl::SimpleAtoi(value, &number)) return absl::InvalidArgumentError(bad);
      reflection->SetInt32(message, field, number);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      int64_t number = 0;
      if (!absl::SimpleAtoi(value, &number)) return absl::InvalidArgumentError(bad);
      reflection->SetInt64(message, field, number);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      absl::StatusOr<int> number = ParseEnumFlag(binding.flag, value, field->enum_type());
      if (!number.ok()) return number.status();
      reflection->SetEnumValue(message, field, *number);
      return absl::OkStatus();
    }
    default:
      return absl::InternalError(absl::StrCat("--", binding.flag, ": unsupported field type"));
  }
}

// The request's occurred_at: its own, or its event payload's; nullptr for
// a request that has none (a payment run's payments carry their own).
pb::Timestamp* FindOccurredAt(pb::Message* request) {
  const pb::Descriptor* type = request->GetDescriptor();
  const pb::Reflection* reflection = request->GetReflection();
  if (const pb::FieldDescriptor* own = type->FindFieldByName("occurred_at")) {
    return static_cast<pb::Timestamp*>(reflection->MutableMessage(request, own));
  }
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* field = type->field(i);
    if (field->is_repeated() || field->message_type() == nullptr || field->name() == "meta") {
      continue;
    }
    if (const pb::FieldDescriptor* nested = field->message_type()->FindFieldByName("occurred_at")) {
      pb::Message* payload = reflection->MutableMessage(request, field);
      return static_cast<pb::Timestamp*>(payload->GetReflection()->MutableMessage(payload, nested));
    }
  }
  return nullptr;
}

// Builds the request of `line` from --file or the flags, fills what is left
// of its meta and occurred_at from the flags, and sends it.
Outcome RecordCommand(const CommandLine& line, AllianceClient& client, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  const domain::CommandSpec* spec = domain::FindCommand(line.rpc);
  assert(spec != nullptr);
  std::unique_ptr<pb::Message> request(
      pb::MessageFactory::generated_factory()->GetPrototype(spec->request_type)->New());
  const std::string file = absl::GetFlag(FLAGS_file);
  bool occurred_at_given = false;
  if (!file.empty() || line.flags.empty()) {
    if (absl::Status s = ReadTextProto(file, request.get()); !s.ok()) return Usage(s);
    const pb::Timestamp* occurred_at = FindOccurredAt(request.get());
    occurred_at_given = occurred_at == nullptr || occurred_at->ByteSizeLong() > 0;
  } else {
    std::vector<absl::string_view> missing;
    for (const FlagField& binding : line.flags) {
      if (absl::Status s = SetFromFlag(binding, request.get(), &missing); !s.ok()) {
        return Usage(s);
      }
    }
    if (!missing.empty())
      return UsageError{absl::StrCat("missing --", absl::StrJoin(missing, ", --"))};
  }
  if (absl::Status s = FillMeta(spec->mutable_meta(request.get())); !s.ok()) return Usage(s);
  if (!occurred_at_given) {
    if (absl::Status s = FillOccurredAt(FindOccurredAt(request.get())); !s.ok()) return Usage(s);
  }
  return PrintAppend(line.event_type, client.Send(line.rpc, *request));
}

// "  disburse           --consortium --year --amount_krw --reference": the
// usage lines of the recording commands, from their rows.
std::string CommandUsage() {
  std::string usage;
  for (const CommandLine& line : CommandLines()) {
    std::vector<std::string> flags;
    for (const FlagField& binding : line.flags) {
      flags.push_back(binding.required ? absl::StrCat("--", binding.flag)
                                       : absl::StrCat("[--", binding.flag, "]"));
    }
    if (flags.empty()) flags.push_back(absl::StrCat("--file=req.textpb (a ", line.rpc, "Request)"));
    absl::StrAppend(&usage,
                    absl::StrFormat("  %-18s %s\n", line.subcommand, absl::StrJoin(flags, " ")));
  }
  return usage;
}

// ---- Connection ------------------------------------------------------

// The TLS files of `identity` (the flags' overrides first).
TlsFiles FilesOf(absl::string_view identity) {
  TlsFiles files = IdentityFiles(absl::GetFlag(FLAGS_pki_dir), identity);
  if (!absl::GetFlag(FLAGS_tls_ca).empty()) files.ca_path = absl::GetFlag(FLAGS_tls_ca);
  if (!absl::GetFlag(FLAGS_tls_cert).empty())
    files.certificate_path = absl::GetFlag(FLAGS_tls_cert);
  if (!absl::GetFlag(FLAGS_tls_key).empty()) files.key_path = absl::GetFlag(FLAGS_tls_key);
  files.plaintext = absl::GetFlag(FLAGS_plaintext);
  return files;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelAs(absl::string_view identity) {
  return OpenChannel(absl::GetFlag(FLAGS_server), FilesOf(identity));
}

absl::Duration Deadline() { return absl::Milliseconds(absl::GetFlag(FLAGS_deadline_ms)); }

// ---- seed ------------------------------------------------------------

// One seed command: the RPC its oneof field names (establish_program is
// EstablishProgram: seed.proto keeps the two in step), and its request.
struct SeedEntry {
  std::string rpc;
  const pb::Message* request = nullptr;
};

SeedEntry EntryOf(const seed::SeedCommand& command) {
  static const pb::OneofDescriptor* const kind =
      seed::SeedCommand::descriptor()->FindOneofByName("command");
  const pb::FieldDescriptor* field =
      command.GetReflection()->GetOneofFieldDescriptor(command, kind);
  if (field == nullptr) return {};
  SeedEntry entry;
  const std::string& name = field->name();
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '_') continue;
    entry.rpc.push_back(i == 0 || name[i - 1] == '_' ? absl::ascii_toupper(name[i]) : name[i]);
  }
  entry.request = &command.GetReflection()->GetMessage(command, field);
  return entry;
}

// What a seed command is called in the output: its subcommand and the
// values of its required flags ("disburse chungnam 2023 1000000 KIAT-1"),
// or its stream for a command given by file only.
std::string LabelOf(const SeedEntry& entry, const CommandLine& line) {
  std::vector<std::string> parts = {std::string(line.subcommand)};
  // ResolveField creates what it walks through: label a copy.
  std::unique_ptr<pb::Message> copy(entry.request->New());
  copy->CopyFrom(*entry.request);
  for (const FlagField& binding : line.flags) {
    if (!binding.required) continue;
    auto [message, field] = ResolveField(copy.get(), binding.field_path);
    std::string value;
    pb::TextFormat::PrintFieldValueToString(*message, field, -1, &value);
    parts.push_back(field->cpp_type() == pb::FieldDescriptor::CPPTYPE_STRING
                        ? message->GetReflection()->GetString(*message, field)
                        : value);
  }
  if (line.flags.empty()) parts.push_back(domain::FindCommand(line.rpc)->stream_id(*entry.request));
  return absl::StrJoin(parts, " ");
}

// Who sends each seed command: a registered identity of the role its row
// names (domain/authority.h), for a university the one leading the
// command's consortium (the seed file's own selections say which).
class SeedSenders {
 public:
  static absl::StatusOr<SeedSenders> Load(const std::string& registry_path,
                                          const seed::SeedFile& seed_file) {
    SeedSenders senders;
    if (absl::Status s = ReadTextProto(registry_path, &senders.registry_); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(s.message(), " (--identities)"));
    }
    for (const seed::SeedCommand& command : seed_file.commands()) {
      if (command.has_select_consortium()) {
        const v1::ConsortiumSelected& selected = command.select_consortium().selection();
        senders.leads_[selected.consortium_id()] = selected.lead_participant_id();
      }
    }
    return senders;
  }

  // The client of the identity that records `entry`; NOT_FOUND when the
  // registry has none.
  absl::StatusOr<AllianceClient*> For(const SeedEntry& entry) {
    const domain::CommandSpec& spec = *domain::FindCommand(entry.rpc);
    std::string lead;
    if (spec.authority.lead_of_consortium) lead = leads_[domain::ConsortiumOf(*entry.request)];
    for (const v1::Identity& identity : registry_.identities()) {
      if (!domain::Records(spec.authority, identity, lead)) continue;
      auto [it, added] = clients_.try_emplace(identity.name());
      if (added) {
        absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelAs(identity.name());
        if (!channel.ok()) return channel.status();
        it->second = std::make_unique<AllianceClient>(
            *channel, AllianceClientOptions{.deadline = Deadline()});
      }
      return it->second.get();
    }
    return absl::NotFoundError(absl::StrCat(
        "no identity in the registry records ", entry.rpc, " (", v1::Role_Name(spec.authority.role),
        spec.authority.lead_of_consortium ? absl::StrCat(" leading participant ", lead) : "", ")"));
  }

 private:
  v1::IdentityRegistry registry_;
  absl::flat_hash_map<std::string, std::string> leads_;
  absl::flat_hash_map<std::string, std::unique_ptr<AllianceClient>> clients_;
};

// Sends the seed file's commands in order, as written: each has a fixed
// event id and occurred_at, so a second run records nothing new. Stops at
// the first refusal.
Outcome Seed(AllianceClient& /*client*/, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  std::string path = absl::GetFlag(FLAGS_file);
  if (path.empty()) path = ALLIANCE_SEED_FILE;
  seed::SeedFile seed_file;
  if (absl::Status s = ReadTextProto(path, &seed_file); !s.ok()) return Usage(s);
  absl::StatusOr<SeedSenders> senders =
      SeedSenders::Load(absl::GetFlag(FLAGS_identities), seed_file);
  if (!senders.ok()) return Usage(senders.status());
  // Check the whole file before sending anything: a fresh id per run would
  // make seeding record everything again.
  std::vector<std::pair<SeedEntry, const CommandLine*>> commands;
  for (int i = 0; i < seed_file.commands_size(); ++i) {
    SeedEntry entry = EntryOf(seed_file.commands(i));
    const CommandLine* line = FindCommandLine(entry.rpc);
    if (entry.request == nullptr || line == nullptr) {
      return UsageError{absl::StrCat(path, ": command ", i + 1, " is empty")};
    }
    if (domain::FindCommand(entry.rpc)->meta(*entry.request).event_id().empty()) {
      return UsageError{absl::StrCat(path, ": command ", i + 1, " (", LabelOf(entry, *line),
                                     ") has no meta.event_id; seed commands need fixed ids")};
    }
    if (absl::StatusOr<AllianceClient*> sender = senders->For(entry); !sender.ok()) {
      return UsageError{absl::StrCat(path, ": command ", i + 1, " (", LabelOf(entry, *line),
                                     "): ", sender.status().message())};
    }
    commands.emplace_back(std::move(entry), line);
  }
  const bool json = absl::GetFlag(FLAGS_json);
  int appended = 0;
  int replayed = 0;
  const int total = seed_file.commands_size();
  for (int i = 0; i < total; ++i) {
    const auto& [entry, line] = commands[i];
    const std::string label = LabelOf(entry, *line);
    absl::StatusOr<v1::AppendResult> result =
        (*senders->For(entry))->Send(entry.rpc, *entry.request);
    if (!result.ok()) {
      std::cout << "[" << i + 1 << "/" << total << "] " << label << ": refused\n";
      return ReportFailure(result.status());
    }
    (result->replayed() ? replayed : appended) += 1;
    if (json) {
      std::cout << ToJson(*result, /*multiline=*/false);
    } else {
      std::cout << "[" << i + 1 << "/" << total << "] " << label << ": "
                << DescribeAppend(line->event_type, *result) << "\n";
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

// ---- audit ---------------------------------------------------------------
//
// `audit <verb>`: the auditor's checks, run here on what the server sends
// (clients/audit_client.h holds the checks and the two files; this section
// reads the flags and prints). A head is stored only once every check of
// the run has passed, so a server caught lying moves nothing.

int ReportAuditFailure(const absl::Status& status) {
  std::cerr << DescribeError(status) << "\n";
  return IsUntrusted(status) ? kExitUntrusted : kExitFailure;
}

absl::StatusOr<AuditClientOptions> AuditOptionsFromFlags() {
  std::string pin_key = absl::GetFlag(FLAGS_pin_key);
  if (pin_key.empty()) pin_key = std::string(kDefaultPinnedKeyPath);
  absl::StatusOr<std::string> pinned_key_path = ExpandHome(pin_key);
  if (!pinned_key_path.ok()) return pinned_key_path.status();
  absl::StatusOr<std::string> head_file_path = ExpandHome(absl::GetFlag(FLAGS_head_file));
  if (!head_file_path.ok()) return head_file_path.status();
  if (head_file_path->empty()) return absl::InvalidArgumentError("--head_file must name a file");
  const int64_t verify_deadline_ms = absl::GetFlag(FLAGS_verify_deadline_ms);
  if (verify_deadline_ms <= 0 || verify_deadline_ms > kVerifyDeadlineMsMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("--verify_deadline_ms must be in 1..", kVerifyDeadlineMsMax));
  }
  return AuditClientOptions{.pinned_key_path = *std::move(pinned_key_path),
                            .head_file_path = *std::move(head_file_path),
                            .deadline = absl::Milliseconds(absl::GetFlag(FLAGS_deadline_ms)),
                            .verify_deadline = absl::Milliseconds(verify_deadline_ms)};
}

std::string RenderKey(const v1::TreeHeadKey& key) {
  return absl::StrCat("key id     ", key.key_id(), "\nalgorithm  ", key.algorithm(), "\n",
                      key.public_key_pem());
}

// The head's fields, then what it was checked against.
std::string RenderVerifiedHead(const VerifiedHead& verified) {
  const v1::SignedTreeHead& head = verified.head;
  std::string text = absl::StrCat(
      "tree size  ", head.tree_size(), "\nroot       ", storage::HashHex(verified.root),
      "\ntimestamp  ", FormatTimestamp(head.timestamp()), "\nkey id     ", head.key_id(), "\n");
  if (verified.previous) {
    absl::StrAppend(
        &text, "consistent with the head of ", verified.previous->head.tree_size(), " accepted ",
        FormatUtcTime(absl::FromUnixSeconds(absl::ToUnixSeconds(verified.previous->accepted_at))),
        "\n");
  } else {
    absl::StrAppend(&text,
                    "no head accepted before: this one is the first (trust on first use, checked "
                    "by its signature alone)\n");
  }
  return text;
}

// Stores the head every check of the run has passed.
int AcceptAndReturn(AuditClient& audit, const VerifiedHead& verified) {
  if (absl::Status s = audit.AcceptHead(verified.head); !s.ok()) return ReportFailure(s);
  return kExitOk;
}

Outcome AuditKey(AuditClient& audit, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  const bool json = absl::GetFlag(FLAGS_json);
  if (absl::GetFlag(FLAGS_pin_key).empty()) {
    absl::StatusOr<v1::TreeHeadKey> key = audit.FetchKey();
    if (!key.ok()) return ReportAuditFailure(key.status());
    std::cout << (json ? ToJson(*key, true) : RenderKey(*key));
    return kExitOk;
  }
  absl::StatusOr<std::pair<v1::TreeHeadKey, KeyPin>> pinned = audit.PinKey();
  if (!pinned.ok()) return ReportAuditFailure(pinned.status());
  const auto& [key, pin] = *pinned;
  std::cout << (json ? ToJson(key, true) : RenderKey(key));
  const std::string& path = audit.options().pinned_key_path;
  if (pin == KeyPin::kPinnedNow) {
    std::cerr << "pinned key " << key.key_id() << " in " << path
              << " (trust on first use: check the key id with the server's operator)\n";
  } else if (!json) {
    std::cout << "matches the key pinned in " << path << "\n";
  }
  return kExitOk;
}

Outcome AuditHead(AuditClient& audit, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  absl::StatusOr<VerifiedHead> verified = audit.FetchVerifiedHead();
  if (!verified.ok()) return ReportAuditFailure(verified.status());
  if (int code = AcceptAndReturn(audit, *verified); code != kExitOk) return code;
  std::cout << (absl::GetFlag(FLAGS_json) ? ToJson(verified->head, true)
                                          : RenderVerifiedHead(*verified));
  return kExitOk;
}

Outcome AuditProve(AuditClient& audit, const Args& args) {
  uint64_t position = 0;
  if (args.size() != 1 || !absl::SimpleAtoi(args[0], &position) || position == 0) {
    return UsageError{"audit prove takes one argument: <global_position>, a number >= 1"};
  }
  absl::StatusOr<VerifiedHead> verified = audit.FetchVerifiedHead();
  if (!verified.ok()) return ReportAuditFailure(verified.status());
  absl::StatusOr<v1::LoggedEvent> event = audit.ProveInclusion(position, *verified);
  if (!event.ok()) return ReportAuditFailure(event.status());
  if (int code = AcceptAndReturn(audit, *verified); code != kExitOk) return code;
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(*event, true);
    return kExitOk;
  }
  v1::ReadEventsResponse one;
  *one.add_events() = event->event();
  std::cout << RenderEvents(one) << "included in the tree of " << verified->head.tree_size()
            << " with root " << storage::HashHex(verified->root) << "\n";
  return kExitOk;
}

// 64 hex digits: a root as RenderVerifiedHead prints it.
absl::StatusOr<storage::MerkleHash> ParseRootHex(absl::string_view hex) {
  std::string bytes;
  const bool hex_digits = std::all_of(hex.begin(), hex.end(), absl::ascii_isxdigit);
  if (hex.size() == 2 * storage::kMerkleHashBytes && hex_digits) {
    bytes = absl::HexStringToBytes(hex);
  }
  std::optional<storage::MerkleHash> root = storage::HashFromBytes(bytes);
  if (!root) {
    return absl::InvalidArgumentError(absl::StrCat("--first_root=", hex, ": want ",
                                                   2 * storage::kMerkleHashBytes, " hex digits"));
  }
  return *root;
}

Outcome AuditConsistency(AuditClient& audit, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  absl::StatusOr<std::optional<StoredHead>> stored = audit.LoadStoredHead();
  if (!stored.ok()) return ReportFailure(stored.status());
  // The first tree: a size and a root this client trusts, from the flags or
  // the accepted head; the server is never asked for it.
  uint64_t first = absl::GetFlag(FLAGS_first);
  const std::string first_root_hex = absl::GetFlag(FLAGS_first_root);
  storage::MerkleHash first_root{};
  if (!first_root_hex.empty()) {
    if (first == 0) return UsageError{"--first_root needs --first"};
    absl::StatusOr<storage::MerkleHash> parsed = ParseRootHex(first_root_hex);
    if (!parsed.ok()) return Usage(parsed.status());
    first_root = *parsed;
  } else if (*stored && (first == 0 || first == (*stored)->head.tree_size())) {
    first = (*stored)->head.tree_size();
    first_root = (*stored)->root;
  } else if (first == 0) {
    return ReportFailure(absl::FailedPreconditionError(
        absl::StrCat("no head accepted yet in ", audit.options().head_file_path,
                     ": run `alliancectl audit head` first, or give --first and --first_root")));
  } else {
    return UsageError{
        absl::StrCat("--first=", first, " is not the accepted head's size: give --first_root too")};
  }
  absl::StatusOr<VerifiedHead> verified = audit.FetchVerifiedHead();
  if (!verified.ok()) return ReportAuditFailure(verified.status());
  absl::StatusOr<v1::ConsistencyProof> proof = audit.ProveConsistency(first, first_root, *verified);
  if (!proof.ok()) return ReportAuditFailure(proof.status());
  if (int code = AcceptAndReturn(audit, *verified); code != kExitOk) return code;
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(*proof, true);
    return kExitOk;
  }
  std::cout << "OK: the tree of " << first << " events (root " << storage::HashHex(first_root)
            << ") is a prefix of the tree of " << verified->head.tree_size() << " events (root "
            << storage::HashHex(verified->root) << ")\n";
  return kExitOk;
}

// "verified X of Y events (P%)", rewritten in place on a terminal's stderr;
// nothing when stderr is a file or a pipe (a log would fill with them).
class ProgressLine {
 public:
  ProgressLine() : enabled_(::isatty(STDERR_FILENO) == 1) {}
  ~ProgressLine() {
    if (shown_) std::cerr << "\n";
  }
  void Show(const v1::VerifyProgress& progress) {
    if (!enabled_) return;
    const uint64_t total = progress.events_in_log();
    // In double: events_verified * 100 may not fit in 64 bits.
    const int percent =
        total == 0 ? 100
                   : static_cast<int>(100.0 * static_cast<double>(progress.events_verified()) /
                                      static_cast<double>(total));
    // "\r" returns to the line's start; "\033[K" clears what a longer
    // earlier line left.
    std::cerr << "\rverified " << progress.events_verified() << " of " << total << " events ("
              << percent << "%)\033[K" << std::flush;
    shown_ = true;
  }

 private:
  const bool enabled_;
  bool shown_ = false;
};

Outcome AuditVerify(AuditClient& audit, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  absl::StatusOr<std::optional<StoredHead>> trusted = audit.LoadStoredHead();
  if (!trusted.ok()) return ReportFailure(trusted.status());
  absl::StatusOr<v1::VerifyResult> result;
  {
    ProgressLine progress;
    result =
        audit.VerifyLog(*trusted, [&progress](const v1::VerifyProgress& p) { progress.Show(p); });
  }
  if (!result.ok()) return ReportAuditFailure(result.status());
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJson(*result, true);
  } else if (result->verified()) {
    std::cout << "verified " << result->events_verified() << " events: root "
              << (result->root_hash().size() == storage::kMerkleHashBytes
                      ? storage::HashHex(*storage::HashFromBytes(result->root_hash()))
                      : "-");
    if (*trusted) {
      std::cout << "; at " << (*trusted)->head.tree_size()
                << " events it is the root of the head accepted "
                << FormatUtcTime(
                       absl::FromUnixSeconds(absl::ToUnixSeconds((*trusted)->accepted_at)));
    }
    std::cout << "\n";
  } else {
    std::cout << "NOT verified after " << result->events_verified() << " events: ";
    if (result->first_bad_position() != 0) {
      std::cout << "first bad position " << result->first_bad_position() << ": ";
    }
    std::cout << result->reason() << "\n";
  }
  return result->verified() ? kExitOk : kExitFailure;
}

// "exported X of Y events (P%)" and the like on a terminal's stderr, as
// ProgressLine shows verification.
void ShowProgress(absl::string_view verb, uint64_t done, uint64_t total) {
  if (::isatty(STDERR_FILENO) != 1) return;
  std::cerr << "\r" << verb << " " << done;
  if (total > 0) {
    std::cerr << " of " << total << " events ("
              << static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total))
              << "%)";
  } else {
    std::cerr << " events";
  }
  std::cerr << "\033[K" << (done == total ? "\n" : "") << std::flush;
}

Outcome AuditExport(AuditClient& audit, const Args& args) {
  if (Outcome o = NoArgs(args); std::holds_alternative<UsageError>(o)) return o;
  absl::StatusOr<VerifiedHead> verified = audit.FetchVerifiedHead();
  if (!verified.ok()) return ReportAuditFailure(verified.status());
  const std::string path = absl::GetFlag(FLAGS_out);
  std::ofstream file;
  if (!path.empty()) {
    file.open(path, std::ios::binary | std::ios::trunc);
    if (!file) return ReportFailure(absl::FailedPreconditionError("cannot write " + path));
  }
  std::ostream& out = path.empty() ? std::cout : file;
  absl::Status written = WriteExport(audit, *verified, out, [](uint64_t done, uint64_t total) {
    ShowProgress("exported", done, total);
  });
  if (!written.ok()) return ReportAuditFailure(written);
  if (int code = AcceptAndReturn(audit, *verified); code != kExitOk) return code;
  if (!path.empty()) {
    std::cerr << "exported " << verified->head.tree_size() << " events to " << path
              << ", ending with the signed head of root " << storage::HashHex(verified->root)
              << "\n";
  }
  return kExitOk;
}

Outcome AuditImport(AuditClient& audit, const Args& args) {
  if (args.size() != 1) return UsageError{"audit import takes one argument: <export file>"};
  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (data_dir.empty()) return UsageError{"audit import needs --data_dir=<an empty folder>"};
  // Checked whole before anything is written.
  absl::StatusOr<v1::TreeHeadKey> pinned = audit.LoadPinnedKey();
  if (!pinned.ok()) return ReportFailure(pinned.status());
  absl::StatusOr<v1::SignedTreeHead> head =
      CheckExport(args[0], *pinned,
                  [](uint64_t done, uint64_t total) { ShowProgress("checked", done, total); });
  if (!head.ok()) return ReportAuditFailure(head.status());
  absl::StatusOr<ImportSummary> imported =
      ImportExport(args[0], *head, data_dir,
                   [](uint64_t done, uint64_t total) { ShowProgress("imported", done, total); });
  if (!imported.ok()) return ReportAuditFailure(imported.status());
  std::cout << "imported " << imported->events << " events into " << data_dir << "\nroot "
            << storage::HashHex(imported->tree_head.root_hash)
            << ", the root of the export's head signed " << FormatTimestamp(head->timestamp())
            << " by key " << head->key_id() << "\nread models rebuilt: " << imported->read_models
            << " entries, " << imported->rule_entries << " rule-index entries\n";
  return kExitOk;
}

// `audit history <consortium_id>`: the consortium's stream read whole
// (ReadStream, pages of 1,000) and printed as a timeline by business date
// with corrections beside what they correct (clients/history.h); --json:
// its events as proto3 JSON lines, in stream order. Nothing is proved: the
// events are the server's word (`audit prove` proves one).
Outcome AuditHistory(AuditClient& audit, const Args& args) {
  if (args.size() != 1) return UsageError{"audit history takes one argument: <consortium_id>"};
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelAs(absl::GetFlag(FLAGS_identity));
  if (!channel.ok()) return Usage(channel.status());
  std::unique_ptr<v1::AuditService::Stub> stub = v1::AuditService::NewStub(*channel);
  absl::StatusOr<std::vector<v1::EventEnvelope>> events;
  {
    ReadProgress progress(std::cerr, ::isatty(STDERR_FILENO) == 1);
    events = ReadWholeStream(*stub, ConsortiumStreamId(args[0]), audit.options().deadline,
                             [&progress](const StreamPage& page) { progress.Show(page); });
  }
  if (!events.ok()) return ReportFailure(events.status());
  if (!absl::GetFlag(FLAGS_json)) {
    std::cout << RenderHistory(args[0], *events);
    return kExitOk;
  }
  for (const v1::EventEnvelope& event : *events) std::cout << ToJson(event, /*multiline=*/false);
  return kExitOk;
}

struct AuditVerb {
  absl::string_view name;
  Outcome (*run)(AuditClient& audit, const Args& args);
};

constexpr AuditVerb kAuditVerbs[] = {
    {"key", AuditKey},       {"head", AuditHead},
    {"prove", AuditProve},   {"consistency", AuditConsistency},
    {"verify", AuditVerify}, {"export", AuditExport},
    {"import", AuditImport}, {"history", AuditHistory},
};

// `audit <verb> [args]`. Its own channel: the audit service needs none of
// AllianceClient's headers.
Outcome Audit(AllianceClient& /*client*/, const Args& args) {
  if (args.empty())
    return UsageError{
        "audit takes a verb: key, head, prove, consistency, verify, export, import, history"};
  const AuditVerb* verb = nullptr;
  for (const AuditVerb& candidate : kAuditVerbs) {
    if (candidate.name == args.front()) verb = &candidate;
  }
  if (verb == nullptr) {
    return UsageError{
        absl::StrCat("unknown audit verb ", args.front(),
                     " (key, head, prove, consistency, verify, export, import, history)")};
  }
  absl::StatusOr<AuditClientOptions> options = AuditOptionsFromFlags();
  if (!options.ok()) return Usage(options.status());
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelAs(absl::GetFlag(FLAGS_identity));
  if (!channel.ok()) return Usage(channel.status());
  AuditClient audit(*channel, *std::move(options));
  return verb->run(audit, Args(args.begin() + 1, args.end()));
}

// ---- Dispatch ----------------------------------------------------------

struct Subcommand {
  absl::string_view name;
  Outcome (*run)(AllianceClient& client, const Args& args);
};

// The subcommands besides the recording ones (CommandLines()).
constexpr Subcommand kSubcommands[] = {
    {"seed", Seed},           {"status", ShowConsortium},       {"list", ListConsortia},
    {"program", ShowProgram}, {"participant", ShowParticipant}, {"events", ReadEvents},
    {"audit", Audit},
};

// Every command of the command table has its command line, and no command
// line names a command the table lacks.
bool EveryCommandHasACommandLine() {
  bool ok = true;
  for (const domain::CommandSpec& spec : domain::Commands()) {
    if (FindCommandLine(spec.name) == nullptr) {
      std::cerr << "alliancectl: no command line for " << spec.name << "\n";
      ok = false;
    }
  }
  for (const CommandLine& line : CommandLines()) {
    if (domain::FindCommand(line.rpc) == nullptr) {
      std::cerr << "alliancectl: " << line.subcommand << " names no command " << line.rpc << "\n";
      ok = false;
    }
  }
  return ok;
}

int Main(int argc, char** argv) {
  if (!EveryCommandHasACommandLine()) return kExitFailure;
  const std::string usage = absl::StrCat(kUsageHead, CommandUsage(), kUsageTail);
  absl::SetProgramUsageMessage(usage);
  std::vector<char*> positionals = absl::ParseCommandLine(argc, argv);
  // positionals[0] is the program name.
  if (positionals.size() < 2) return ReportUsageError("missing subcommand");
  const absl::string_view name = positionals[1];
  const Args args(positionals.begin() + 2, positionals.end());

  const int64_t deadline_ms = absl::GetFlag(FLAGS_deadline_ms);
  if (deadline_ms <= 0 || deadline_ms > kDeadlineMsMax) {
    return ReportUsageError(absl::StrCat("--deadline_ms must be in 1..", kDeadlineMsMax));
  }
  // Creating a channel does not connect: a usage error still sends nothing.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ChannelAs(absl::GetFlag(FLAGS_identity));
  if (!channel.ok()) {
    // A file to fix, not a command line to relearn: no usage text.
    std::cerr << "alliancectl: " << channel.status().message() << "\n";
    return kExitUsage;
  }
  AllianceClient client(*channel, {.deadline = Deadline()});
  std::optional<Outcome> outcome;
  for (const CommandLine& line : CommandLines()) {
    if (line.subcommand == name) outcome = RecordCommand(line, client, args);
  }
  for (const Subcommand& subcommand : kSubcommands) {
    if (subcommand.name == name) outcome = subcommand.run(client, args);
  }
  if (!outcome) return ReportUsageError(absl::StrCat("unknown subcommand ", name));
  if (const auto* usage_error = std::get_if<UsageError>(&*outcome)) {
    return ReportUsageError(absl::StrCat(name, ": ", usage_error->message));
  }
  return std::get<int>(*outcome);
}

}  // namespace
}  // namespace alliance::client

int main(int argc, char** argv) { return alliance::client::Main(argc, argv); }
