SELECT f(a => 1), x := 2, a !=- b, a ?- b, a +- b, a*--c
, a+/*c*/-b