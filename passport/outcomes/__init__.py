"""Outcomes of the program: people events from the HR system and the measures computed on them
(ramp time, retention after cohorts, internal mobility, skills coverage, curriculum triage).

Definitions are in ``docs/outcomes.md``; tests pin them. Only admins and analysts see outcomes,
and every group of fewer than 5 people is suppressed wherever a figure leaves this package.
"""
