#!/usr/bin/env bash
# deploy/token.sh DIR NAME...: a bearer token for each identity NAME, for
# callers of the JSON/HTTP face that cannot present a client certificate
# (scripts, browsers). Writes DIR/NAME.token (mode 600: the token is the
# identity, like a key) unless it exists, and prints one line per name:
#
#   NAME token_sha256: "<64 hex digits>"
#
# Add that field to NAME's entry of the identity registry
# (var/identities.textpb); the server keeps only the hash. deploy/run.sh
# does both for every development identity. Revoke a token by deleting its
# token_sha256 from the registry (re-read within seconds).
set -euo pipefail
if (($# < 2)); then
  echo "usage: deploy/token.sh DIR NAME..." >&2
  exit 2
fi
dir="$1"; shift
mkdir -p "$dir"
for name in "$@"; do
  file="$dir/$name.token"
  if [ ! -s "$file" ]; then
    (umask 077 && openssl rand -hex 32 > "$file")
  fi
  hash=$(tr -d '\n' < "$file" | openssl dgst -sha256 -r | cut -d' ' -f1)
  echo "$name token_sha256: \"$hash\""
done
