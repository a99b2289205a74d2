"""The skills catalog: job families, skills at levels, their OB 3.0 Achievement definitions,
and moving the catalog in and out (JSON, CSV)."""
