# file header comment



# attached to the package
package fmt.comments # trailing on package

# METADATA
# title: allow
# description: a documented rule
allow if {
    # leading comment in body
    input.user == "alice" # trailing on a literal

    # after a blank line



    input.method == "GET"
    # just before the closing brace
} # after the closing brace
# before a rule, no blank line
deny contains msg if {
  msg := sprintf("%s is %v", [ # comment after an opening bracket
    input.user,
    # between arguments
    input.role, # trailing an argument
  ])
}

obj := {
  "a": 1, # after a
  # before b
  "b": [1, 2, # in a nested array
  3],
  # before the closing brace
}

f(x) := y if {
	y := x + 1
} # closing f
# between else parts
else := 0
# METADATA
# title: deny everything else
default deny_all := true
# comments at the end



# of the file
every_comments if {
	every x in input.xs { # on the opening brace
		# inside every
		x > 0 # after a literal in every
	} # after every
	ys := [y | # after the bar
		some y in input.ys
	]
}
call_comments if {
    n := count(
        [1, 2, 3] # kept at the end of the one-line call
    )
    m := concat("/",
        ["a", "b"]) # closing the call
}
