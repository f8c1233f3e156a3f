# Shared by deploy/run.sh and deploy/test.sh: install what is missing, build.
# Sourced, not run.

# Debian 12 packages the project builds and tests with. libssl-dev: SHA-256 of
# command fingerprints; golang-github-gogo-googleapis-dev: google/rpc/*.proto
# for error details; grpc-proto: the reflection .proto the reflection test
# uses as a client; libpq-dev: the benchmark's PostgreSQL peer
# (tests/bench/run.sh installs the server itself); clang: the thread-safety
# analysis of deploy/test.sh (-Wthread-safety); uuid-dev: the clients' event
# ids (libuuid, from the kernel's random source); openssl: the command-line
# tool deploy/run.sh creates the tree-head signing key with (the tests use it
# too); libcpp-httplib-dev: the JSON/HTTP face; libjs-chart.js: the status
# page's charts (served from the build, no CDN); python3-grpcio,
# python3-grpc-tools, python3-protobuf: the Python client in clients/python,
# whose stubs the build generates.
ALLIANCE_PACKAGES=(
  cmake g++ ninja-build pkg-config clang-format clang
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libgtest-dev libspdlog-dev libssl-dev
  golang-github-gogo-googleapis-dev grpc-proto libpq-dev uuid-dev openssl
  libcpp-httplib-dev libjs-chart.js python3-grpcio python3-grpc-tools python3-protobuf
)
# Only the tests need these: pytest for the Python client's tests, and a
# headless Chromium driven by Selenium for the status page's test, with a
# Korean font (fonts-nanum) so its screenshot shows the labels.
ALLIANCE_TEST_PACKAGES=(python3-pytest python3-selenium chromium chromium-driver fonts-nanum)

ALLIANCE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Installs only the packages dpkg does not report installed; runs apt-get
# update once, before the first install, as a fresh machine needs.
# `ensure_packages test` adds ALLIANCE_TEST_PACKAGES.
ensure_packages() {
  local wanted=("${ALLIANCE_PACKAGES[@]}")
  [ "${1:-}" = "test" ] && wanted+=("${ALLIANCE_TEST_PACKAGES[@]}")
  local missing=()
  for p in "${wanted[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    echo "== packages: all ${#wanted[@]} present"
    return 0
  fi
  echo "== packages: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# build DIR [CMAKE_ARGS...] -- [TARGETS...]: configures once, then builds
# incrementally; a second run reuses the folder.
build() {
  local dir="$1"; shift
  local cmake_args=() targets=()
  while (($#)); do
    if [ "$1" = "--" ]; then shift; targets=("$@"); break; fi
    cmake_args+=("$1"); shift
  done
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$ALLIANCE_ROOT" -B "$dir" -G Ninja "${cmake_args[@]}"
  fi
  cmake --build "$dir" -j "$(nproc)" ${targets:+--target "${targets[@]}"}
}
