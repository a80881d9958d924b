# METADATA
# description: The Rego test suite
package testing

# METADATA
# title: Testing annotations
# authors:
# - The OPA contributors
p := x if {
	x := rego.metadata.chain()
}
