"""The known deployments the package carries (`crossbook/deployments`): the checkout's
manifests of every chain but a devnet, written by `make build`."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossbook.errors import ManifestError
from crossbook.manifest import (
    is_manifest,
    known_deployments,
    new_manifest,
    shipped_manifests,
    write_manifest,
    write_shipped_manifests,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_deployments_are_the_checkouts() -> None:
    folder = shipped_manifests()
    shipped = (
        {f.name: f.read_text() for f in folder.iterdir() if is_manifest(f)}
        if folder.is_dir()
        else {}
    )
    assert shipped == known_deployments(ROOT / "deployments"), (
        "src/crossbook/deployments differs from deployments/: run `make build`"
    )


def test_every_chain_but_a_devnet_ships_and_a_gone_one_goes(tmp_path: Path) -> None:
    source, target = tmp_path / "deployments", tmp_path / "package"
    for chain_id in (31337, 1337, 11155111):
        write_manifest(new_manifest(chain_id), source)
    target.mkdir()
    (target / "5.json").write_text("{}")  # a deployment the checkout no longer records

    changed = write_shipped_manifests(source, target)

    assert sorted(p.name for p in changed) == ["11155111.json", "5.json"]
    assert [p.name for p in target.iterdir()] == ["11155111.json"]
    assert (target / "11155111.json").read_text() == (source / "11155111.json").read_text()
    assert write_shipped_manifests(source, target) == []


def test_a_malformed_manifest_never_ships(tmp_path: Path) -> None:
    source = tmp_path / "deployments"
    write_manifest(new_manifest(10), source)
    (source / "10.json").replace(source / "11.json")  # names chain 11, says chain 10
    with pytest.raises(ManifestError, match="says chain 10, expected 11"):
        write_shipped_manifests(source, tmp_path / "package")
    assert not (tmp_path / "package").exists()
