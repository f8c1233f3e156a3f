// CallUnaryBytes: one unary call by method name with the request and the
// reply as bytes (grpc::GenericStub), for the tests that send what no
// generated stub would (malformed or empty bytes, a method by its path) or
// that must not link the generated stubs (allianced_process.h says why).
#ifndef ALLIANCE_TESTS_SUPPORT_UNARY_BYTES_H_
#define ALLIANCE_TESTS_SUPPORT_UNARY_BYTES_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>
#include <string>

namespace alliance::testing {

// Calls `method` ("/package.Service/Method") on `channel` with `request`
// (zero bytes are a message too), waiting at most `deadline` from now; the
// reply's bytes into `reply` when the call succeeds and `reply` is given.
grpc::Status CallUnaryBytes(const std::shared_ptr<grpc::Channel>& channel,
                            const std::string& method, const std::string& request,
                            std::chrono::milliseconds deadline, std::string* reply = nullptr);

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SUPPORT_UNARY_BYTES_H_
