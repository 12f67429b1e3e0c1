"""The optional parts of the package, as `pyproject.toml` declares them.

A base install (`pip install crossbook`) is the wallet SDK and its commands. ``relayer`` adds
the relayer service (`crossbook relayer run`), ``deploy`` the ape deploy tooling, ``dev`` all of
the checkout's tools. A command that needs an extra checks for it first (`require_extra`), so a
base install answers with what to install instead of an ImportError.
"""

from __future__ import annotations

import re
from importlib import metadata

from crossbook.errors import MissingExtra

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def extra_requirements(extra: str) -> list[str]:
    """The distributions `extra` adds, by name (from the installed package's metadata; empty
    when crossbook is not installed as a distribution)."""
    try:
        requirements = metadata.requires("crossbook") or []
    except metadata.PackageNotFoundError:
        return []
    marker = re.compile(rf"""extra\s*==\s*["']{re.escape(extra)}["']""")
    names = []
    for requirement in requirements:
        spec, _, markers = requirement.partition(";")
        found = _NAME.match(spec.strip())
        if found and marker.search(markers) and found.group() != "crossbook":
            names.append(found.group())
    return names


def missing_requirements(extra: str) -> list[str]:
    """The distributions of `extra` that are not installed."""
    missing = []
    for name in extra_requirements(extra):
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def require_extra(extra: str, what: str) -> None:
    """Raise `MissingExtra` (naming the pip command) when `extra` is not fully installed;
    `what` is the command that needs it."""
    missing = missing_requirements(extra)
    if missing:
        raise MissingExtra(
            f"{what} needs the {extra!r} extra (not installed: {', '.join(missing)}): "
            f"pip install 'crossbook[{extra}]'"
        )
