package test

# METADATA
# title: My rule
# METADATA
# title: My rule 2
p if input = "str"
