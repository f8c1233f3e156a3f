#!/usr/bin/env bash
# The full benchmark: installs what is missing (PostgreSQL 15 too), builds
# ledger_bench, bench_empty_server and allianced into build/ (or
# $BENCH_BUILD_DIR), starts a private PostgreSQL on 127.0.0.1 (a temporary
# folder, a free port, fsync and synchronous_commit on), runs ledger_bench
# against both, writes tests/bench/REPORT.md, and stops and removes
# PostgreSQL however it ends. Takes a few minutes.
#
#   tests/bench/run.sh                 # the run REPORT.md comes from
#   tests/bench/run.sh --seconds=10    # extra flags go to ledger_bench
#   BENCH_BUILD_DIR=build-bench tests/bench/run.sh --report=/tmp/r.md
#                                      # another build folder (a second
#                                      # checkout's); a later --report wins
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../deploy/lib.sh"
cd "$ALLIANCE_ROOT"

# The build folder, relative to the checkout: build/ unless the caller keeps
# another (a worktree building beside someone else's build/).
BUILD_DIR="${BENCH_BUILD_DIR:-build}"
PG_BIN=/usr/lib/postgresql/15/bin
# Tries before giving up on finding a free port.
PORT_TRIES=50

ensure_packages
# The peer: Debian 12's PostgreSQL (postgresql depends on postgresql-15).
if ! dpkg -s postgresql >/dev/null 2>&1; then
  echo "== packages: installing postgresql"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql
fi

echo "== build ($BUILD_DIR/): ledger_bench bench_empty_server allianced"
build "$BUILD_DIR" -- ledger_bench bench_empty_server allianced

# initdb refuses to run as root: as root, run PostgreSQL as the postgres
# system user (the package creates it; create it if it is missing).
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  as_pg() { runuser -u postgres -- "$@"; }
fi

pg_dir="$(mktemp -d /tmp/ledger-bench-pg-XXXXXX)"
[ "$(id -u)" -eq 0 ] && chown postgres: "$pg_dir"
pg_started=0
cleanup() {
  if ((pg_started)); then
    (cd "$pg_dir" && as_pg "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null) || true
  fi
  rm -rf "$pg_dir"
}
trap cleanup EXIT

# A port nothing listens on: a refused connection means free.
port=""
for _ in $(seq "$PORT_TRIES"); do
  candidate=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "no free port on 127.0.0.1" >&2; exit 1; }

echo "== PostgreSQL 15 in $pg_dir on 127.0.0.1:$port"
# The postgres user may not read root's working directory: run from pg_dir.
(cd "$pg_dir" && as_pg "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres --auth=trust \
  --encoding=UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log")
(cd "$pg_dir" && as_pg "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg_dir -c fsync=on -c synchronous_commit=on" \
  start >/dev/null)
pg_started=1

echo "== ledger_bench"
# The report names the command and the source it measured.
revision="${BENCH_REVISION:-$(git -C "$ALLIANCE_ROOT" describe --always --dirty 2>/dev/null || echo unknown)}"
BENCH_COMMAND="tests/bench/run.sh${*:+ $*}" BENCH_REVISION="$revision" "$BUILD_DIR/tests/bench/ledger_bench" \
  --pg="host=127.0.0.1 port=$port user=postgres dbname=postgres" \
  --report=tests/bench/REPORT.md "$@"
