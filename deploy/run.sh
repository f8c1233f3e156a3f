#!/usr/bin/env bash
# Installs what is missing, builds, and starts allianced on an embedded
# RocksDB store under the repo (var/store). An empty store is loaded with the
# 2023 program and its three consortia; a store with events is kept as it is.
# Ctrl-C (or SIGTERM) stops the server cleanly.
#
#   ALLIANCE_LISTEN=127.0.0.1:50051  where to serve
#   ALLIANCE_DATA_DIR=var/store      where the store lives
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALLIANCE_ROOT"

ensure_packages
echo "== build (build/)"
build build -- allianced alliancectl

listen="${ALLIANCE_LISTEN:-127.0.0.1:50051}"
data_dir="${ALLIANCE_DATA_DIR:-$ALLIANCE_ROOT/var/store}"
mkdir -p "$(dirname "$data_dir")"
ctl=(build/clients/alliancectl "--server=$listen")

echo "== starting allianced on $listen with store $data_dir"
build/services/allianced --data_dir="$data_dir" --listen="$listen" &
server_pid=$!
trap 'kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" || true' INT TERM

ready=""
for _ in $(seq 1 100); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "allianced exited before serving: see its message above" >&2
    exit 1
  fi
  if "${ctl[@]}" events --max=1 --json >/dev/null 2>&1; then ready=yes; break; fi
  sleep 0.2
done
if [ -z "$ready" ]; then
  echo "allianced did not answer on $listen within 20 s" >&2
  kill -TERM "$server_pid"; wait "$server_pid" || true
  exit 1
fi

if "${ctl[@]}" events --max=1 --json | grep -q '"globalPosition"'; then
  echo "== store has events: keeping them (delete $data_dir to start over)"
else
  echo "== empty store: loading the 2023 program, its three consortia and an illustrative continuation"
  "${ctl[@]}" seed
fi

cat <<TXT

allianced is serving on $listen (store: $data_dir). In another terminal:

  build/clients/alliancectl list                                   # the consortia
  build/clients/alliancectl status chungnam-future-vehicles        # one consortium
  build/clients/alliancectl program alliance-2023                  # the program's totals
  build/clients/alliancectl participant 3128195582                 # Conex: consortia and hires
  build/clients/alliancectl disburse --consortium=gyeongnam-metal-3d-printing \\
      --year=2024 --amount_krw=690000000 --reference=KIAT-2024-GN-002
  build/clients/alliancectl events --stream=consortium-chungnam-future-vehicles
  build/clients/alliancectl --json status ulsan-secondary-batteries

Ctrl-C stops the server (in-flight calls finish, the store is closed).
TXT
wait "$server_pid"
