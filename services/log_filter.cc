#include "services/log_filter.h"

#include "google/protobuf/util/time_util.h"
#include "proto/errors/refusal.h"
#include "services/domain/streams.h"

namespace alliance {

absl::StatusOr<LogFilter> LogFilter::Of(const v1::ReadLogRequest& request,
                                        const PublishedModels& published) {
  LogFilter filter;
  if (request.has_recorded_from() && request.has_recorded_before() &&
      request.recorded_before() <= request.recorded_from()) {
    return InvalidField("recorded_before", "must be after recorded_from");
  }
  filter.request_ = request;
  filter.event_types_.insert(request.event_types().begin(), request.event_types().end());
  if (!request.consortium_id().empty()) {
    filter.consortium_stream_ = domain::ConsortiumStreamId(request.consortium_id());
  }
  if (!request.program_id().empty()) {
    filter.program_stream_ = domain::ProgramStreamId(request.program_id());
    // A consortium's events carry no program id: the program's consortia
    // are those selected into it, as published and as selected while the
    // log streams.
    for (const auto& [id, consortium] : *published.consortia) {
      if (consortium->program_id == request.program_id()) {
        filter.program_consortium_streams_.insert(domain::ConsortiumStreamId(id));
      }
    }
  }
  return filter;
}

bool LogFilter::Matches(const v1::EventEnvelope& event) {
  if (!request_.program_id().empty()) {
    if (event.payload().has_consortium_selected() &&
        event.payload().consortium_selected().program_id() == request_.program_id()) {
      program_consortium_streams_.insert(
          domain::ConsortiumStreamId(event.payload().consortium_selected().consortium_id()));
    }
    if (event.stream_id() != program_stream_ &&
        !program_consortium_streams_.contains(event.stream_id())) {
      return false;
    }
  }
  if (!consortium_stream_.empty() && event.stream_id() != consortium_stream_) return false;
  if (!event_types_.empty() && !event_types_.contains(event.event_type())) return false;
  if (request_.has_recorded_from() && event.recorded_at() < request_.recorded_from()) {
    return false;
  }
  if (request_.has_recorded_before() && !(event.recorded_at() < request_.recorded_before())) {
    return false;
  }
  return true;
}

}  // namespace alliance
