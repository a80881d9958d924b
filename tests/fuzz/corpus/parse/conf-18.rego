package test

d[msg] := 5 if {
	msg = [1, 2, 3][_]
}
