#!/usr/bin/env bash
# Profiles one allianced over the 100-event batch point of a ledger_bench run:
# starts the benchmark, attaches `perf record` to the server when the point
# before it (DisburseFunds, 64 in flight) has printed its line, for 6 s, and
# writes <out>.log (the benchmark's output), <out>.data (perf's) and
# <out>.top (the hottest symbols). For REPORT.md's hand-written sections.
#
#   tests/bench/perf_batch.sh build/services/allianced /tmp/perf-after
#   perf report -i /tmp/perf-after.data --children --sort symbol -g none --stdio
set -euo pipefail
binary="$(realpath "$1")"; out="$2"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
build/tests/bench/ledger_bench --allianced="$binary" --seconds=8 --rebuild_events=100000 \
  > "$out.log" 2>&1 &
bench=$!
for _ in $(seq 1 600); do
  grep -q "DisburseFunds, 64 in flight" "$out.log" 2>/dev/null && break
  sleep 0.2
done
pid="$(pgrep -f "^$binary" | head -1)"
sleep 1  # past the point's warm-up
perf record -F 999 -g -p "$pid" -o "$out.data" -- sleep 6 > /dev/null 2>&1
wait "$bench"
perf report -i "$out.data" --no-children --sort dso,symbol -g none --stdio 2>/dev/null |
  grep "%" | head -60 > "$out.top"
