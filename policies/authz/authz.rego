# METADATA
# title: Data-platform authorization
# description: |
#   Decides SQL, DynamoDB and S3 requests behind gatehouse: who may touch which
#   tables and columns, limited to the caller's tenant, with masks and row filters.
package gatehouse.authz

import rego.v1

default decision := {"allow": false, "reason": "no grant matches this request"}

# The sidecar evaluates data.gatehouse.authz.decision for every request.
decision := d if {
	allow
	d := {
		"allow": true,
		"tenant": input.subject.tenant,
		"columns": allowed_columns,
		"mask": masks,
		"row_filters": row_filters,
	}
} else := {"allow": false, "reason": reason, "status": 403} if {
	some reason in deny_reasons
}

allow if {
	count(deny_reasons) == 0
	every table in input.query.tables {
		table_granted(table)
	}
}

deny_reasons contains "caller has no tenant" if not has_tenant

# A tenant is a non-empty string: "" or a number would scope nothing, so they deny.
has_tenant if {
	is_string(input.subject.tenant)
	input.subject.tenant != ""
}

deny_reasons contains msg if {
	some table in input.query.tables
	not table_granted(table)
	msg := sprintf("table %s is not granted to roles %v", [table, input.subject.roles])
}

deny_reasons contains "several statements in one request" if input.query.multiple_statements

# A grant names a role, actions and tables ("*" matches any table). Optional "kinds"
# (connector kinds: sql, dynamodb, s3) and "instances" (globs) narrow it to some connectors.
table_granted(table) if {
	some role in input.subject.roles
	some grant in data.grants[role]
	input.query.action in grant.actions
	table_matches(grant.tables, table)
	kind_matches(grant)
	instance_matches(grant)
}

kind_matches(grant) if not grant.kinds

kind_matches(grant) if input.connector.kind in grant.kinds

instance_matches(grant) if not grant.instances

instance_matches(grant) if {
	some p in grant.instances
	glob.match(p, [], input.connector.instance)
}

table_matches(patterns, _) if "*" in patterns

table_matches(patterns, table) if {
	some p in patterns
	glob.match(p, ["."], table)
}

is_admin if "admin" in input.subject.roles

# Admins see every column; others a table's allow-list from data.columns, else all of it.
allowed_columns[table] := table_columns(table) if some table in input.query.tables

table_columns(table) := "*" if {
	is_admin
} else := cols if {
	cols := data.columns[table]
} else := "*"

masks[table] := m if {
	some table in input.query.tables
	not is_admin
	m := data.masks[table]
}

# The predicates that hold for a table: rows of the tenant's regions, and the table's own
# filter from data.row_filters (admins are exempt from that one); several are and-ed.
row_filters[table] := all_of(filters) if {
	some table in input.query.tables
	filters := [f | some f in [region_filter, table_filter(table)]; f != null]
	count(filters) > 0
}

region_filter := {"column": "region", "op": "in", "value": regions} if {
	regions := [r | some r in data.regions[input.subject.tenant]]
	count(regions) > 0
} else := null

table_filter(table) := f if {
	not is_admin
	f := data.row_filters[table]
} else := null

all_of(filters) := filters[0] if {
	count(filters) == 1
} else := {"and": filters}
