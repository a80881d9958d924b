# Tests for the example policy: run with `gatehouse test policies/` (once the evaluator lands).
package gatehouse.authz_test

import rego.v1

import data.gatehouse.authz

analyst := {"id": "u1", "tenant": "acme", "roles": ["analyst"]}

test_analyst_reads_orders if {
	d := authz.decision with input as {
		"subject": analyst,
		"query": {"action": "select", "tables": ["public.orders"]},
	}
	d.allow
	d.tenant == "acme"
	d.mask["public.orders"].card_number == "show_last_4"
}

test_analyst_cannot_delete if {
	d := authz.decision with input as {
		"subject": analyst,
		"query": {"action": "delete", "tables": ["public.orders"]},
	}
	not d.allow
	startswith(d.reason, "table public.orders is not granted")
}

test_no_tenant_denied if {
	d := authz.decision with input as {"subject": {"id": "u2", "roles": ["admin"]}, "query": {"action": "select", "tables": []}}
	d == {"allow": false, "reason": "caller has no tenant", "status": 403}
}
