"""Assessments: an assessor's rubric levels for a learner (a pass issues the badge), one at a
time or as bulk CSV results."""
