package gatehouse.datamaster_test

import rego.v1

import data.gatehouse.datamaster

users := {
	"harvey": {"roles": ["select", "insert", "update", "delete"]},
	"mike": {"roles": ["aurora_select_inst_a"]},
	"rachel": {"roles": ["aurora_select_orders_only", "aurora_select_inst_b_audit"]},
	"gretchen": {"roles": ["s3_select", "aurora_select_orders_columns"]},
	"donna": {"roles": ["s3_select_finance"]},
	"alex": {"roles": ["snowflake_select_customers_basic"]},
}

roles := {
	"select": {"grants": [{"actions": ["select"], "resources": {"data_source": "*", "instances": ["*"], "tables": ["*"]}}]},
	"insert": {"grants": [{"actions": ["insert"], "resources": {"data_source": "*", "instances": ["*"], "tables": ["*"]}}]},
	"update": {"grants": [{"actions": ["update"], "resources": {"data_source": "*", "instances": ["*"], "tables": ["*"]}}]},
	"delete": {"grants": [{"actions": ["delete"], "resources": {"data_source": "*", "instances": ["*"], "tables": ["*"]}}]},
	"aurora_select_inst_a": {"grants": [{"actions": ["select"], "resources": {"data_source": "aurora", "instances": ["inst-a"], "tables": ["*"]}}]},
	"aurora_select_orders_only": {"grants": [{"actions": ["select"], "resources": {"data_source": "aurora", "instances": ["*"], "tables": ["orders"]}}]},
	"aurora_select_inst_b_audit": {"grants": [{"actions": ["select"], "resources": {"data_source": "aurora", "instances": ["inst-b"], "tables": ["inst-b.audit"]}}]},
	"aurora_select_orders_columns": {"grants": [{"actions": ["select"], "resources": {
		"data_source": "aurora", "instances": ["inst-a"], "tables": ["orders"],
		"columns_by_table": [{"table": "orders", "columns": ["id", "amount"]}],
	}}]},
	"s3_select": {"grants": [{"actions": ["select"], "resources": {"data_source": "s3", "instances": ["*"], "tables": ["*"]}}]},
	"s3_select_finance": {"grants": [{"actions": ["select"], "resources": {"data_source": "s3", "instances": ["prod"], "tables": ["finance/*"]}}]},
	"snowflake_select_customers_basic": {"grants": [{"actions": ["select"], "resources": {
		"data_source": "snowflake", "instances": ["*"], "tables": ["customers"], "columns_allow": ["id", "email"],
	}}]},
}

request(user, source, inst, action, tables) := {
	"subject": {"id": user},
	"connector": {"kind": "sql", "data_source": source, "instance": inst},
	"query": {"action": action, "tables": tables},
}

decide(req) := d if {
	d := datamaster.decision with input as req with data.users as users with data.roles as roles
}

test_superuser_anything if {
	d := decide(request("harvey", "aurora", "inst-b", "delete", ["public.orders", "public.audit"]))
	d.allow
	d.columns == {"public.orders": "*", "public.audit": "*"}
}

test_instance_bound_role if {
	decide(request("mike", "aurora", "inst-a", "select", ["public.customers"])).allow
	not decide(request("mike", "aurora", "inst-b", "select", ["public.customers"])).allow
	not decide(request("mike", "aurora", "inst-a", "update", ["public.customers"])).allow
}

test_table_bound_roles if {
	decide(request("rachel", "aurora", "inst-c", "select", ["public.orders"])).allow
	not decide(request("rachel", "aurora", "inst-c", "select", ["public.customers"])).allow
	decide(request("rachel", "aurora", "inst-b", "select", ["public.audit"])).allow
	not decide(request("rachel", "aurora", "inst-a", "select", ["public.audit"])).allow
	not decide(request("rachel", "aurora", "inst-b", "select", ["public.orders", "public.customers"])).allow
}

test_column_restriction if {
	d := decide(request("gretchen", "aurora", "inst-a", "select", ["public.orders"]))
	d.allow
	d.columns == {"public.orders": ["amount", "id"]}
	not decide(request("gretchen", "aurora", "inst-b", "select", ["public.orders"])).allow
}

test_columns_allow_on_snowflake if {
	d := decide(request("alex", "snowflake", "wh1", "select", ["analytics.customers"]))
	d.columns == {"analytics.customers": ["email", "id"]}
	not decide(request("alex", "aurora", "inst-a", "select", ["public.customers"])).allow
}

test_other_data_sources_do_not_grant_sql if {
	d := decide(request("donna", "aurora", "inst-a", "select", ["public.orders"]))
	not d.allow
	d.reason == "donna may not select public.orders on inst-a"
}

test_unknown_user_and_empty_query if {
	not decide(request("nobody", "aurora", "inst-a", "select", ["public.orders"])).allow
	not decide(request("harvey", "aurora", "inst-a", "select", [])).allow
}
