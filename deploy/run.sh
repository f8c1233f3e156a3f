#!/usr/bin/env bash
# Installs what is missing, builds, and starts allianced on an embedded
# RocksDB store under the repo (var/store). An empty store is loaded with the
# 2023 program and its three consortia; a store with events is kept as it is.
# Ctrl-C (or SIGTERM) stops the server cleanly.
#
# The audit tree's heads are signed with an Ed25519 key, var/keys/tree-head.pem,
# created with openssl on the first start (keep it: auditors pin its public
# half, `alliancectl audit key`).
#
# The server speaks mutual TLS only. On the first start this creates a
# development CA and certificates with openssl (deploy/pki.sh): var/pki/ca.crt,
# var/pki/server.{crt,key} for localhost and 127.0.0.1, and
# var/pki/<name>.{crt,key} for every identity of var/identities.textpb (copied
# from deploy/identities.textpb), with the method policy var/authz-policy.json
# (from deploy/authz-policy.json). Edit the var/ copies: allianced re-reads
# them within seconds; `deploy/pki.sh var/pki <name>` certifies a new name.
#
# The JSON/HTTP API and the status page are served over HTTPS on
# ALLIANCE_HTTP_LISTEN with the same certificates. For callers without a
# certificate (curl scripts, a browser) every identity gets a bearer token on
# the first start (deploy/token.sh): var/tokens/<name>.token, its SHA-256 in
# var/identities.textpb.
#
#   ALLIANCE_LISTEN=127.0.0.1:50051  where to serve gRPC
#   ALLIANCE_HTTP_LISTEN=127.0.0.1:8443  where to serve JSON/HTTP and the status page
#   ALLIANCE_DATA_DIR=var/store      where the store lives
#   ALLIANCE_TREE_HEAD_KEY=var/keys/tree-head.pem  the signing key
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ALLIANCE_ROOT"

ensure_packages
echo "== build (build/)"
build build -- allianced alliancectl alliance_python

listen="${ALLIANCE_LISTEN:-127.0.0.1:50051}"
http_listen="${ALLIANCE_HTTP_LISTEN:-127.0.0.1:8443}"
data_dir="${ALLIANCE_DATA_DIR:-$ALLIANCE_ROOT/var/store}"
mkdir -p "$(dirname "$data_dir")"
ctl=(build/clients/alliancectl "--server=$listen" "--pki_dir=$ALLIANCE_ROOT/var/pki"
     "--identities=$ALLIANCE_ROOT/var/identities.textpb")

tree_head_key="${ALLIANCE_TREE_HEAD_KEY:-$ALLIANCE_ROOT/var/keys/tree-head.pem}"
if [ ! -f "$tree_head_key" ]; then
  echo "== first start: creating the tree-head signing key $tree_head_key"
  mkdir -p "$(dirname "$tree_head_key")"
  (umask 077 && openssl genpkey -algorithm ed25519 -out "$tree_head_key")
fi

identities="$ALLIANCE_ROOT/var/identities.textpb"
policy="$ALLIANCE_ROOT/var/authz-policy.json"
pki="$ALLIANCE_ROOT/var/pki"
[ -f "$identities" ] || cp deploy/identities.textpb "$identities"
[ -f "$policy" ] || cp deploy/authz-policy.json "$policy"
if [ ! -f "$pki/ca.crt" ]; then
  echo "== first start: creating the development CA and certificates in $pki"
fi
# A certificate for every registered name that has none yet.
mapfile -t names < <(grep -o 'name: *"[a-z0-9-]*"' "$identities" | sed 's/.*"\(.*\)"/\1/')
deploy/pki.sh "$pki" "${names[@]}"
# A bearer token for every registered name, its hash in the registry.
tokens="$ALLIANCE_ROOT/var/tokens"
while read -r name field; do
  grep -qF "$field" "$identities" || sed -i "s/name: *\"$name\"/& $field/" "$identities"
done < <(deploy/token.sh "$tokens" "${names[@]}")

echo "== starting allianced on $listen (mutual TLS) and https://$http_listen with store $data_dir"
build/services/allianced --data_dir="$data_dir" --listen="$listen" --http_listen="$http_listen" \
  --tree_head_key="$tree_head_key" --identities="$identities" --authz_policy="$policy" \
  --tls_cert="$pki/server.crt" --tls_key="$pki/server.key" --tls_client_ca="$pki/ca.crt" &
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
  echo "   (each command sent as the identity whose role records it: ministry, kiat, the lead universities)"
  "${ctl[@]}" seed
fi

cat <<TXT

allianced is serving on $listen over mutual TLS (store: $data_dir). In another
terminal (alliancectl calls as --identity=kiat from var/pki unless told otherwise):

  build/clients/alliancectl list                                   # the consortia
  build/clients/alliancectl status chungnam-future-vehicles        # one consortium
  build/clients/alliancectl program alliance-2023                  # the program's totals
  build/clients/alliancectl participant 3128195582                 # Conex: consortia and hires
  build/clients/alliancectl disburse --consortium=gyeongnam-metal-3d-printing \\
      --year=2024 --amount_krw=690000000 --reference=KIAT-2024-GN-002
  build/clients/alliancectl events --stream=consortium-chungnam-future-vehicles
  build/clients/alliancectl --json status ulsan-secondary-batteries
  build/clients/alliancectl --identity=chungnam list                # a region sees its own
  build/clients/alliancectl --identity=ministry disburse --consortium=gyeongnam-metal-3d-printing \\
      --year=2024 --amount_krw=1000 --reference=X-1         # refused: ROLE_MAY_NOT_DISBURSE_FUNDS
  build/clients/alliancectl audit key --pin_key=\$HOME/.alliance/tree-head-key.pem  # pin, once
  build/clients/alliancectl audit head                             # signed head, proved consistent
  build/clients/alliancectl audit prove 3                          # event 3 is in that tree
  build/clients/alliancectl audit verify                           # the whole log recomputed

The same over JSON/HTTP (https://$http_listen, AIP-127 routes), with a client certificate
or a bearer token:

  curl --cacert var/pki/ca.crt -H "Authorization: Bearer \$(cat var/tokens/kiat.token)" \\
      https://localhost:${http_listen##*:}/v1/consortia/chungnam-future-vehicles
  curl --cacert var/pki/ca.crt --cert var/pki/kiat.crt --key var/pki/kiat.key \\
      'https://localhost:${http_listen##*:}/v1/consortia?region_code=KR-44'

The status page, for program officers: https://localhost:${http_listen##*:}/#token=\$(cat var/tokens/kiat.token)
(the browser must trust var/pki/ca.crt, the development CA; the token stays in the tab).

Ctrl-C stops the server (in-flight calls finish, the store is closed).
TXT
wait "$server_pid"
