#!/usr/bin/env bash
# The long crash run: builds crash_check and allianced into build/, then
# SIGKILLs allianced under concurrent writers for many cycles and checks
# after each that every acknowledged command survived exactly once and the
# read models equal a rebuild from the log (tests/crash/crash_check.cc).
#
#   tests/crash/run.sh                      # 50 cycles, a random seed (printed)
#   tests/crash/run.sh --cycles=200 --seed=12345 --writers=16
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../deploy/lib.sh"
cd "$ALLIANCE_ROOT"

ensure_packages
build build -- crash_check allianced
# Later arguments override the default cycle count (absl flags: last wins).
exec build/tests/crash/crash_check --cycles=50 "$@"
