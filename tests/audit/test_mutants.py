"""The mutation campaign (crossbook.audit.mutants) on a tiny forge project (`fixtures/mutation`,
copied to a scratch folder): the mutants the real slither and our operators make of it, that
they compile, and the verdicts of a campaign whose tests kill some mutants and not others."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from crossbook.audit.mutants import (
    MUTATORS,
    Campaign,
    Mutant,
    MutationError,
    Outcome,
    Target,
    Workspace,
    generate,
    run_campaign,
    sample,
)
from crossbook.paths import tool_path

from .projects import CLAMP, copy_project

OUR_OPERATORS = ("ROR", "AOR", "BOR", "LOR", "YOR")


def patched(source: bytes, mutant: Mutant) -> bytes:
    return source[: mutant.start] + mutant.new.encode() + source[mutant.end :]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("mutation") / "project")


@pytest.fixture(scope="module")
def generated(project: Path) -> list[Mutant]:
    return generate(project, [CLAMP])


@pytest.fixture(scope="module")
def source(project: Path) -> bytes:
    return (project / CLAMP.path).read_bytes()


def test_each_operator_is_swapped_in_place(generated: list[Mutant], source: bytes) -> None:
    ours = [m for m in generated if m.mutator in OUR_OPERATORS]
    lines = source.decode().splitlines()
    changed = [
        (m.mutator, m.line, m.old, m.new, patched(source, m).decode().splitlines()[m.line - 1])
        for m in ours
    ]
    assert [(name, line, old, new) for name, line, old, new, _ in changed] == [
        ("ROR", 8, "<", "<="),
        ("ROR", 8, "<", ">"),
        ("ROR", 8, "<", ">="),
        ("BOR", 15, "&", "^"),
        ("BOR", 15, "&", "|"),
        ("AOR", 15, "*", "+"),
        ("AOR", 15, "*", "/"),
        ("YOR", 17, "shl", "shr"),  # slither reads `shl(1, r)` as `<<`: BOR leaves it alone
        ("AOR", 22, "+", "*"),
        ("AOR", 22, "+", "-"),
        ("LOR", 26, "&&", "||"),
    ]
    for _, line, old, new, text in changed:
        # Exactly one operator of the line is swapped: the rest of the line is untouched.
        assert text.replace(new, old, 1) == lines[line - 1]
        assert text != lines[line - 1]
    assert [text.strip() for *_, text in changed[:3]] == [
        "if (cap <= x) {",
        "if (cap > x) {",
        "if (cap >= x) {",
    ]
    assert changed[7][4].strip() == "r := shr(1, r)"


def test_slither_mutators_give_patches_of_the_file(generated: list[Mutant], source: bytes) -> None:
    theirs = [(m.mutator, m.line, m.old, m.new) for m in generated if m.mutator in ("MIA", "RR")]
    assert theirs == [
        ("MIA", 8, "cap < x", "!(cap < x)"),
        ("MIA", 8, "cap < x", "false"),
        ("MIA", 8, "cap < x", "true"),
        ("RR", 9, "return cap", "revert()"),
        ("RR", 11, "return x", "revert()"),
        ("RR", 15, "r = (x & 0xff) * bias()", "revert()"),
        ("RR", 16, "assembly {\n            r := shl(1, r)\n        }", "revert();"),
        ("RR", 22, "return 200 + 50", "revert()"),
        ("RR", 26, "return a && b", "revert()"),
    ]
    for mutant in generated:
        assert source[mutant.start : mutant.end].decode() == mutant.old
        assert patched(source, mutant) != source
    assert len(set(generated)) == len(generated)


def test_every_mutant_compiles_but_a_literal_that_outgrows_its_type(
    generated: list[Mutant], source: bytes, tmp_path: Path
) -> None:
    """Each mutant as a contract of its own, all compiled in one forge build: the only one
    solc refuses is `200 * 50` for a `uint8` (literals are folded at compile time)."""
    folder = copy_project(tmp_path / "every")
    shutil.rmtree(folder / "tests")
    (folder / CLAMP.path).unlink()
    for i, mutant in enumerate(generated):
        text = patched(source, mutant).decode().replace("contract Clamp {", f"contract M{i} {{")
        (folder / "contracts" / f"M{i}.sol").write_text(text)
    done = subprocess.run(
        [str(tool_path("forge")), "build"],
        cwd=folder,
        env={**os.environ, "FOUNDRY_PROFILE": "fast"},
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    refused = {generated[int(i)] for i in re.findall(r"--> contracts/M(\d+)\.sol", output)}
    assert [(m.mutator, m.line, m.old, m.new) for m in refused] == [("AOR", 22, "+", "*")]
    assert "Compiler run failed" in output  # forge 1.7 can exit 0 all the same


def test_a_sample_takes_the_mutators_in_turn(generated: list[Mutant]) -> None:
    # One of each mutator in MUTATORS' order (none is UOR or ASOR; RR's turn comes after the
    # sixth), each the middle one of its mutants, sorted by position.
    first = sample(generated, 6)
    assert [(m.mutator, m.old, m.new) for m in first] == [
        ("MIA", "cap < x", "false"),
        ("ROR", "<", ">"),
        ("BOR", "&", "|"),
        ("YOR", "shl", "shr"),
        ("AOR", "+", "*"),
        ("LOR", "&&", "||"),
    ]
    assert {m.mutator for m in sample(generated, len(MUTATORS))} == {
        "ROR",
        "AOR",
        "YOR",
        "MIA",
        "LOR",
        "BOR",
        "RR",
    }


def test_a_campaign_judges_each_sampled_mutant(generated: list[Mutant], tmp_path: Path) -> None:
    """The fixture's tests kill a mutant that caps too little, cannot tell `cap < x` from
    `cap <= x` (an equivalent mutant), and `200 * 50` does not compile. Each verdict is reported
    as it comes; a target whose unmutated tests fail stops the campaign."""
    root = copy_project(tmp_path / "project")
    before = (root / CLAMP.path).read_bytes()
    failing = Target(CLAMP.path, CLAMP.contract, "tests/foundry/failing")
    judged: list[Outcome] = []
    with pytest.raises(MutationError, match="the unmutated tests tests/foundry/failing fail"):
        run_campaign(root, 3, [CLAMP, failing], ("ROR", "AOR"), progress=judged.append)
    assert [(o.mutant.mutator, o.mutant.old, o.mutant.new, o.status) for o in judged] == [
        ("ROR", "<", "<=", "survived"),
        ("ROR", "<", ">=", "killed"),
        ("AOR", "+", "*", "no-compile"),
    ]
    assert Campaign(tuple(judged)).score == 0.5
    # Another slither run of the same file picks the same sample.
    assert [o.mutant for o in judged] == sample(generated, 3, ("ROR", "AOR"))
    # The checkout is never written: mutants live in the workspace, which is restored.
    assert (root / CLAMP.path).read_bytes() == before
    assert (root / ".forge/mutants/work" / CLAMP.path).read_bytes() == before


def test_two_workspaces_judge_side_by_side_and_keep_the_samples_order(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    judged: list[Outcome] = []
    campaign = run_campaign(root, 3, [CLAMP], ("ROR", "AOR"), progress=judged.append, jobs=2)
    expected = [
        ("ROR", "<", "<=", "survived"),
        ("ROR", "<", ">=", "killed"),
        ("AOR", "+", "*", "no-compile"),
    ]
    assert [
        (o.mutant.mutator, o.mutant.old, o.mutant.new, o.status) for o in campaign.outcomes
    ] == (expected)
    assert sorted(judged, key=campaign.outcomes.index) == list(campaign.outcomes)
    # both scratch copies were used (each ran the unmutated tests) and are restored
    for work in ("work", "work-2"):
        assert (root / ".forge/mutants" / work / CLAMP.path).read_bytes() == (
            root / CLAMP.path
        ).read_bytes()
        assert (root / ".forge/mutants" / work / ".forge/cache-clamp").is_dir(), work


def test_mutants_past_the_budget_are_not_run(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    campaign = run_campaign(root, 2, [CLAMP], ("ROR",), budget_s=0)
    assert [o.status for o in campaign.outcomes] == ["not-run", "not-run"]
    assert campaign.score == 0.0


def test_a_patch_that_does_not_match_the_file_or_runs_out_of_time(
    project: Path, tmp_path: Path
) -> None:
    workspace = Workspace(project, tmp_path / "work")
    workspace.prepare()
    stale = Mutant(CLAMP.path, "ROR", 8, 0, 1, "<", ">")  # offset 0 holds `/`, not `<`
    assert workspace.run(stale, CLAMP.tests, timeout=60).status == "not-applied"
    assert workspace.forge_test(CLAMP.tests, timeout=0.01) == (None, "timeout")
