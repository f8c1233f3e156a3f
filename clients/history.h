// One consortium's history for people reading it: what `alliancectl audit
// history <consortium_id>` prints. Its stream ("consortium-<id>") is read
// whole with AuditService.ReadStream, forward, a page of at most 1,000
// events at a time (ReadWholeStream), and rendered as a timeline
// (RenderHistory): one line per event in order of its business date, the
// corrections beside what they correct, and the money's totals.
//
//   auto stub = v1::AuditService::NewStub(channel);
//   ReadProgress progress(std::cerr, ::isatty(STDERR_FILENO) == 1);
//   absl::StatusOr<std::vector<v1::EventEnvelope>> events = ReadWholeStream(
//       *stub, ConsortiumStreamId(id), absl::Seconds(5),
//       [&](const StreamPage& page) { progress.Show(page); });
//   if (events.ok()) std::cout << RenderHistory(id, *events);
//
// RenderHistory and ReadProgress do no I/O of their own (ReadProgress writes
// to the stream it is given), so they are tested without a server.
#ifndef ALLIANCE_CLIENTS_HISTORY_H_
#define ALLIANCE_CLIENTS_HISTORY_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alliance/v1/audit.grpc.pb.h"
#include "alliance/v1/events.pb.h"

namespace alliance::client {

// "consortium-<consortium_id>": the stream a consortium's events go to.
std::string ConsortiumStreamId(absl::string_view consortium_id);

// Where a whole-stream read is, after each page.
struct StreamPage {
  // Pages and events read so far.
  int pages = 0;
  uint64_t events_read = 0;
  // The stream's version as the server last reported it: its event count.
  uint64_t stream_version = 0;
  // This page reached the stream's end.
  bool last = false;
};

// Every event of `stream_id` in stream order: ReadStream forward from
// version 1, pages of 1,000, each call with `deadline`, `on_page` called
// after each page. The server's status on failure (NOT_FOUND with reason
// STREAM_NOT_FOUND for a stream with no events; the refusal's details kept
// for GetRefusalDetails); INTERNAL when the server's next_version does not
// advance, OUT_OF_RANGE after 10,000 pages.
absl::StatusOr<std::vector<v1::EventEnvelope>> ReadWholeStream(
    v1::AuditService::StubInterface& stub, absl::string_view stream_id, absl::Duration deadline,
    absl::FunctionRef<void(const StreamPage&)> on_page);

// "read N of M events", rewritten in place on `out` ("\r" and clear to the
// end of the line) after each page once the read takes more than one page;
// nothing when not `enabled` (give isatty of the stream: a log file would
// fill with them) or when the stream is read in one page. The destructor
// ends the line when one was shown.
class ReadProgress {
 public:
  ReadProgress(std::ostream& out, bool enabled) : out_(out), enabled_(enabled) {}
  ~ReadProgress();
  ReadProgress(const ReadProgress&) = delete;
  ReadProgress& operator=(const ReadProgress&) = delete;

  void Show(const StreamPage& page);

 private:
  std::ostream& out_;
  const bool enabled_;
  bool shown_ = false;
};

// The timeline of `events` (a consortium's stream, in any order), every
// line ending in '\n':
//   - a heading naming the consortium and the number of events;
//   - one line per event in order of its business date (the payload's
//     occurred_at, else recorded_at), ties in stream order: the date (UTC,
//     YYYY-MM-DD), "#<stream version>", the event type in words, who
//     recorded it (agency/principal), when (recorded_at, RFC 3339 UTC, to
//     the second), and the essentials (amounts in KRW with thousands
//     separators and their Korean readable form, year, payment reference,
//     researcher, lab, members, state change, reason);
//   - a correcting event (DisbursementReversed, AgreementAmended,
//     ResearcherStepRetracted, EvaluationCorrected) names what it corrects:
//     "reverses #<version> of <date>: ..."; and directly under the corrected
//     event, one indented line per correction: "↳ reversed by #<version> on
//     <date> (<reason>)" ("amended by", "retracted by", "corrected by");
//   - a summary: events, payments (FundsDisbursed) total, reversals total,
//     net.
// Nothing is checked or refused: an event that corrects an event id not in
// `events` says so on its line.
std::string RenderHistory(absl::string_view consortium_id,
                          const std::vector<v1::EventEnvelope>& events);

}  // namespace alliance::client

#endif  // ALLIANCE_CLIENTS_HISTORY_H_
