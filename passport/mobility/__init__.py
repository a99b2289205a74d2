"""Internal mobility: open roles, learners' consent to be found, candidates ranked on verified
badges, applications and decisions, and the build-or-buy view per job family (issue #20)."""
