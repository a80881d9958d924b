# Tests for the example policy: run with `gatehouse test policies/`.
#
# The tests bring their own copy of the base documents (fixtures, below) and evaluate with
# `with data.grants as ...`: where data.json lands depends on the root given (data.authz.* for
# `gatehouse test policies/`, data.* for `-d policies/authz`), the tests must not.
package gatehouse.authz_test

import rego.v1

import data.gatehouse.authz

analyst := {"id": "u1", "tenant": "acme", "roles": ["analyst"]}

admin := {"id": "u9", "tenant": "acme", "roles": ["admin"]}

grants := {
	"analyst": [{"actions": ["select"], "tables": ["public.*"]}],
	"admin": [{"actions": ["select", "insert", "update", "delete"], "tables": ["*"]}],
	"loader": [{
		"actions": ["insert"],
		"tables": ["staging.*"],
		"kinds": ["sql"],
		"instances": ["inst-a", "inst-b*"],
	}],
}

masks := {
	"public.orders": {"card_number": "show_last_4", "email": "hash"},
	"public.customers": ["phone"],
}

columns := {"public.customers": ["id", "name", "region"]}

regions := {"acme": ["eu-west-1", "eu-central-1"]}

not_deleted := {"column": "status", "op": "ne", "value": "deleted"}

# decision for input, with the fixtures as base documents
decision(inp) := d if {
	d := authz.decision with input as inp
		with data.grants as grants
		with data.masks as masks
		with data.columns as columns
		with data.regions as regions
		with data.row_filters as {"public.orders": not_deleted}
}

select(subject, tables) := decision({
	"subject": subject,
	"connector": {"name": "aurora-inst-a", "kind": "sql", "dialect": "postgres", "instance": "inst-a"},
	"query": {"action": "select", "tables": tables},
})

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

# ---- tenant ----

test_tenant_is_the_callers if {
	select({"id": "u3", "tenant": "globex", "roles": ["analyst"]}, ["public.orders"]).tenant == "globex"
}

test_admin_is_still_limited_to_its_tenant if {
	select(admin, ["public.orders"]).tenant == "acme"
}

test_empty_tenant_denied if {
	d := select({"id": "u4", "tenant": "", "roles": ["admin"]}, ["public.orders"])
	d.reason == "caller has no tenant"
}

# ---- columns ----

test_columns_allow_list_per_table if {
	d := select(analyst, ["public.customers", "public.orders"])
	d.columns == {"public.customers": ["id", "name", "region"], "public.orders": "*"}
}

test_admin_sees_every_column if {
	d := select(admin, ["public.customers"])
	d.columns == {"public.customers": "*"}
}

# ---- masks ----

test_masks_per_table if {
	d := select(analyst, ["public.orders", "public.customers", "public.products"])
	d.mask == {
		"public.orders": {"card_number": "show_last_4", "email": "hash"},
		"public.customers": ["phone"],
	}
}

test_admin_sees_unmasked if {
	d := select(admin, ["public.orders"])
	d.allow
	d.mask == {}
}

# ---- row filters ----

test_row_filter_regions_and_table_filter_combined if {
	d := select(analyst, ["public.orders"])
	d.row_filters == {"public.orders": {"and": [
		{"column": "region", "op": "in", "value": ["eu-west-1", "eu-central-1"]},
		not_deleted,
	]}}
}

test_row_filter_regions_only if {
	d := select(analyst, ["public.customers"])
	d.row_filters == {"public.customers": {"column": "region", "op": "in", "value": ["eu-west-1", "eu-central-1"]}}
}

test_admin_keeps_the_region_filter_only if {
	d := select(admin, ["public.orders"])
	d.row_filters == {"public.orders": {"column": "region", "op": "in", "value": ["eu-west-1", "eu-central-1"]}}
}

test_tenant_without_regions if {
	d := select({"id": "u5", "tenant": "initech", "roles": ["analyst"]}, ["public.orders", "public.customers"])
	d.row_filters == {"public.orders": not_deleted}
}

# ---- grants by action, connector kind and instance ----

test_several_tables_one_not_granted if {
	d := select(analyst, ["public.orders", "finance.ledger"])
	not d.allow
	d.reason == `table finance.ledger is not granted to roles ["analyst"]`
	d.status == 403
}

loader_insert(connector) := decision({
	"subject": {"id": "etl", "tenant": "acme", "roles": ["loader"]},
	"connector": connector,
	"query": {"action": "insert", "tables": ["staging.events"]},
})

test_grant_for_kind_and_instance if {
	loader_insert({"kind": "sql", "instance": "inst-a"}).allow
	loader_insert({"kind": "sql", "instance": "inst-b2"}).allow
}

test_grant_other_instance_denied if {
	not loader_insert({"kind": "sql", "instance": "inst-c"}).allow
}

test_grant_other_kind_denied if {
	not loader_insert({"kind": "dynamodb", "instance": "inst-a"}).allow
}

test_several_statements_denied if {
	d := decision({
		"subject": admin,
		"query": {"action": "select", "tables": ["public.orders"], "multiple_statements": true},
	})
	d == {"allow": false, "reason": "several statements in one request", "status": 403}
}

test_request_without_query_gets_the_default if {
	d := decision({"subject": analyst})
	d == {"allow": false, "reason": "no grant matches this request"}
}

# Without data.columns and data.row_filters: every column, and the region filter alone.
test_without_column_lists_and_table_filters if {
	d := authz.decision with input as {
		"subject": analyst,
		"query": {"action": "select", "tables": ["public.customers"]},
	}
		with data.grants as grants
		with data.masks as {}
		with data.columns as null
		with data.regions as regions
		with data.row_filters as null
	d.columns == {"public.customers": "*"}
	d.row_filters == {"public.customers": {"column": "region", "op": "in", "value": ["eu-west-1", "eu-central-1"]}}
}
