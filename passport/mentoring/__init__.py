"""Mentoring as a product (issue #21): micro-mentoring events with sign-up and waitlist, mentors
matched by verified skill, versioned session templates and template programs, per-user
iCalendar feeds, session feedback, mentor recognition and endorsements, and re-assessment of
skills before their badges expire."""
