package fmt.v0
import future.keywords.if
default allow = false
allow { input.user == "admin" }
deny[msg] { msg := "no" }
roles[r] = true { r := input.roles[_] }
f(x) = y if { y := x }
