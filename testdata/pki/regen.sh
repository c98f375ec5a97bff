#!/usr/bin/env bash
# Regenerates the openssl-made TLS fixtures (what rcgen with ring cannot make, and rustls cannot
# serve): a SHA-1-signed leaf, an RSA-1024 leaf, and an RSA-2048 leaf for an old-TLS server.
# Dates are explicit (around 2026-11-25, the clock the tests run at); nothing here is secret.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/index.txt"
echo 1000 > "$work/serial"
cat > "$work/ca.cnf" <<CNF
[ ca ]
default_ca = fixture
[ fixture ]
dir = $work
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:ota.acme-apps.test
CNF

# the fixture root (RSA 2048, SHA-256, self-signed), 2026-01-01 → 2036-01-01
openssl genrsa -out "$work/root.key" 2048 2>/dev/null
openssl req -new -key "$work/root.key" -subj "/CN=otadoctor fixture root" -out "$work/root.csr" 2>/dev/null
cat >> "$work/ca.cnf" <<CNF
[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF
openssl ca -batch -config "$work/ca.cnf" -selfsign -keyfile "$work/root.key" -in "$work/root.csr" \
  -extensions root -md sha256 -startdate 20260101000000Z -enddate 20360101000000Z -notext -out root.pem 2>/dev/null

leaf() { # name keyspec digest
  local name=$1 keyspec=$2 digest=$3
  if [ "$keyspec" = ec ]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$work/$name.raw" 2>/dev/null
  else
    openssl genrsa -out "$work/$name.raw" "$keyspec" 2>/dev/null
  fi
  openssl pkcs8 -topk8 -nocrypt -in "$work/$name.raw" -out "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=ota.acme-apps.test" -out "$work/$name.csr" 2>/dev/null
  openssl ca -batch -config "$work/ca.cnf" -cert root.pem -keyfile "$work/root.key" -in "$work/$name.csr" \
    -extensions leaf -md "$digest" -startdate 20261101000000Z -enddate 20270130000000Z -notext \
    -out "$name.pem" 2>/dev/null
}
# SHA-1 signature on an EC leaf (rustls can serve it; webpki and iOS refuse the signature)
leaf sha1-leaf ec sha1
# a 1024-bit RSA leaf (the ring-backed rustls server refuses the key: served by openssl s_server)
leaf rsa1024-leaf 1024 sha256
# a sound RSA-2048 leaf for the old-TLS (1.0/1.1-only) openssl s_server
leaf rsa2048-leaf 2048 sha256
echo "regenerated: root.pem sha1-leaf.* rsa1024-leaf.* rsa2048-leaf.*"
