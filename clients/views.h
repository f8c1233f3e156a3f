// The read models as text for people at a terminal: what `alliancectl
// status`, `list`, `program`, `participant` and `events` print when --json is
// not given. Each function takes a response as the server sent it and
// returns the whole text, every line ending in '\n'; none does I/O, reads a
// flag or calls the server, so the caller decides where the text goes.
// Tables and money are laid out by clients/format.h.
//
//   absl::StatusOr<v1::ConsortiumStatus> status = client.GetConsortium(request);
//   if (status.ok()) std::cout << RenderConsortium(*status);
//
// Enum values print as the words in the tables below ("-" for the
// unspecified value, "<kind> <number>" for a value newer than this code);
// alliancectl's flags take the same words, so what a table shows can be
// typed back (--state=suspended).
#ifndef ALLIANCE_CLIENTS_VIEWS_H_
#define ALLIANCE_CLIENTS_VIEWS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "alliance/v1/queries.pb.h"
#include "alliance/v1/types.pb.h"

namespace alliance::client {

// The word for one enum value, in a table and on the command line.
template <typename Enum>
struct EnumName {
  absl::string_view text;
  Enum value;
};

inline constexpr EnumName<v1::Degree> kDegreeNames[] = {
    {"ms", v1::DEGREE_MASTERS},
    {"ms-candidate", v1::DEGREE_MASTERS_CANDIDATE},
    {"phd", v1::DEGREE_PHD},
    {"phd-candidate", v1::DEGREE_PHD_CANDIDATE},
};
inline constexpr EnumName<v1::DegreeTrack> kTrackNames[] = {
    {"ms", v1::DEGREE_TRACK_MASTERS},
    {"phd", v1::DEGREE_TRACK_PHD},
};
inline constexpr EnumName<v1::EvaluationGrade> kGradeNames[] = {
    {"excellent", v1::EVALUATION_GRADE_EXCELLENT},
    {"satisfactory", v1::EVALUATION_GRADE_SATISFACTORY},
    {"unsatisfactory", v1::EVALUATION_GRADE_UNSATISFACTORY},
    {"poor", v1::EVALUATION_GRADE_POOR},
};
inline constexpr EnumName<v1::ConsortiumState> kStateNames[] = {
    {"active", v1::CONSORTIUM_STATE_ACTIVE},
    {"suspended", v1::CONSORTIUM_STATE_SUSPENDED},
    {"terminated", v1::CONSORTIUM_STATE_TERMINATED},
    {"completed", v1::CONSORTIUM_STATE_COMPLETED},
};

// The words for one value, from the tables above ("-" for the unspecified
// value, "<kind> <number>" for a value newer than this code); roles read as
// phrases ("mid-sized enterprise").
std::string DegreeName(v1::Degree degree);
std::string TrackName(v1::DegreeTrack track);
std::string GradeName(v1::EvaluationGrade grade);
std::string StateName(v1::ConsortiumState state);
std::string RoleName(v1::ParticipantRole role);

// One consortium: its fields (program, state, region, field, lead, term,
// hires, researcher counts, stream position), then its state history (when
// it has one), members current and former, labs, funding by year with a
// total row, researchers by stage (furthest along first) and any retracted
// steps, hires, and evaluations.
std::string RenderConsortium(const v1::ConsortiumStatus& c);

// One table row per consortium of `list` in the order given, then
// "(<n> consortia)" and, when the server gave one, the --page_token line for
// the next page.
std::string RenderConsortiumList(const v1::ListConsortiaResponse& list);

// The program: its rules, consortia by state, the budget committed,
// uncommitted, agreed and disbursed (with shares in percent), hires and
// researcher counts; then rounds, and totals by region, field and year.
std::string RenderProgram(const v1::ProgramSummary& p);

// One participant: its name, memberships in consortia (current and former),
// and the researchers it hired.
std::string RenderParticipant(const v1::ParticipantStatus& p);

// One table row per event of `events` (position, stream, version, type, id,
// recorded at and by, a one-line summary of the payload), then
// "(<n> events)" and, when the server gave one, the --from line for more.
std::string RenderEvents(const v1::ReadEventsResponse& events);

}  // namespace alliance::client

#endif  // ALLIANCE_CLIENTS_VIEWS_H_
