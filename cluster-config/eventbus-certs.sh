#!/usr/bin/env bash
# Makes the PEM files for event-bus TLS with client certificates (cluster.eventBusTls): a CA and a
# node certificate it signs, for both server and client use. Every node may share one node
# certificate, or get its own (run again with another OUT_DIR and the same CA).
#
#   cluster-config/eventbus-certs.sh OUT_DIR [SUBJECT_ALT_NAME ...]
#   e.g. cluster-config/eventbus-certs.sh certs IP:127.0.0.1
#        cluster-config/eventbus-certs.sh certs 'DNS:*.fincloud-hazelcast.fincloud.svc.cluster.local'
#
# Writes OUT_DIR/ca.pem, ca.key (keep it offline), node.pem, node.key. Reuses OUT_DIR/ca.* if there.
# Kubernetes: kubectl -n fincloud create secret generic fincloud-eventbus-tls \
#               --from-file=OUT_DIR/ca.pem --from-file=OUT_DIR/node.pem --from-file=OUT_DIR/node.key
set -euo pipefail
out=${1:?usage: $0 OUT_DIR [SUBJECT_ALT_NAME ...]}
shift
sans=${*:-IP:127.0.0.1}
mkdir -p "$out"
umask 077
if [[ ! -f "$out/ca.key" ]]; then
  openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj "/CN=fincloud-eventbus-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$out/ca.key" -out "$out/ca.pem"
fi
openssl req -newkey rsa:3072 -nodes -subj "/CN=fincloud-node" -keyout "$out/node.key.pkcs" -out "$out/node.csr"
# PKCS#8 key ("BEGIN PRIVATE KEY"), which Vert.x reads.
openssl pkcs8 -topk8 -nocrypt -in "$out/node.key.pkcs" -out "$out/node.key"
rm -f "$out/node.key.pkcs"
printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' \
  "$(echo "$sans" | tr ' ' ',')" >"$out/node.ext"
openssl x509 -req -in "$out/node.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial -days 825 \
  -extfile "$out/node.ext" -out "$out/node.pem"
rm -f "$out/node.csr" "$out/node.ext" "$out/ca.srl"
chmod 644 "$out/ca.pem" "$out/node.pem"
echo "wrote $out/ca.pem $out/node.pem $out/node.key (CA key: $out/ca.key)"
