#include "services/http/routes.h"

#include <google/protobuf/util/json_util.h>

#include <cstdint>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "proto/errors/refusal.h"

namespace alliance::http {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A variable's field path as a template writes it: lower_snake names
// joined by '.'.
bool IsFieldPath(absl::string_view path) {
  if (path.empty()) return false;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (part.empty() || !absl::ascii_islower(static_cast<unsigned char>(part[0]))) return false;
    for (char c : part) {
      if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
          !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
        return false;
      }
    }
  }
  return true;
}

absl::StatusOr<Route> ParseRule(const google::protobuf::MethodDescriptor* method,
                                const google::api::HttpRule& rule) {
  Route route;
  route.method = method;
  route.grpc_path = absl::StrCat("/", method->service()->full_name(), "/", method->name());
  auto unsupported = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(method->full_name(), "'s google.api.http rule: ", why));
  };
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      route.http_method = "GET";
      route.path_template = rule.get();
      break;
    case google::api::HttpRule::kPost:
      route.http_method = "POST";
      route.path_template = rule.post();
      break;
    default:
      return unsupported("only get and post are served");
  }
  if (rule.body() == "*") {
    route.body = true;
  } else if (!rule.body().empty()) {
    return unsupported("a body naming one field is not served; use \"*\"");
  }
  if (!rule.additional_bindings().empty()) return unsupported("additional_bindings");
  if (!rule.response_body().empty()) return unsupported("response_body");
  if (method->client_streaming() || method->server_streaming()) {
    return unsupported("a streaming method has no JSON/HTTP route here");
  }
  absl::string_view path = route.path_template;
  if (!absl::ConsumePrefix(&path, "/")) return unsupported("the path must start with '/'");
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  if (parts.size() > kPathSegmentsMax) return unsupported("too many segments");
  // A custom verb follows the last ':' of the last segment, outside braces.
  std::string& last = parts.back();
  const size_t colon = last.rfind(':');
  const size_t brace = last.rfind('}');
  if (colon != std::string::npos && (brace == std::string::npos || brace < colon)) {
    route.verb = last.substr(colon + 1);
    last.resize(colon);
  }
  for (const std::string& part : parts) {
    Route::Segment segment;
    if (absl::StartsWith(part, "{") && absl::EndsWith(part, "}")) {
      segment.field_path = part.substr(1, part.size() - 2);
      if (!IsFieldPath(segment.field_path)) {
        return unsupported(absl::StrCat("variable {", segment.field_path,
                                        "} is not a field path (patterns are not served)"));
      }
    } else if (part.empty() || absl::StrContains(part, "{") || absl::StrContains(part, "*")) {
      return unsupported(absl::StrCat("segment '", part, "' is not served"));
    } else {
      segment.literal = part;
    }
    route.segments.push_back(std::move(segment));
  }
  return route;
}

// %XX decoded; nullopt for a malformed escape.
std::optional<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    int value = 0;
    if (i + 2 >= text.size()) return std::nullopt;
    for (int k = 1; k <= 2; ++k) {
      const char c = text[i + k];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        value |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        value |= c - 'A' + 10;
      } else {
        return std::nullopt;
      }
    }
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

// The segments and verb of a request path, or nullopt if it cannot match.
struct SplitPath {
  std::vector<std::string> segments;  // still percent-encoded
  std::string verb;
};
std::optional<SplitPath> Split(absl::string_view path) {
  if (!absl::ConsumePrefix(&path, "/")) return std::nullopt;
  SplitPath split;
  split.segments = absl::StrSplit(path, '/');
  if (split.segments.size() > kPathSegmentsMax) return std::nullopt;
  std::string& last = split.segments.back();
  if (size_t colon = last.rfind(':'); colon != std::string::npos) {
    split.verb = last.substr(colon + 1);
    last.resize(colon);
  }
  return split;
}

std::optional<RouteMatch> MatchRoute(const Route& route, const SplitPath& split) {
  if (route.segments.size() != split.segments.size() || route.verb != split.verb) {
    return std::nullopt;
  }
  RouteMatch match;
  match.route = &route;
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const Route::Segment& segment = route.segments[i];
    if (segment.field_path.empty()) {
      if (segment.literal != split.segments[i]) return std::nullopt;
      continue;
    }
    std::optional<std::string> value = PercentDecode(split.segments[i]);
    if (!value.has_value() || value->empty()) return std::nullopt;
    match.bindings.emplace_back(segment.field_path, *std::move(value));
  }
  return match;
}

// The field `name` of `type`, by its proto name or its JSON name.
const FieldDescriptor* FindField(const google::protobuf::Descriptor& type, absl::string_view name) {
  const std::string key(name);
  if (const FieldDescriptor* field = type.FindFieldByName(key)) return field;
  for (int i = 0; i < type.field_count(); ++i) {
    if (type.field(i)->json_name() == key) return type.field(i);
  }
  return nullptr;
}

// The message holding the last field of `path` in `request`, created on
// the way, and that field; INVALID_ARGUMENT naming the path otherwise.
absl::StatusOr<std::pair<Message*, const FieldDescriptor*>> Resolve(Message* request,
                                                                    absl::string_view path) {
  Message* message = request;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i < parts.size(); ++i) {
    const FieldDescriptor* field = FindField(*message->GetDescriptor(), parts[i]);
    if (field == nullptr) {
      return InvalidField(path,
                          absl::StrCat(request->GetDescriptor()->name(), " has no such field"));
    }
    if (field->is_repeated() || field->is_map()) {
      return InvalidField(path, "a repeated field cannot be given in the path or the query");
    }
    if (i + 1 == parts.size()) return std::make_pair(message, field);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      return InvalidField(path, absl::StrCat(parts[i], " is not a message"));
    }
    message = message->GetReflection()->MutableMessage(message, field);
  }
  return InvalidField(path, "is empty");
}

// Sets `field` of `message` from its text in a path or a query.
absl::Status SetField(Message* message, const FieldDescriptor* field, absl::string_view path,
                      absl::string_view text) {
  const Reflection* reflection = message->GetReflection();
  auto bad = [&](absl::string_view what) {
    return InvalidField(path, absl::StrCat("'", text.substr(0, 64), "' is not ", what));
  };
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      if (field->type() == FieldDescriptor::TYPE_BYTES) return bad("settable here (bytes)");
      reflection->SetString(message, field, std::string(text));
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) return bad("an int32");
      reflection->SetInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) return bad("an int64");
      reflection->SetInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) return bad("a uint32");
      reflection->SetUInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value = 0;
      if (!absl::SimpleAtoi(text, &value)) return bad("a uint64");
      reflection->SetUInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value = false;
      if (!absl::SimpleAtob(text, &value)) return bad("true or false");
      reflection->SetBool(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const google::protobuf::EnumValueDescriptor* value =
          field->enum_type()->FindValueByName(std::string(text));
      if (value == nullptr) return bad(absl::StrCat("a ", field->enum_type()->name()));
      reflection->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      // A well-known type written as JSON writes it (a Timestamp as RFC 3339).
      Message* value = reflection->MutableMessage(message, field);
      std::string quoted = "\"";
      for (char c : text) {
        if (c == '"' || c == '\\') quoted.push_back('\\');
        quoted.push_back(c);
      }
      quoted.push_back('"');
      if (!google::protobuf::util::JsonStringToMessage(quoted, value).ok()) {
        return bad(absl::StrCat("a ", field->message_type()->full_name(), " in JSON's form"));
      }
      return absl::OkStatus();
    }
    default:
      return bad("settable here");
  }
}

}  // namespace

absl::StatusOr<Routes> Routes::FromServices(
    absl::Span<const google::protobuf::ServiceDescriptor* const> services) {
  Routes routes;
  std::set<std::string> seen;
  for (const google::protobuf::ServiceDescriptor* service : services) {
    if (service == nullptr) return absl::InvalidArgumentError("no such service is linked in");
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      if (!method->options().HasExtension(google::api::http)) continue;
      absl::StatusOr<Route> route =
          ParseRule(method, method->options().GetExtension(google::api::http));
      if (!route.ok()) return route.status();
      if (!seen.insert(absl::StrCat(route->http_method, " ", route->path_template)).second) {
        return absl::InvalidArgumentError(absl::StrCat(
            "two methods have the route ", route->http_method, " ", route->path_template));
      }
      routes.routes_.push_back(*std::move(route));
    }
  }
  return routes;
}

std::optional<RouteMatch> Routes::Match(absl::string_view http_method,
                                        absl::string_view path) const {
  std::optional<SplitPath> split = Split(path);
  if (!split.has_value()) return std::nullopt;
  // Literal segments first: "/v1/consortia:disburseBatch" before a variable.
  std::optional<RouteMatch> best;
  size_t best_literals = 0;
  for (const Route& route : routes_) {
    if (route.http_method != http_method) continue;
    std::optional<RouteMatch> match = MatchRoute(route, *split);
    if (!match.has_value()) continue;
    const size_t literals = route.segments.size() - match->bindings.size();
    if (!best.has_value() || literals > best_literals) {
      best = std::move(match);
      best_literals = literals;
    }
  }
  return best;
}

bool Routes::MatchesOtherMethod(absl::string_view http_method, absl::string_view path) const {
  std::optional<SplitPath> split = Split(path);
  if (!split.has_value()) return false;
  for (const Route& route : routes_) {
    if (route.http_method != http_method && MatchRoute(route, *split).has_value()) return true;
  }
  return false;
}

absl::Status BuildRequest(const RouteMatch& match, absl::string_view body,
                          const std::multimap<std::string, std::string>& query,
                          google::protobuf::Message* request) {
  const Route& route = *match.route;
  if (route.body) {
    if (absl::StripAsciiWhitespace(body).empty()) {
      return Refuse(absl::StatusCode::kInvalidArgument, "MALFORMED_REQUEST",
                    absl::StrCat(route.http_method, " ", route.path_template,
                                 " takes the request as a JSON body (",
                                 route.method->input_type()->full_name(), ")"));
    }
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    if (auto parsed =
            google::protobuf::util::JsonStringToMessage(std::string(body), request, options);
        !parsed.ok()) {
      return Refuse(absl::StatusCode::kInvalidArgument, "MALFORMED_REQUEST",
                    absl::StrCat("the body is not a ", route.method->input_type()->full_name(),
                                 " in JSON: ", std::string(parsed.message()).substr(0, 200)));
    }
  } else if (!absl::StripAsciiWhitespace(body).empty()) {
    return Refuse(absl::StatusCode::kInvalidArgument, "MALFORMED_REQUEST",
                  absl::StrCat(route.http_method, " ", route.path_template,
                               " takes no body: give the fields in the query"));
  }
  if (query.size() > kQueryParametersMax) {
    return Refuse(absl::StatusCode::kInvalidArgument, "MALFORMED_REQUEST",
                  absl::StrCat("at most ", kQueryParametersMax, " query parameters"));
  }
  for (const auto& [name, value] : query) {
    absl::StatusOr<std::pair<Message*, const FieldDescriptor*>> field = Resolve(request, name);
    if (!field.ok()) return field.status();
    if (absl::Status s = SetField(field->first, field->second, name, value); !s.ok()) return s;
  }
  for (const auto& [path, value] : match.bindings) {
    absl::StatusOr<std::pair<Message*, const FieldDescriptor*>> field = Resolve(request, path);
    if (!field.ok()) return field.status();
    auto [message, descriptor] = *field;
    const Reflection* reflection = message->GetReflection();
    // The path and the body must not disagree about what the call is about.
    if (descriptor->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      const std::string said = reflection->GetString(*message, descriptor);
      if (!said.empty() && said != value) {
        return InvalidField(path, absl::StrCat("the path says '", value.substr(0, 64),
                                               "' and the body '", said.substr(0, 64), "'"));
      }
    }
    if (absl::Status s = SetField(message, descriptor, path, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace alliance::http
