package test.omit_result

f(__local396__) := __local396__

p if {
	data.test.omit_result.f(1)
}
