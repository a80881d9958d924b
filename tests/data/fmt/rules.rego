package fmt.rules
default allow = false
default f(_) := 0
a := 1
b := 2
c = 3

d := 4
p if input.x
q if { input.y }
r if {
  input.z
}
s if { true; false }
t contains "x"
t contains y if { some y in input.ys }
f(x) := x * 2 if x > 0
f(x) := x if {
  x <= 0
}
g(x, y) = z if { z := x + y }
h(
  a,
  b,
) := a
i := 1 if {
  input.a
} else := 2 if {
  input.b
} else := 3
j := 1 if input.a else := 2
k := 1 if {
  input.a
}
else := 2
obj.x := 1
obj.y.z := 2
m[k] := v if { some k, v in input.m }
flag if true
fn(x) if true
