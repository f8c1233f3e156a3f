// One consortium's history: see history.h.
#include "clients/history.h"

#include <grpcpp/client_context.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "alliance/v1/audit.pb.h"
#include "clients/format.h"
#include "clients/views.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"
#include "proto/errors/grpc_status.h"
#include "proto/errors/refusal.h"

namespace alliance::client {
namespace {

namespace pb = google::protobuf;

// ReadStream's page cap (audit.proto), asked for on every page.
constexpr int32_t kPageMax = 1000;
// Pages followed before giving up on a server that never says "last page":
// ten million events, as alliancectl's other readers.
constexpr int kPagesMax = 10'000;

// ---- Words -----------------------------------------------------------------

// "1,380,000,000 KRW (13.8억 원)".
std::string Money(int64_t amount_krw) {
  return absl::StrCat(FormatKrw(amount_krw), " KRW (", ReadableKrw(amount_krw), ")");
}

// "2023-06-15" (UTC), or "-" for an unset timestamp.
std::string Day(const pb::Timestamp& timestamp) {
  const std::string text = FormatTimestamp(timestamp);
  return text.size() > 10 ? text.substr(0, 10) : text;
}

// When an event was recorded, to the second: "2024-01-10T09:30:00Z" (the
// exact time is in --json).
std::string RecordedAt(const pb::Timestamp& timestamp) {
  pb::Timestamp seconds;
  seconds.set_seconds(timestamp.seconds());
  return FormatTimestamp(seconds);
}

// "FundsDisbursed" -> "funds disbursed".
std::string TypeInWords(absl::string_view event_type) {
  std::string words;
  for (char c : event_type) {
    if (absl::ascii_isupper(c) && !words.empty()) words.push_back(' ');
    words.push_back(absl::ascii_tolower(c));
  }
  return words;
}

// `text` on one line, every control character (a newline in a reason, an
// escape sequence) a space: what a caller typed must not redraw the
// terminal or break the columns.
std::string OneLine(absl::string_view text) {
  std::string line(text);
  for (char& c : line) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = ' ';
  }
  return line;
}

// The payload's message, or nullptr when none is set.
const pb::Message* PayloadMessage(const v1::Event& payload) {
  static const pb::OneofDescriptor* const kind = v1::Event::descriptor()->FindOneofByName("kind");
  const pb::FieldDescriptor* field =
      payload.GetReflection()->GetOneofFieldDescriptor(payload, kind);
  if (field == nullptr) return nullptr;
  return &payload.GetReflection()->GetMessage(payload, field);
}

// When it happened: the payload's occurred_at, else when it was recorded.
const pb::Timestamp& BusinessTime(const v1::EventEnvelope& e) {
  if (const pb::Message* message = PayloadMessage(e.payload())) {
    const pb::FieldDescriptor* at = message->GetDescriptor()->FindFieldByName("occurred_at");
    if (at != nullptr && at->message_type() == pb::Timestamp::descriptor() &&
        message->GetReflection()->HasField(*message, at)) {
      return static_cast<const pb::Timestamp&>(message->GetReflection()->GetMessage(*message, at));
    }
  }
  return e.recorded_at();
}

// The event type in words: the envelope's, else its payload's field name.
std::string EventWords(const v1::EventEnvelope& e) {
  if (!e.event_type().empty()) return TypeInWords(e.event_type());
  if (const pb::Message* message = PayloadMessage(e.payload())) {
    return TypeInWords(message->GetDescriptor()->name());
  }
  return "(no payload)";
}

// What a correcting event corrects, and how its correction reads.
struct Correction {
  absl::string_view by;    // "reversed by": under the corrected event
  absl::string_view verb;  // "reverses": on the correcting event's own line
  std::string corrected_id;
  std::string reason;
};

std::optional<Correction> CorrectionOf(const v1::Event& event) {
  switch (event.kind_case()) {
    case v1::Event::kDisbursementReversed: {
      const auto& e = event.disbursement_reversed();
      return Correction{"reversed by", "reverses", e.corrects_event_id(), e.reason()};
    }
    case v1::Event::kAgreementAmended: {
      const auto& e = event.agreement_amended();
      return Correction{"amended by", "amends", e.corrects_event_id(), e.reason()};
    }
    case v1::Event::kResearcherStepRetracted: {
      const auto& e = event.researcher_step_retracted();
      return Correction{"retracted by", "retracts", e.corrects_event_id(), e.reason()};
    }
    case v1::Event::kEvaluationCorrected: {
      const auto& e = event.evaluation_corrected();
      return Correction{"corrected by", "corrects", e.corrects_event_id(), e.reason()};
    }
    default:
      return std::nullopt;
  }
}

// "; reason: <why>", or nothing when no reason was given.
std::string Reason(absl::string_view reason) {
  return reason.empty() ? "" : absl::StrCat("; reason: ", reason);
}

// What the whole stream says that a single event's line needs: event ids
// as stream positions, participants' names, and the state each state
// change left.
class StreamIndex {
 public:
  explicit StreamIndex(const std::vector<v1::EventEnvelope>& events) {
    // In stream order: names and states as they were at each event.
    std::vector<const v1::EventEnvelope*> in_order;
    in_order.reserve(events.size());
    for (const v1::EventEnvelope& e : events) in_order.push_back(&e);
    std::stable_sort(in_order.begin(), in_order.end(), [](const auto* a, const auto* b) {
      return a->stream_version() < b->stream_version();
    });
    v1::ConsortiumState state = v1::CONSORTIUM_STATE_UNSPECIFIED;
    for (const v1::EventEnvelope* e : in_order) {
      by_id_.emplace(e->event_id(), e);
      const v1::Event& event = e->payload();
      if (event.has_consortium_selected()) {
        for (const v1::Participant& p : event.consortium_selected().participants()) {
          names_.emplace(p.participant_id(), p.name_ko());
        }
      } else if (event.has_participant_joined()) {
        const v1::Participant& p = event.participant_joined().participant();
        names_.emplace(p.participant_id(), p.name_ko());
      }
      v1::ConsortiumState next = state;
      switch (event.kind_case()) {
        case v1::Event::kConsortiumSelected:
        case v1::Event::kConsortiumResumed:
          next = v1::CONSORTIUM_STATE_ACTIVE;
          break;
        case v1::Event::kConsortiumSuspended:
          next = v1::CONSORTIUM_STATE_SUSPENDED;
          break;
        case v1::Event::kConsortiumTerminated:
          next = v1::CONSORTIUM_STATE_TERMINATED;
          break;
        case v1::Event::kConsortiumCompleted:
          next = v1::CONSORTIUM_STATE_COMPLETED;
          break;
        default:
          continue;
      }
      state_changes_.emplace(
          e, state == v1::CONSORTIUM_STATE_UNSPECIFIED
                 ? absl::StrCat("state → ", StateName(next))
                 : absl::StrCat("state ", StateName(state), " → ", StateName(next)));
      state = next;
    }
  }

  // The event of `event_id` in the stream; nullptr when it is not there.
  const v1::EventEnvelope* Find(const std::string& event_id) const {
    auto it = by_id_.find(event_id);
    return it == by_id_.end() ? nullptr : it->second;
  }

  // "#4 of 2023-06-15", or "event <id> (not in this stream)".
  std::string Ref(const std::string& event_id) const {
    const v1::EventEnvelope* e = Find(event_id);
    if (e == nullptr) return absl::StrCat("event ", event_id, " (not in this stream)");
    return absl::StrCat("#", e->stream_version(), " of ", Day(BusinessTime(*e)));
  }

  // "3128195582 주식회사 코넥", or the id alone when no name is known.
  std::string Participant(const std::string& participant_id) const {
    auto it = names_.find(participant_id);
    if (it == names_.end() || it->second.empty()) return participant_id;
    return absl::StrCat(participant_id, " ", it->second);
  }

  // "state active → suspended" for a state change, else "".
  std::string StateChange(const v1::EventEnvelope& e) const {
    auto it = state_changes_.find(&e);
    return it == state_changes_.end() ? "" : it->second;
  }

 private:
  absl::flat_hash_map<std::string, const v1::EventEnvelope*> by_id_;
  absl::flat_hash_map<std::string, std::string> names_;
  absl::flat_hash_map<const v1::EventEnvelope*, std::string> state_changes_;
};

std::string Plural(uint64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

// The essentials of one event, for its line.
std::string Essentials(const v1::EventEnvelope& envelope, const StreamIndex& index) {
  const v1::Event& event = envelope.payload();
  const std::string state = index.StateChange(envelope);
  switch (event.kind_case()) {
    case v1::Event::kProgramEstablished: {
      const auto& e = event.program_established();
      return absl::StrCat("program ", e.program_id(), " ", e.name_ko(), ", budget ",
                          Money(e.rules().total_budget_krw()));
    }
    case v1::Event::kConsortiumSelected: {
      const auto& e = event.consortium_selected();
      return absl::StrCat("into ", e.program_id(), ", round ", e.round_year(), ", ",
                          e.region_code(), " ", e.region_name_ko(), ", ", e.field_ko(),
                          e.field_en().empty() ? "" : absl::StrCat(" (", e.field_en(), ")"),
                          ", lead ", index.Participant(e.lead_participant_id()), ", ",
                          Plural(e.participants_size(), "member", "members"), "; ", state);
    }
    case v1::Event::kLabDesignated: {
      const auto& e = event.lab_designated();
      return absl::StrCat("lab ", e.lab_id(), " ", e.lab_name_ko(), ", hosted by ",
                          index.Participant(e.university_participant_id()));
    }
    case v1::Event::kFundsDisbursed: {
      const auto& e = event.funds_disbursed();
      return absl::StrCat("year ", e.program_year(), ", ", Money(e.amount_krw()), ", payment ref ",
                          e.payment_reference());
    }
    case v1::Event::kDisbursementReversed: {
      const auto& e = event.disbursement_reversed();
      return absl::StrCat("reverses ", index.Ref(e.corrects_event_id()), ": year ",
                          e.program_year(), ", ", Money(e.amount_krw()), ", payment ref ",
                          e.payment_reference(), Reason(e.reason()));
    }
    case v1::Event::kResearcherHired: {
      const auto& e = event.researcher_hired();
      return absl::StrCat("researcher ", e.researcher_id(), " (", DegreeName(e.degree()),
                          ") from lab ", e.lab_id(), " hired by ",
                          index.Participant(e.enterprise_participant_id()));
    }
    case v1::Event::kSelectionRoundOpened: {
      const auto& e = event.selection_round_opened();
      return absl::StrCat(e.program_id(), " round ", e.round_year(), ", ", e.slots(), " slots");
    }
    case v1::Event::kAgreementSigned: {
      const auto& e = event.agreement_signed();
      return absl::StrCat(
          "year ", e.program_year(), ", grant ", Money(e.grant_krw()),
          e.agreement_reference().empty() ? "" : absl::StrCat(", ref ", e.agreement_reference()));
    }
    case v1::Event::kAgreementAmended: {
      const auto& e = event.agreement_amended();
      return absl::StrCat("amends ", index.Ref(e.corrects_event_id()), ": year ", e.program_year(),
                          ", grant ", Money(e.previous_grant_krw()), " → ", Money(e.grant_krw()),
                          Reason(e.reason()));
    }
    case v1::Event::kParticipantJoined: {
      const auto& e = event.participant_joined();
      return absl::StrCat(index.Participant(e.participant().participant_id()), " as ",
                          RoleName(e.participant().role()));
    }
    case v1::Event::kParticipantWithdrew: {
      const auto& e = event.participant_withdrew();
      return absl::StrCat(index.Participant(e.participant_id()), " (", RoleName(e.role()), ")",
                          Reason(e.reason()));
    }
    case v1::Event::kResearcherEnrolled: {
      const auto& e = event.researcher_enrolled();
      return absl::StrCat("researcher ", e.researcher_id(), " in lab ", e.lab_id(), ", ",
                          TrackName(e.track()), " track");
    }
    case v1::Event::kResearcherGraduated: {
      const auto& e = event.researcher_graduated();
      return absl::StrCat("researcher ", e.researcher_id(), ", ", DegreeName(e.degree()));
    }
    case v1::Event::kResearcherLeft: {
      const auto& e = event.researcher_left();
      return absl::StrCat("researcher ", e.researcher_id(), " left ",
                          index.Participant(e.enterprise_participant_id()), Reason(e.reason()));
    }
    case v1::Event::kResearcherStepRetracted: {
      const auto& e = event.researcher_step_retracted();
      return absl::StrCat("retracts ", index.Ref(e.corrects_event_id()), " (",
                          TypeInWords(e.retracted_event_type()), "): researcher ",
                          e.researcher_id(), Reason(e.reason()));
    }
    case v1::Event::kEvaluationRecorded: {
      const auto& e = event.evaluation_recorded();
      return absl::StrCat("year ", e.program_year(), ": ", GradeName(e.grade()),
                          e.score() == 0 ? "" : absl::StrCat(", score ", e.score()),
                          e.summary().empty() ? "" : absl::StrCat(" — ", e.summary()));
    }
    case v1::Event::kEvaluationCorrected: {
      const auto& e = event.evaluation_corrected();
      return absl::StrCat("corrects ", index.Ref(e.corrects_event_id()), ": year ",
                          e.program_year(), " now ", GradeName(e.grade()),
                          e.score() == 0 ? "" : absl::StrCat(", score ", e.score()),
                          Reason(e.reason()));
    }
    case v1::Event::kConsortiumSuspended:
      return absl::StrCat(state, Reason(event.consortium_suspended().reason()));
    case v1::Event::kConsortiumResumed:
      return absl::StrCat(state, Reason(event.consortium_resumed().reason()));
    case v1::Event::kConsortiumTerminated:
      return absl::StrCat(state, Reason(event.consortium_terminated().reason()));
    case v1::Event::kConsortiumCompleted:
      return state;
    case v1::Event::KIND_NOT_SET:
      break;
  }
  return "(no payload this client knows)";
}

}  // namespace

std::string ConsortiumStreamId(absl::string_view consortium_id) {
  return absl::StrCat("consortium-", consortium_id);
}

absl::StatusOr<std::vector<v1::EventEnvelope>> ReadWholeStream(
    v1::AuditService::StubInterface& stub, absl::string_view stream_id, absl::Duration deadline,
    absl::FunctionRef<void(const StreamPage&)> on_page) {
  v1::ReadStreamRequest request;
  request.set_stream_id(std::string(stream_id));
  request.set_from_version(1);
  request.set_direction(v1::READ_DIRECTION_FORWARD);
  request.set_max_count(kPageMax);
  std::vector<v1::EventEnvelope> events;
  StreamPage page;
  while (true) {
    if (page.pages == kPagesMax) {
      return absl::OutOfRangeError(
          absl::StrCat("stopped reading ", stream_id, " after ", kPagesMax, " pages"));
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
    v1::ReadStreamResponse response;
    if (grpc::Status status = stub.ReadStream(&context, request, &response); !status.ok()) {
      return FromGrpcStatus(status);
    }
    for (v1::LoggedEvent& logged : *response.mutable_events()) {
      events.push_back(std::move(*logged.mutable_event()));
    }
    page.pages += 1;
    page.events_read = events.size();
    page.stream_version = response.stream_version();
    page.last = response.next_version() == 0;
    on_page(page);
    if (page.last) return events;
    if (response.next_version() <= request.from_version()) {
      return absl::InternalError(absl::StrCat("the server's next_version for ", stream_id,
                                              " did not advance past ", request.from_version()));
    }
    request.set_from_version(response.next_version());
  }
}

ReadProgress::~ReadProgress() {
  if (shown_) out_ << "\n" << std::flush;
}

void ReadProgress::Show(const StreamPage& page) {
  // One page is over before a person could read a progress line.
  if (!enabled_ || (page.pages == 1 && page.last)) return;
  out_ << "\rread " << page.events_read << " of " << page.stream_version << " events\033[K"
       << std::flush;
  shown_ = true;
}

std::string RenderHistory(absl::string_view consortium_id,
                          const std::vector<v1::EventEnvelope>& events) {
  const StreamIndex index(events);

  // Business date, then stream order.
  std::vector<const v1::EventEnvelope*> timeline;
  timeline.reserve(events.size());
  for (const v1::EventEnvelope& e : events) timeline.push_back(&e);
  std::stable_sort(timeline.begin(), timeline.end(), [](const auto* a, const auto* b) {
    const pb::Timestamp& at_a = BusinessTime(*a);
    const pb::Timestamp& at_b = BusinessTime(*b);
    return std::make_tuple(at_a.seconds(), at_a.nanos(), a->stream_version()) <
           std::make_tuple(at_b.seconds(), at_b.nanos(), b->stream_version());
  });

  // The corrections of each event, in stream order.
  std::map<const v1::EventEnvelope*, std::vector<const v1::EventEnvelope*>> corrections;
  int64_t payments_krw = 0;
  int64_t reversals_krw = 0;
  uint64_t payments = 0;
  uint64_t reversals = 0;
  uint64_t correcting = 0;
  for (const v1::EventEnvelope* e : timeline) {
    if (e->payload().has_funds_disbursed()) {
      payments_krw += e->payload().funds_disbursed().amount_krw();
      payments += 1;
    } else if (e->payload().has_disbursement_reversed()) {
      reversals_krw += e->payload().disbursement_reversed().amount_krw();
      reversals += 1;
    }
    std::optional<Correction> correction = CorrectionOf(e->payload());
    if (!correction) continue;
    correcting += 1;
    if (const v1::EventEnvelope* corrected = index.Find(correction->corrected_id)) {
      corrections[corrected].push_back(e);
    }
  }
  for (auto& [corrected, by] : corrections) {
    std::sort(by.begin(), by.end(), [](const auto* a, const auto* b) {
      return a->stream_version() < b->stream_version();
    });
  }

  // Columns: the first five padded, the essentials last.
  constexpr size_t kPadded = 5;
  const std::vector<std::string> header = {"date",        "#",           "event",
                                           "recorded by", "recorded at", "what"};
  std::vector<std::vector<std::string>> rows;
  rows.reserve(timeline.size());
  for (const v1::EventEnvelope* e : timeline) {
    const std::string by =
        e->recorded_by().agency().empty() && e->recorded_by().principal().empty()
            ? "-"
            : absl::StrCat(e->recorded_by().agency(), "/", e->recorded_by().principal());
    rows.push_back({Day(BusinessTime(*e)), absl::StrCat("#", e->stream_version()), EventWords(*e),
                    OneLine(by), RecordedAt(e->recorded_at()), OneLine(Essentials(*e, index))});
  }
  std::vector<size_t> widths(kPadded, 0);
  for (size_t i = 0; i < kPadded; ++i) {
    widths[i] = DisplayWidth(header[i]);
    for (const auto& row : rows) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < kPadded; ++i)
      absl::StrAppend(&text, PadRight(cells[i], widths[i]), "  ");
    absl::StrAppend(&text, cells[kPadded]);
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return absl::StrCat(text, "\n");
  };
  // "↳" lines start under the event column.
  const std::string indent(widths[0] + 2 + widths[1] + 2, ' ');

  std::string out = absl::StrCat("History of consortium ", OneLine(consortium_id), ": ",
                                 Plural(events.size(), "event", "events"),
                                 " by business date (# is the version in stream ",
                                 OneLine(ConsortiumStreamId(consortium_id)), ")\n\n");
  absl::StrAppend(&out, line(header));
  std::vector<std::string> rule;
  for (size_t i = 0; i < kPadded; ++i) rule.push_back(std::string(widths[i], '-'));
  rule.push_back(std::string(DisplayWidth(header[kPadded]), '-'));
  absl::StrAppend(&out, line(rule));
  for (size_t i = 0; i < timeline.size(); ++i) {
    absl::StrAppend(&out, line(rows[i]));
    auto it = corrections.find(timeline[i]);
    if (it == corrections.end()) continue;
    for (const v1::EventEnvelope* by : it->second) {
      const Correction correction = *CorrectionOf(by->payload());
      absl::StrAppend(
          &out, indent, "↳ ", correction.by, " #", by->stream_version(), " on ",
          Day(BusinessTime(*by)),
          correction.reason.empty() ? "" : absl::StrCat(" (", OneLine(correction.reason), ")"),
          "\n");
    }
  }

  // The totals, figures aligned on their right.
  const std::string paid = FormatKrw(payments_krw);
  const std::string reversed = FormatKrw(reversals_krw);
  const std::string net = FormatKrw(payments_krw - reversals_krw);
  const size_t figure = std::max({paid.size(), reversed.size(), net.size()});
  auto amount = [&](const std::string& text, int64_t krw) {
    return absl::StrCat(PadLeft(text, figure), " KRW (", ReadableKrw(krw), ")");
  };
  absl::StrAppend(
      &out, "\nevents     ", events.size(),
      correcting == 0 ? "" : absl::StrCat(", ", Plural(correcting, "correction", "corrections")),
      "\n");
  absl::StrAppend(&out, "payments   ", amount(paid, payments_krw), ", ",
                  Plural(payments, "payment", "payments"), "\n");
  absl::StrAppend(&out, "reversals  ", amount(reversed, reversals_krw), ", ",
                  Plural(reversals, "reversal", "reversals"), "\n");
  absl::StrAppend(&out, "net        ", amount(net, payments_krw - reversals_krw), "\n");
  return out;
}

}  // namespace alliance::client
