# Tests for the example policy: run with `gatehouse test policies/`.
#
# The tests bring their own copy of the base documents (fixtures, below) and evaluate with
# `with data.grants as ...`: where data.json lands depends on the root given (data.authz.* for
# `gatehouse test policies/`, data.* for `-d policies/authz`), the tests must not.
package gatehouse.authz_test

import rego.v1

import data.gatehouse.authz

analyst := {"id": "u1", "tenant": "acme", "roles": ["analyst"]}

grants := {
	"analyst": [{"actions": ["select"], "tables": ["public.*"]}],
	"admin": [{"actions": ["select", "insert", "update", "delete"], "tables": ["*"]}],
}

masks := {"public.orders": {"card_number": "show_last_4", "email": "hash"}}

# decision for input, with the fixtures as base documents
decision(inp) := d if {
	d := authz.decision with input as inp
		with data.grants as grants
		with data.masks as masks
		with data.columns as {"public.customers": ["id", "name", "region"]}
		with data.regions as {"acme": ["eu-west-1", "eu-central-1"]}
}

test_analyst_reads_orders if {
	d := decision({
		"subject": analyst,
		"query": {"action": "select", "tables": ["public.orders"]},
	})
	d.allow
	d.tenant == "acme"
	d.mask["public.orders"].card_number == "show_last_4"
}

test_analyst_cannot_delete if {
	d := decision({
		"subject": analyst,
		"query": {"action": "delete", "tables": ["public.orders"]},
	})
	not d.allow
	startswith(d.reason, "table public.orders is not granted")
}

test_no_tenant_denied if {
	d := decision({"subject": {"id": "u2", "roles": ["admin"]}, "query": {"action": "select", "tables": []}})
	d == {"allow": false, "reason": "caller has no tenant", "status": 403}
}
