// The JSON/HTTP face's routes (AIP-127, HTTP and gRPC transcoding): every
// method of the given services whose proto names a google.api.http rule,
// matched against a request's method and path, and the request message
// built from the path's variables, the query string and the JSON body
// (protobuf's own JSON mapping). The route names the gRPC method; the call
// itself goes to that method's handler (http_face.h), so the two faces
// cannot differ in a rule.
//
//   absl::StatusOr<Routes> routes = Routes::FromServices({v1::QueryService::descriptor()});
//   std::optional<RouteMatch> match = routes->Match("GET", "/v1/consortia/chungnam");
//   absl::Status built = BuildRequest(*match, body, query, request.get());
//
// The templates this serves: literal segments, single-segment variables
// ({consortium_id}, {disbursement.consortium_id}) and a custom verb
// (":disburse"). A rule using more of AIP-127 (`**`, `{x=pattern}`,
// additional_bindings, a body naming one field) is refused at start.
#ifndef ALLIANCE_SERVICES_HTTP_ROUTES_H_
#define ALLIANCE_SERVICES_HTTP_ROUTES_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace alliance::http {

// The longest body and query string a route accepts are the server's
// request limit (ServerOptions::max_request_bytes); these bound the rest.
inline constexpr size_t kPathSegmentsMax = 8;
inline constexpr size_t kQueryParametersMax = 16;

struct Route {
  std::string http_method;  // "GET" or "POST"
  std::string path_template;
  // Each segment a literal, or a variable: the field path it binds.
  struct Segment {
    std::string literal;
    std::string field_path;  // non-empty for a variable
  };
  std::vector<Segment> segments;
  std::string verb;   // after ':' in the last segment; "" for none
  bool body = false;  // body: "*": the request is the JSON body
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string grpc_path;  // "/alliance.v1.QueryService/GetConsortium"
};

struct RouteMatch {
  const Route* route = nullptr;
  // Field path of each variable, and the segment it matched (percent-decoded).
  std::vector<std::pair<std::string, std::string>> bindings;
};

class Routes {
 public:
  // The routes of every unary method with a google.api.http option in
  // `services`. INVALID_ARGUMENT naming the method for a rule this server
  // cannot serve, or two rules of one method and path.
  static absl::StatusOr<Routes> FromServices(
      absl::Span<const google::protobuf::ServiceDescriptor* const> services);

  // The route `http_method` `path` matches, with its bindings; nullopt when
  // none does. `path` excludes the query string.
  std::optional<RouteMatch> Match(absl::string_view http_method, absl::string_view path) const;
  // Whether a route matches `path` with another method (405, not 404).
  bool MatchesOtherMethod(absl::string_view http_method, absl::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// Builds `request` (of the route's method's input type): the JSON body when
// the route takes one (unknown fields refused), then each query parameter
// (a field path, in proto or JSON names, of a singular field), then the
// path's bindings, which must agree with what the body says. Each a
// INVALID_ARGUMENT naming what does not fit, with a BadRequest for the field.
absl::Status BuildRequest(const RouteMatch& match, absl::string_view body,
                          const std::multimap<std::string, std::string>& query,
                          google::protobuf::Message* request);

}  // namespace alliance::http

#endif  // ALLIANCE_SERVICES_HTTP_ROUTES_H_
