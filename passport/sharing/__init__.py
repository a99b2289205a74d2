"""Sharing: links a learner makes to show chosen badges to someone, for a while."""
