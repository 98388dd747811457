#!/usr/bin/env bash
# Makes a private CA and the certificates for running eis-server over TLS on this machine.
#
#   examples/make-certs.sh [OUTDIR]        (default: examples/certs/, which git ignores)
#
# Writes, all with EC P-256 keys:
#   ca.pem, ca-key.pem           a CA that signs the two certificates below (10 years)
#   server.pem, server-key.pem   a server certificate for IP 127.0.0.1 and DNS localhost (1 year),
#                                used by every example server
#   client.pem, client-key.pem   a client certificate (clientAuth) for mutual TLS (1 year)
#   extensions.cnf               the X.509 extensions of each kind (sections ca, server, client),
#                                for issuing more certificates like these with openssl -extfile
# and prints the SPKI pin of the server key in libcurl's format, sha256//BASE64.
#
# Example:
#   eis-server --model models/demo.safetensors --listen 127.0.0.1:9101 \
#     --tls-cert examples/certs/server.pem --tls-key examples/certs/server-key.pem \
#     --client-ca examples/certs/ca.pem
#   curl --cacert examples/certs/ca.pem --cert examples/certs/client.pem \
#     --key examples/certs/client-key.pem https://127.0.0.1:9101/healthz
#
# The keys are for testing and demos. Never commit them; for real deployments use your own CA.
set -euo pipefail

outdir="${1:-$(dirname "$0")/certs}"
mkdir -p "$outdir"
cd "$outdir"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Extensions, one section per kind of certificate.
cat >extensions.cnf <<'EOF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# quiet COMMAND...: runs COMMAND, showing its stderr only when it fails (openssl x509 -req chats).
quiet() {
    "$@" 2>"$work/stderr" || { cat "$work/stderr" >&2; return 1; }
}

# new_key FILE: an EC P-256 private key (PKCS#8 PEM).
new_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
}

# issue NAME SUBJECT SECTION DAYS: NAME-key.pem and NAME.pem, signed by ca.pem.
issue() {
    new_key "$1-key.pem"
    openssl req -new -key "$1-key.pem" -subj "$2" -out "$work/$1.csr"
    quiet openssl x509 -req -in "$work/$1.csr" -CA ca.pem -CAkey ca-key.pem \
        -set_serial "0x$(openssl rand -hex 16)" -days "$4" -sha256 \
        -extfile extensions.cnf -extensions "$3" -out "$1.pem"
}

new_key ca-key.pem
openssl req -new -key ca-key.pem -subj "/CN=EIS example CA" -out "$work/ca.csr"
quiet openssl x509 -req -in "$work/ca.csr" -signkey ca-key.pem \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 \
    -extfile extensions.cnf -extensions ca -out ca.pem

issue server "/CN=localhost" server 365
issue client "/CN=eis-gateway" client 365

# Certificates are public; keys stay readable by their owner only (umask above).
chmod 644 ca.pem server.pem client.pem

pin="sha256//$(openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der \
    | openssl dgst -sha256 -binary | openssl enc -base64)"

echo "wrote ca.pem, server.pem, client.pem, their keys and extensions.cnf to $(pwd)"
echo "server SPKI pin (libcurl's pinned public key): $pin"
