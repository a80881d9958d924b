package test
p := regex.find_n(".$", "abacadaeaf", -1)
