package test

gql := `type Hello implements Wo & rld { field: String }`

ast := {"Definitions": [{"BuiltIn": false, "Description": "", "Fields": [{"Description": "", "Name": "field", "Type": {"NamedType": "String", "NonNull": false}}], "Interfaces": ["Wo", "rld"], "Kind": "OBJECT", "Name": "Hello"}]}

p if {
	graphql.parse_schema(gql) == ast
}
