package generated

p if {
	__local0__ = data.a[2]
	not to_number("-1", __local0__)
}
