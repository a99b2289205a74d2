"""The ``passport`` command: set up an instance, issue, verify, and manage keys and tokens.

One module per domain adds its commands to the one group (:mod:`passport.cli.common`); each
command parses its arguments, calls use cases and prints. No command builds the Flask app but
``serve``, which serves it.
"""

from __future__ import annotations

from passport.cli import accounts, assessments, catalog, credentials, instance, verifying
from passport.cli.common import cli

__all__ = ["main"]

#: The modules whose commands are registered on the group (kept referenced so the imports stay).
COMMANDS = (accounts, assessments, catalog, credentials, instance, verifying)


def main() -> None:
    cli(prog_name="passport")
