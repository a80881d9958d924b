package foo
import data.foo.as.bar

p if {
  bar.baz == 42
  data.foo.as.bar.baz == 42
}
