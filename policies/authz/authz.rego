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

deny_reasons contains "caller has no tenant" if not input.subject.tenant

deny_reasons contains msg if {
	some table in input.query.tables
	not table_granted(table)
	msg := sprintf("table %s is not granted to roles %v", [table, input.subject.roles])
}

deny_reasons contains "several statements in one request" if input.query.multiple_statements

# A grant names a role, an action and tables; "*" matches any table.
table_granted(table) if {
	some role in input.subject.roles
	some grant in data.grants[role]
	input.query.action in grant.actions
	table_matches(grant.tables, table)
}

table_matches(patterns, _) if "*" in patterns

table_matches(patterns, table) if {
	some p in patterns
	glob.match(p, ["."], table)
}

allowed_columns[table] := cols if {
	some table in input.query.tables
	cols := object.get(data.columns, table, "*")
}

masks[table] := m if {
	some table in input.query.tables
	not "admin" in input.subject.roles
	m := data.masks[table]
}

row_filters[table] := {"column": "region", "op": "in", "value": regions} if {
	some table in input.query.tables
	regions := [r | some r in data.regions[input.subject.tenant]]
	count(regions) > 0
}
