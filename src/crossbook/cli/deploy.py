"""`crossbook deploy`: the suite's deploy script (`ape run deploy`, run from the checkout), and
`crossbook deploy verify`, which compares what a manifest names on chain with the build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from crossbook.cli.common import NodeCommand, NodeSession, echo_json, needs, table


class _DeployGroup(click.Group):
    """`verify` is a subcommand; anything else is handed to `ape run deploy`."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in self.commands:
            return super().resolve_command(ctx, args)
        return "run", run_deploy, args


@click.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("ape_args", nargs=-1, type=click.UNPROCESSED)
@needs(checkout=True, extra="deploy", what="`crossbook deploy`")
def run_deploy(ape_args: tuple[str, ...]) -> None:
    """Run `ape run deploy APE_ARGS...` from the checkout."""
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


@click.group(
    cls=_DeployGroup,
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    no_args_is_help=True,
)
def deploy() -> None:
    """Deploy the suite: `crossbook deploy APE_ARGS...` runs `ape run deploy APE_ARGS...`
    from the checkout; `crossbook deploy verify` checks a deployment against the build.

    \b
    The deploy options are the script's (`ape run deploy --help` lists them):
      --network ecosystem:network:provider   e.g. ethereum:sepolia:node
      --account ALIAS                        an ape keystore account
      --relayer ADDRESS (repeatable), --guardian, --fee-recipient, --owner
      --token SYMBOL=ADDRESS (repeatable)    record an existing token in the manifest
      --yes                                  broadcast without asking
    Shows the plan and its estimated cost and asks before broadcasting; a re-run skips what
    is deployed.
    """


@deploy.command("verify", cls=NodeCommand, sender=False)
@click.option(
    "--export",
    "export_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write, per contract, the standard-JSON input, compiler version and constructor "
    "arguments a block explorer's verification needs, into this folder.",
)
def verify(node: NodeSession, export_dir: Path | None) -> None:
    """Compare each contract of the chain's manifest with the build (runtime code, immutables
    masked); exit 1 when one differs or has no code."""
    from crossbook.deploy.verify import CodeStatus, export_verification, verify_deployment

    checks = verify_deployment(node.w3, node.manifest)
    written = export_verification(node.w3, node.manifest, export_dir) if export_dir else []
    if node.as_json:
        echo_json(
            {"contracts": [c.as_dict() for c in checks], "exported": [str(p) for p in written]}
        )
    else:
        rows = [
            (
                c.name,
                c.address,
                str(c.status),
                c.masked,
                "" if c.first_difference is None else c.first_difference,
            )
            for c in checks
        ]
        click.echo(table(("contract", "address", "code", "immutables", "first difference"), rows))
        for path in written:
            click.echo(f"wrote {path}")
    if any(c.status is not CodeStatus.MATCH for c in checks):
        sys.exit(1)
