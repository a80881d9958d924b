#!/bin/sh
# Regenerates the JWK (private) files from the PEM keys in this folder, for the tests' JWT
# signing round trips: EC P-256/384/521 and Ed25519 (RSA's JWK comes from
# crypto.x509.parse_rsa_private_key at test time). Needs the openssl CLI and python3.
set -e
cd "$(dirname "$0")"
jwk() { # key-file kty crv bytes-per-coordinate
    openssl pkey -in "$1" -noout -text | python3 -c '
import sys, base64, re
kty, crv, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = sys.stdin.read()
def block(name):
    m = re.search(name + r":\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
    return bytes.fromhex(re.sub(r"[\s:]", "", m.group(1)))
u = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
priv, pub = block("priv"), block("pub")
if kty == "EC":
    priv = priv.lstrip(b"\0").rjust(n, b"\0"); pub = pub[1:]
    print("{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"%s\"}" % (crv, u(pub[:n]), u(pub[n:]), u(priv)))
else:
    print("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"d\":\"%s\"}" % (u(pub), u(priv)))
' "$2" "$3" "$4"
}
jwk ec-p256.key EC P-256 32 > ec-p256.jwk
jwk ec-p384.key EC P-384 48 > ec-p384.jwk
jwk ec-p521.key EC P-521 66 > ec-p521.jwk
jwk ed25519.key OKP Ed25519 32 > ed25519.jwk
