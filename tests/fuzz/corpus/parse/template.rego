package t
p := $"a {x} b {$`c {[y | y := 1]}`}" if x := 1
