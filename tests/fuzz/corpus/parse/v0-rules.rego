package t
p[x] { x := 1 }
q { true }
