package fmt.imports
import rego.v1
import future.keywords.in
import data.zeta
import data.alpha as a   # alias comment
import input.request

import data.beta
p := a.x
import data.late
q := 1
