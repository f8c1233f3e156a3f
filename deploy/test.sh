#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: once in the normal
# build (build/), once under AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan/), and the concurrent storage tests under ThreadSanitizer
# (build-tsan/). Each build folder is reused by the next run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALLIANCE_ROOT"
start=$(date +%s)

ensure_packages test

echo "== clang-format check (every C++ file and .proto follows .clang-format)"
git ls-files '*.cc' '*.h' '*.proto' | xargs clang-format --dry-run --Werror

echo "== build (build/)"
build build
# The locking the ABSL_GUARDED_BY annotations describe, checked by clang:
# every file with a thread of its own or state shared between threads.
echo "== clang -Wthread-safety over the concurrent code"
for source in services/ledger/ledger.cc services/audit_service.cc services/subscriptions.cc \
  services/access/identity_registry.cc services/access/method_policy.cc storage/tree_store.cc \
  services/http/serving_certificate.cc \
  storage/event_log.cc; do
  clang++ -std=c++20 -fsyntax-only -Wthread-safety -Wthread-safety-beta -Werror \
    -I"$ALLIANCE_ROOT" -I"$ALLIANCE_ROOT/build/proto/gen" "$source"
done
echo "== tests"
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 300
echo "== benchmark smoke (the full run is tests/bench/run.sh)"
build/tests/bench/ledger_bench --smoke
# A script step, not a CTest test, so the sanitizer runs below do not repeat
# it; tests/crash/run.sh is the long run.
echo "== crash check: SIGKILL under concurrent writers, 3 cycles"
build/tests/crash/crash_check --cycles=3

echo "== build with ASan+UBSan (build-asan/)"
build build-asan -DALLIANCE_SANITIZE=address,undefined
# The browser test once only, in build/: what it checks is the page, and
# the JSON/HTTP face it reads is run under the sanitizers by the Python tests.
echo "== tests under ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout 600 -LE browser

echo "== build with TSan (build-tsan/): the ledger core's pipeline, the log's scan pipelines"
build build-tsan -DALLIANCE_SANITIZE=thread -- ledger_test event_log_test event_tree_test
echo "== ledger core tests and the log's scans under TSan"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ALLIANCE_ROOT/tests/storage/tsan.supp"
build-tsan/tests/service/ledger_test
build-tsan/tests/storage/event_log_test --gtest_filter='*ForEachEvent*'
build-tsan/tests/storage/event_tree_test

echo "== all tests passed in $(( $(date +%s) - start )) s"
