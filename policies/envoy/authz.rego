# METADATA
# title: Envoy ext_authz example
# description: |
#   Decides the HTTP requests Envoy hands to gatehouse's ext_authz listener, on the input
#   opa-envoy-plugin builds (input.attributes.request.http, input.parsed_path): public
#   routes, a bearer JWT checked against the key, issuer and audience in data.envoy.jwt,
#   role grants by method and path glob, and a per-user route matched on parsed_path.
#   The answer is the plugin's decision object: allowed, headers, http_status, body.
package envoy.authz

import rego.v1

import input.attributes.request.http as req

# Envoy asks for data.envoy.authz.allow (the plugin's default decision path). Should any
# piece below be undefined, the request is denied all the same.
default allow := {
	"allowed": false,
	"http_status": 403,
	"headers": {"content-type": "application/json"},
	"body": "{\"error\":\"denied\"}",
}

# Allowed: the caller's identity goes upstream as headers, the token itself does not.
allow := {
	"allowed": true,
	"headers": upstream_headers,
	"request_headers_to_remove": ["authorization"],
} if {
	permitted
} else := {
	"allowed": false,
	"http_status": status,
	"headers": deny_headers,
	"body": json.marshal({"error": reason}),
}

# The path without its query string (Envoy's :path carries both).
path := split(req.path, "?")[0]

# ---- the token ----

# "Authorization: Bearer <jwt>"; the scheme is case-insensitive (RFC 6750).
bearer := token if {
	[scheme, token] := split(req.headers.authorization, " ")
	lower(scheme) == "bearer"
}

# [valid, header, claims]: signature, algorithm, issuer and audience as configured; exp
# and nbf against the current time.
verified := io.jwt.decode_verify(bearer, {
	"secret": data.envoy.jwt.secret,
	"alg": data.envoy.jwt.algorithm,
	"iss": data.envoy.jwt.issuer,
	"aud": data.envoy.jwt.audience,
})

token_valid if verified[0]

claims := verified[2] if token_valid

# Said apart from other failures so that clients know to refresh rather than sign in again.
expired if {
	[_, payload, _] := io.jwt.decode(bearer)
	payload.exp * 1000000000 <= time.now_ns()
}

# ---- the rules ----

# Public routes need no token.
permitted if {
	some route in data.envoy.public
	req.method == route.method
	path == route.path
}

# A grant of the caller's role names the method and a path glob ("*" one segment, "**" any).
permitted if {
	token_valid
	some grant in data.envoy.grants[claims.role]
	req.method in grant.methods
	glob.match(grant.path, ["/"], path)
}

# Every signed-in user reads and edits their own profile, /api/v1/users/<sub>.
permitted if {
	token_valid
	req.method in {"GET", "PATCH"}
	input.parsed_path == ["api", "v1", "users", claims.sub]
}

# ---- the answer ----

upstream_headers := {"x-user-id": claims.sub, "x-user-role": claims.role} if {
	token_valid
} else := {}

reason := "missing bearer token" if {
	not bearer
} else := "token expired" if {
	expired
} else := "invalid token" if {
	not token_valid
} else := sprintf("%s %s is not allowed for role %s", [req.method, path, claims.role])

# 401 asks the client to authenticate (again); 403 says who it is may not do this.
status := 401 if {
	not token_valid
} else := 403

deny_headers := {
	"content-type": "application/json",
	"www-authenticate": sprintf(`Bearer realm="%s"`, [data.envoy.jwt.audience]),
} if {
	status == 401
} else := {"content-type": "application/json"}
