"""applications pages of the hiring blueprint (to be filled)."""

from __future__ import annotations

from passport.web.hiring.common import bp as bp
