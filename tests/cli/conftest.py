"""Running the `crossbook` CLI in-process against a stack (tests/stacks.py)."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from crossbook.cli import main
from tests.stacks import Stack


def crossbook(
    stack: Stack,
    *args: str,
    key: str | None = None,
    env: dict[str, str | None] | None = None,
    code: int = 0,
) -> Result:
    """Run `crossbook ARGS` with the stack's RPC, relayer and manifest in the environment and
    `key` as CROSSBOOK_PRIVATE_KEY; assert the exit code and that no traceback escaped."""
    environment: dict[str, str | None] = {**stack.env(), "CROSSBOOK_PRIVATE_KEY": key}
    environment.update(env or {})
    result = CliRunner(mix_stderr=False).invoke(main, list(args), env=environment)
    output = result.stdout + result.stderr
    assert result.exit_code == code, f"exit {result.exit_code}: {output}"
    assert "Traceback" not in output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)
