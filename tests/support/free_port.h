// FreePort: a loopback port nobody listens on now, for the tests, the crash
// check and the benchmark that spawn allianced on one. Another process may
// take it before allianced binds it; a spawn that fails to bind says so.
#ifndef ALLIANCE_TESTS_SUPPORT_FREE_PORT_H_
#define ALLIANCE_TESTS_SUPPORT_FREE_PORT_H_

namespace alliance::testing {

// Binds 127.0.0.1:0, reads the port the kernel chose, closes. 0 on failure.
int FreePort();

}  // namespace alliance::testing

#endif  // ALLIANCE_TESTS_SUPPORT_FREE_PORT_H_
