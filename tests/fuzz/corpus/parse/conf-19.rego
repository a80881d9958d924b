package comparison

p if {
	1 == 1.0
}
