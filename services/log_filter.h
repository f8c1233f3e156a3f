// LogFilter: which events of the log an auditor asked for (ReadLog's and
// Subscribe's filters, proto/alliance/v1/audit.proto), checked once and
// applied to each event in log order.
//
// A consortium's events carry no program id, so "the events of program P"
// are P's own stream and the streams of the consortia selected into P: those
// the published read models show in P when the filter is made, and those
// whose ConsortiumSelected names P as the filter meets it. Feed it every
// event in order (Matches), not only a sample, so that it sees selections.
#ifndef ALLIANCE_SERVICES_LOG_FILTER_H_
#define ALLIANCE_SERVICES_LOG_FILTER_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "alliance/v1/audit.pb.h"
#include "alliance/v1/events.pb.h"
#include "services/ledger/published_models.h"

namespace alliance {

class LogFilter {
 public:
  // INVALID_ARGUMENT (a refusal naming the field) for a time range that
  // ends before it starts. The request's positions are not the filter's.
  static absl::StatusOr<LogFilter> Of(const v1::ReadLogRequest& request,
                                      const PublishedModels& published);

  // Whether `event` is asked for. Not const: it learns selections.
  bool Matches(const v1::EventEnvelope& event);

 private:
  v1::ReadLogRequest request_;
  absl::flat_hash_set<std::string> event_types_;
  std::string consortium_stream_;
  std::string program_stream_;
  absl::flat_hash_set<std::string> program_consortium_streams_;
};

}  // namespace alliance

#endif  // ALLIANCE_SERVICES_LOG_FILTER_H_
