package t

p := [1, 2

q if {
	x := ]
}
