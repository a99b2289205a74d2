"""The instance as a whole: setting it up (``passport init``), demo data, backup and restore."""
