package generated

p := xs if {
	__local0__ = [x | x = data.a[_]]
	xs = {__local0__}
}
