package generated

p if {
	regex.globs_match(`[a-z]+\[[0-9]+\]`, "foo\\[1\\]")
}
