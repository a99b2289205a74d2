"""Cohorts: 6–8-week micro-mentoring groups with mentors, learners, target skills, sessions,
attendance and mentor notes."""
