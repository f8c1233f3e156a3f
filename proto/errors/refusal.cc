#include "proto/errors/refusal.h"

#include <cassert>
#include <cstdlib>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"

namespace alliance {
namespace {

// Payload type URLs: the same names google.rpc details travel under, so the
// gRPC edge can copy them into google.rpc.Status.details unchanged.
constexpr absl::string_view kErrorInfoUrl = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr absl::string_view kBadRequestUrl = "type.googleapis.com/google.rpc.BadRequest";

}  // namespace

absl::Status Refuse(absl::StatusCode code, absl::string_view reason, absl::string_view message,
                    std::vector<std::pair<std::string, std::string>> metadata) {
  assert(code != absl::StatusCode::kOk);
  assert(!reason.empty());
  absl::Status status(code, message);
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  for (auto& [key, value] : metadata) (*info.mutable_metadata())[key] = std::move(value);
  status.SetPayload(kErrorInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

namespace {

absl::Status FieldRefusal(absl::string_view reason, absl::string_view field,
                          absl::string_view message) {
  absl::Status status = Refuse(absl::StatusCode::kInvalidArgument, reason,
                               absl::StrCat(field, ": ", message), {{"field", std::string(field)}});
  google::rpc::BadRequest bad_request;
  google::rpc::BadRequest::FieldViolation* violation = bad_request.add_field_violations();
  violation->set_field(std::string(field));
  violation->set_description(std::string(message));
  status.SetPayload(kBadRequestUrl, absl::Cord(bad_request.SerializeAsString()));
  return status;
}

}  // namespace

absl::Status MissingField(absl::string_view field) {
  return FieldRefusal("MISSING_FIELD", field, "is required");
}

absl::Status InvalidField(absl::string_view field, absl::string_view message) {
  return FieldRefusal("INVALID_FIELD", field, message);
}

std::optional<RefusalDetails> GetRefusalDetails(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kErrorInfoUrl);
  if (!payload) return std::nullopt;
  google::rpc::ErrorInfo info;
  if (!info.ParseFromString(std::string(*payload))) return std::nullopt;
  RefusalDetails details;
  details.reason = info.reason();
  for (const auto& [key, value] : info.metadata()) details.metadata[key] = value;
  if (auto bad = status.GetPayload(kBadRequestUrl)) {
    google::rpc::BadRequest bad_request;
    if (bad_request.ParseFromString(std::string(*bad)) && bad_request.field_violations_size() > 0) {
      details.field = bad_request.field_violations(0).field();
    }
  }
  return details;
}

std::string FormatKrw(int64_t amount_krw) {
  // Work on the magnitude as unsigned so INT64_MIN does not overflow.
  uint64_t magnitude =
      amount_krw < 0 ? 0 - static_cast<uint64_t>(amount_krw) : static_cast<uint64_t>(amount_krw);
  std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return amount_krw < 0 ? absl::StrCat("-", out) : out;
}

}  // namespace alliance
