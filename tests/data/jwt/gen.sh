#!/bin/sh
# Regenerates the test-only keys of this folder with the openssl CLI (run once; the output
# is committed, and test_jwt.c's expectations do not depend on the key bytes).
set -eu
cd "$(dirname "$0")"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-b.pem 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out rsa512.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec256.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec256-b.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out ec521.pem
openssl genpkey -algorithm ED25519 -out ed25519.pem
openssl genpkey -algorithm ED25519 -out ed25519-b.pem
for k in rsa rsa-b rsa512 ec256 ec256-b ec384 ec521 ed25519 ed25519-b; do
    openssl pkey -in $k.pem -pubout -out $k.pub.pem
done
openssl rand -base64 48 | tr -d '\n' > hs.secret   # 64 characters: enough for HS512

rsa_jwk() { # kid file [extra members]
    n=$(openssl rsa -in "$2" -noout -modulus | cut -d= -f2 | xxd -r -p | b64url)
    printf '{"kty":"RSA","kid":"%s",%s"n":"%s","e":"AQAB"}' "$1" "${3:-\"use\":\"sig\",}" "$n"
}
ec_jwk() { # kid file crv point-bytes
    pt=$(openssl pkey -in "$2" -pubout -outform DER | tail -c "$4" | tail -c +2 | xxd -p | tr -d '\n')
    half=$(( (${#pt}) / 2 ))
    x=$(printf %s "$pt" | cut -c1-$half | xxd -r -p | b64url)
    y=$(printf %s "$pt" | cut -c$((half + 1))- | xxd -r -p | b64url)
    printf '{"kty":"EC","kid":"%s","crv":"%s","x":"%s","y":"%s"}' "$1" "$3" "$x" "$y"
}
ed_jwk() { # kid file
    x=$(openssl pkey -in "$2" -pubout -outform DER | tail -c 32 | b64url)
    printf '{"kty":"OKP","kid":"%s","crv":"Ed25519","x":"%s"}' "$1" "$x"
}
{
    printf '{"keys":[\n'
    rsa_jwk rsa-1 rsa.pem; printf ',\n'
    rsa_jwk rsa-weak rsa512.pem; printf ',\n'
    ec_jwk ec-256 ec256.pem P-256 65; printf ',\n'
    ec_jwk ec-384 ec384.pem P-384 97; printf ',\n'
    ec_jwk ec-521 ec521.pem P-521 133; printf ',\n'
    ed_jwk ed-1 ed25519.pem; printf ',\n'
    rsa_jwk enc-1 rsa-b.pem '"use":"enc",'; printf ',\n'            # kept, never for JWS
    rsa_jwk oaep-1 rsa-b.pem '"alg":"RSA-OAEP",'; printf ',\n'     # skipped: not a JWS alg
    printf '{"kty":"EC","kid":"k1","crv":"secp256k1","x":"AA","y":"AA"}\n' # skipped: curve
    printf ']}\n'
} > jwks.json
