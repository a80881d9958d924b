package test

allowed_repos := {"hooli.com/", "acmecorp.net/"}

p if {
	every c in input.containers {
		some repo in allowed_repos
		startswith(c.image, repo)
	}
}
