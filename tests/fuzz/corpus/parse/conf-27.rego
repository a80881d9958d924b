package foo.in

bar := 42
