package fmt.exprs
x if {
  a := 1+2*3
  b := (1+2)*3
  c := 1 + 2 + 3
  d := 1 - (2 - 3)
  e := 7 / 2 % 3
  input.s | {1} == {1}
  f := input.a & input.b
  "a" in input.xs
  not "b" in input.xs
  k, v in input.obj
  some i
  some j, l
  some m in input.xs
  some n, o in input.obj
  every p in input.xs { p > 0 }
  every q, r in input.obj {
    q != r
    r > 0
  }
  input.a == plus(1, 2)
  count(input.xs) > 0 with input.xs as [1]
  allow with input as {"user": "bob"} with data.roles as {}
  allow
    with input as {}
  _ = input.ignored
  [_, y] := [1, 2]
  z := input["not"]
  w := input.not
  u := input["with-dash"].b["c"][0][y]
  t := `raw\string`
  s := "esc\"aped\u00e9\n"
  num := [1, -2, 1.50, 1e3, 0.5e-10]
  tpl := $"user {input.user} has {count(input.xs)} items"
  tpl2 := $"sum {1+2} \{literal} \"quoted\""
  tpl3 := $`raw {concat(",",["a","b"])}
second line \{x}`
  arr := [v | some v in input.xs; v > 1]
  set := {v | some v in input.xs}
  obj := {k: v | some k, v in input.obj}
  nested := [[1, 2], {"a": {"b": set()}}, {1, 2}]
  union := {(input.a | input.b)}
  not f(1)
  f(1) == 2
  data.lib.g(1, 2)
}
f(x) := x
