# METADATA
# title: The data-master grants on gatehouse's decision contract
# description: |
#   The users, roles and grants of ../shared/seed-policies/data-master (data.json here),
#   decided on what the SQL listener derives from the statement itself: input.query (action,
#   tables, columns), input.connector (data_source, instance) and the authenticated
#   input.subject. A grant names actions, a data source, instances and tables (a table may
#   be written "instance.table"), and may narrow the columns; the decision allows when every
#   table is granted and says which columns each table may show.
package gatehouse.datamaster

import rego.v1

default decision := {"allow": false, "reason": "no grant covers this request"}

decision := {"allow": true, "columns": columns} if {
	count(input.query.tables) > 0
	every table in input.query.tables {
		some _ in granting(table)
	}
} else := {"allow": false, "reason": reason} if {
	some table in input.query.tables
	count(granting(table)) == 0
	reason := sprintf("%s may not %s %s on %s", [user, input.query.action, table, instance])
}

user := input.subject.id

instance := input.connector.instance

# The grants of the user's roles that cover this action, data source, instance and table.
granting(table) := {grant |
	some role in data.users[user].roles
	some grant in data.roles[role].grants
	input.query.action in grant.actions
	source_matches(grant.resources.data_source)
	some i in grant.resources.instances
	instance_matches(i)
	some t in grant.resources.tables
	table_matches(t, table)
}

source_matches("*") := true

source_matches(s) if s == input.connector.data_source

instance_matches("*") := true

instance_matches(i) if i == instance

# "*", a bare table name (any schema), "schema.table", or "instance.table" on that instance.
table_matches("*", _) := true

table_matches(t, table) if t == table

table_matches(t, table) if t == bare(table)

table_matches(t, table) if {
	[i, name] := split(t, ".")
	i == instance
	name == bare(table)
}

bare(table) := name if {
	parts := split(table, ".")
	name := parts[count(parts) - 1]
}

# A table's columns: "*" when some covering grant does not narrow them, else the union of
# what the covering grants allow.
columns[table] := "*" if {
	some table in input.query.tables
	some grant in granting(table)
	not narrows(grant)
}

columns[table] := allowed if {
	some table in input.query.tables
	every grant in granting(table) {
		narrows(grant)
	}
	allowed := sort({c | some grant in granting(table); some c in grant_columns(grant, table)})
}

narrows(grant) if grant.resources.columns_by_table

narrows(grant) if grant.resources.columns_allow

grant_columns(grant, table) := cols if {
	some entry in grant.resources.columns_by_table
	table_matches(entry.table, table)
	cols := entry.columns
}

grant_columns(grant, _) := grant.resources.columns_allow
