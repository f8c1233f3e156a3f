#!/usr/bin/env bash
# Creates a development PKI with openssl, keeping whatever already exists:
#
#   <dir>/ca.crt, ca.key          the development CA (10 years)
#   <dir>/server.crt, server.key  allianced's certificate for localhost and 127.0.0.1
#   <dir>/<name>.crt, <name>.key  a client certificate per identity named on
#                                 the command line, its subject CN=<name> and
#                                 its URI SAN alliance://identity/<name>
#
# allianced takes the caller's identity from that URI SAN (services/access/
# caller.h); identities.textpb gives each name its role.
#
#   deploy/pki.sh var/pki ministry kiat auditor chungnam kongju conex
#
# Keys are ECDSA P-256 (fast to make, which the tests rely on) and readable
# only by their owner. For development and tests only: a real deployment
# uses the agencies' own CA (the GPKI) and never this script.
set -euo pipefail
dir="$1"; shift
mkdir -p "$dir"
cd "$dir"
umask 077

days_ca=3650
# The longest leaf validity clients still accept; the tests make an expired
# certificate with ALLIANCE_PKI_LEAF_DAYS=-1.
days_leaf="${ALLIANCE_PKI_LEAF_DAYS:-825}"

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ ! -f ca.crt ]; then
  new_key ca.key
  openssl req -x509 -new -key ca.key -sha256 -days "$days_ca" \
    -subj "/O=Alliance case ledger (development)/CN=Alliance development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
fi

# sign <name> <CN> <extensions>
sign() {
  local name="$1" cn="$2" ext="$3"
  [ -f "$name.crt" ] && return 0
  new_key "$name.key"
  openssl req -new -key "$name.key" -subj "/O=Alliance case ledger (development)/CN=$cn" \
    -out "$name.csr"
  printf '%s\n' "$ext" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 \
    -days "$days_leaf" -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

sign server localhost "$(printf '%s\n' \
  'basicConstraints=critical,CA:FALSE' \
  'keyUsage=critical,digitalSignature' \
  'extendedKeyUsage=serverAuth' \
  'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1')"

for name in "$@"; do
  sign "$name" "$name" "$(printf '%s\n' \
    'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=clientAuth' \
    "subjectAltName=URI:alliance://identity/$name")"
done
# The certificates are public; the keys stay 0600.
chmod 644 ./*.crt
