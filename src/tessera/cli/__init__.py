"""The ``tessera`` command."""

from __future__ import annotations

import click

from tessera import __version__
from tessera.cli.access import permissions, policies, roles
from tessera.cli.oauth import oauth
from tessera.cli.prompts import prompts
from tessera.cli.schema import schema
from tessera.cli.server import init, serve
from tessera.cli.settings import settings
from tessera.cli.users import tokens, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tessera")
def main() -> None:
    """Tessera: a headless data platform for SQL databases.

    Configuration comes from environment variables and a .env file in the
    current directory, with Directus's names (DB_CLIENT, DB_FILENAME,
    DB_CONNECTION_STRING, ADMIN_EMAIL, ADMIN_PASSWORD, PORT, ...).

    \b
    Examples:
      tessera serve                          # SQLite in ./data, port 8055
      tessera serve --port 9000 --workers 4
      DB_CLIENT=pg DB_CONNECTION_STRING=postgresql://me@db/app tessera init
    """


# Each command or group registers here, one line each.
main.add_command(init)
main.add_command(serve)
main.add_command(schema)
main.add_command(users)
main.add_command(roles)
main.add_command(policies)
main.add_command(permissions)
main.add_command(tokens)
main.add_command(settings)
main.add_command(prompts)
main.add_command(oauth)
