package test

p if {
	every v in input { v == 1 } with input as [1, 1, 1]
}
