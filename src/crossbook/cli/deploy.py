"""`crossbook deploy`: the suite's deploy script, `ape run deploy`, run from the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from crossbook.cli.common import needs


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("ape_args", nargs=-1, type=click.UNPROCESSED)
@needs(checkout=True, extra="deploy")
def deploy(ape_args: tuple[str, ...]) -> None:
    """Deploy the suite: runs `ape run deploy APE_ARGS...` from the checkout.

    \b
    The options are the script's (`ape run deploy --help` lists them):
      --network ecosystem:network:provider   e.g. ethereum:sepolia:node
      --account ALIAS                        an ape keystore account
      --relayer ADDRESS (repeatable), --guardian, --fee-recipient, --owner
      --token SYMBOL=ADDRESS (repeatable)    record an existing token in the manifest
      --yes                                  broadcast without asking
    Shows the plan and asks before broadcasting; a re-run skips what is deployed.
    """
    from crossbook.paths import project_root

    ape = Path(sys.executable).with_name("ape")
    if not ape.exists():
        raise click.ClickException(f"ape is not installed next to {sys.executable}: make setup")
    root = project_root()
    env = dict(os.environ)
    env["PATH"] = f"{root / 'node_modules' / '.bin'}:{env.get('PATH', '')}"
    env.setdefault("SOLCX_BINARY_PATH", str(root / ".solc"))
    code = subprocess.call([str(ape), "run", "deploy", *ape_args], cwd=root, env=env)
    if code != 0:
        sys.exit(code)
