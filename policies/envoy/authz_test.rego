# Tests for the Envoy ext_authz example: run with `gatehouse test policies/`.
#
# Every token is minted here with io.jwt.encode_sign, from the tests' own key and settings
# (given with `with data.envoy.jwt as ...`), so nothing depends on data.json's values or on
# where it lands, and expiry is always relative to the current time.
package envoy.authz_test

import rego.v1

import data.envoy.authz

settings := {
	"issuer": "https://issuer.test",
	"audience": "test-api",
	"algorithm": "HS256",
	"secret": "test-only-secret-3f9c1b",
}

signing_key := {"kty": "oct", "k": base64url.encode_no_pad(settings.secret)}

public_routes := [{"method": "GET", "path": "/health"}]

grants := {
	"guest": [{"methods": ["GET"], "path": "/api/v1/products/*"}],
	"customer": [
		{"methods": ["GET"], "path": "/api/v1/products/*"},
		{"methods": ["GET", "POST"], "path": "/api/v1/orders"},
	],
	"admin": [{"methods": ["GET", "POST", "PUT", "PATCH", "DELETE"], "path": "/api/v1/**"}],
}

now := floor(time.now_ns() / 1000000000)

# The claims of a token for sub with role, valid for five minutes; extra overrides them.
claims(sub, role, extra) := object.union(
	{
		"iss": settings.issuer,
		"aud": settings.audience,
		"sub": sub,
		"role": role,
		"iat": now,
		"exp": now + 300,
	},
	extra,
)

sign(payload, key) := io.jwt.encode_sign({"typ": "JWT", "alg": "HS256"}, payload, key)

token(sub, role, extra) := sign(claims(sub, role, extra), signing_key)

bearer(t) := {"authorization": concat(" ", ["Bearer", t])}

# The ext_authz input as opa-envoy-plugin builds it from Envoy's CheckRequest.
envoy_input(method, path, headers) := {
	"attributes": {"request": {"http": {
		"method": method,
		"path": path,
		"headers": headers,
		"host": "shop.test",
		"protocol": "HTTP/1.1",
	}}},
	"parsed_path": split(trim_prefix(split(path, "?")[0], "/"), "/"),
	"parsed_query": {},
	"version": {"ext_authz": "v3", "encoding": "protojson"},
}

# The decision for one request, with the tests' settings as base documents.
decide(method, path, headers) := d if {
	d := authz.allow with input as envoy_input(method, path, headers)
		with data.envoy.jwt as settings
		with data.envoy.public as public_routes
		with data.envoy.grants as grants
}

json_headers := {"content-type": "application/json"}

challenge := {"content-type": "application/json", "www-authenticate": `Bearer realm="test-api"`}

# ---- allowed ----

test_public_route_needs_no_token if {
	d := decide("GET", "/health", {})
	d == {"allowed": true, "headers": {}, "request_headers_to_remove": ["authorization"]}
}

test_guest_reads_a_product if {
	d := decide("GET", "/api/v1/products/42", bearer(token("ann", "guest", {})))
	d == {
		"allowed": true,
		"headers": {"x-user-id": "ann", "x-user-role": "guest"},
		"request_headers_to_remove": ["authorization"],
	}
}

test_query_string_is_not_part_of_the_path if {
	decide("GET", "/api/v1/products/42?currency=eur", bearer(token("ann", "guest", {}))).allowed
}

test_scheme_is_case_insensitive if {
	t := token("ann", "guest", {})
	decide("GET", "/api/v1/products/42", {"authorization": concat(" ", ["bearer", t])}).allowed
}

test_customer_places_an_order if {
	decide("POST", "/api/v1/orders", bearer(token("cid", "customer", {}))).allowed
}

test_admin_deletes_below_api if {
	decide("DELETE", "/api/v1/orders/7/items/1", bearer(token("root", "admin", {}))).allowed
}

test_user_reads_and_edits_own_profile if {
	t := token("ann", "guest", {})
	decide("GET", "/api/v1/users/ann", bearer(t)).allowed
	decide("PATCH", "/api/v1/users/ann", bearer(t)).allowed
}

# ---- 401: no usable token ----

test_missing_token if {
	d := decide("GET", "/api/v1/products/42", {})
	d == {
		"allowed": false,
		"http_status": 401,
		"headers": challenge,
		"body": `{"error":"missing bearer token"}`,
	}
}

test_basic_credentials_are_not_a_bearer_token if {
	d := decide("GET", "/api/v1/products/42", {"authorization": "Basic YW5uOnNlY3JldA=="})
	d.http_status == 401
	d.body == `{"error":"missing bearer token"}`
}

test_public_route_with_another_method_needs_a_token if {
	decide("POST", "/health", {}).http_status == 401
}

test_token_signed_with_another_key if {
	other := {"kty": "oct", "k": base64url.encode_no_pad("not-the-configured-secret")}
	d := decide("GET", "/api/v1/products/42", bearer(sign(claims("ann", "guest", {}), other)))
	d == {"allowed": false, "http_status": 401, "headers": challenge, "body": `{"error":"invalid token"}`}
}

test_tampered_claims if {
	[header, _, signature] := split(token("ann", "guest", {}), ".")
	forged := base64url.encode_no_pad(json.marshal(claims("ann", "admin", {})))
	d := decide("DELETE", "/api/v1/orders/7", bearer(concat(".", [header, forged, signature])))
	d.http_status == 401
	d.body == `{"error":"invalid token"}`
}

test_expired_token if {
	t := token("ann", "guest", {"iat": now - 600, "exp": now - 60})
	d := decide("GET", "/api/v1/products/42", bearer(t))
	d == {"allowed": false, "http_status": 401, "headers": challenge, "body": `{"error":"token expired"}`}
}

test_token_not_yet_valid if {
	t := token("ann", "guest", {"nbf": now + 600})
	decide("GET", "/api/v1/products/42", bearer(t)).body == `{"error":"invalid token"}`
}

test_wrong_issuer if {
	t := token("ann", "guest", {"iss": "https://someone-else.test"})
	decide("GET", "/api/v1/products/42", bearer(t)).body == `{"error":"invalid token"}`
}

test_wrong_audience if {
	t := token("ann", "guest", {"aud": "another-api"})
	decide("GET", "/api/v1/products/42", bearer(t)).body == `{"error":"invalid token"}`
}

test_wrong_algorithm if {
	t := io.jwt.encode_sign({"typ": "JWT", "alg": "HS512"}, claims("ann", "guest", {}), signing_key)
	decide("GET", "/api/v1/products/42", bearer(t)).http_status == 401
}

test_garbage_token if {
	d := decide("GET", "/api/v1/products/42", {"authorization": "Bearer not.a.jwt"})
	d.http_status == 401
	d.body == `{"error":"invalid token"}`
}

# ---- 403: a valid token, but not for this ----

test_wrong_method if {
	d := decide("POST", "/api/v1/products/42", bearer(token("cid", "customer", {})))
	d == {
		"allowed": false,
		"http_status": 403,
		"headers": json_headers,
		"body": `{"error":"POST /api/v1/products/42 is not allowed for role customer"}`,
	}
}

test_guest_cannot_list_orders if {
	d := decide("GET", "/api/v1/orders", bearer(token("ann", "guest", {})))
	d.http_status == 403
}

test_glob_star_is_one_segment if {
	d := decide("GET", "/api/v1/products/42/reviews", bearer(token("ann", "guest", {})))
	d.http_status == 403
}

test_admin_nothing_outside_api if {
	decide("GET", "/internal/debug", bearer(token("root", "admin", {}))).http_status == 403
}

test_someone_elses_profile if {
	d := decide("GET", "/api/v1/users/bob", bearer(token("ann", "guest", {})))
	d.body == `{"error":"GET /api/v1/users/bob is not allowed for role guest"}`
}

test_own_profile_cannot_be_deleted if {
	decide("DELETE", "/api/v1/users/ann", bearer(token("ann", "guest", {}))).http_status == 403
}

test_unknown_role if {
	d := decide("GET", "/api/v1/products/42", bearer(token("eve", "intern", {})))
	d.body == `{"error":"GET /api/v1/products/42 is not allowed for role intern"}`
}

# A token without a role leaves the reason undefined: the default decision still denies.
test_token_without_role_gets_the_default if {
	t := sign(object.remove(claims("ann", "guest", {}), ["role"]), signing_key)
	d := decide("GET", "/api/v1/products/42", bearer(t))
	d == {"allowed": false, "http_status": 403, "headers": json_headers, "body": `{"error":"denied"}`}
}
