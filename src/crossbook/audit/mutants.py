"""The mutation campaign: operator mutators and slither-mutate's on the core contracts,
judged by forge's tests.

Each mutator (`MUTATORS`) turns a target contract's Solidity into patches: ROR, AOR, BOR and
LOR swap operators found on slither's expression tree (`operator_mutants`), YOR swaps inline
assembly builtins (`yul_mutants`), and MIA, UOR, ASOR and RR are slither-mutate's own (an `if`
forced, a unary or assignment operator swapped, a statement replaced by `revert()`).
slither-mutate's driver writes every mutant into the checkout and compiles it through plain
solc, which this project does not have, so the campaign runs the patches itself, each in a
scratch copy of the contracts and forge tests (`.forge/mutants/work`): the mutant is written
there, the target's forge tests run under the `fast` profile (no via-IR, incremental compile),
and the mutant is killed if they fail, survives if they pass, and does not count if it does
not compile. The checkout is never written.

Inside inline assembly only YOR's patches apply: slither-mutate's are Solidity (`revert()`,
`!(...)`), which never compiles in Yul; an assembly statement as a whole can be replaced by
`revert();`.

The set is bounded: `per_target` mutants per contract, the mutators taking turns across the
contracts and each one's picks spread evenly over the file, so the whole campaign fits in a
`make audit` run.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossbook.errors import CrossbookError

log = logging.getLogger(__name__)

#: the mutators that change what code does, in the order a sample takes from them (not
#: FHR/MVIV/MVIE/SBR/MWA/CR/LIR, which mostly produce mutants that do not compile or that only
#: move gas). ROR, AOR, BOR and LOR are this module's (`operator_mutants`, on slither's
#: expression tree), YOR mutates inline assembly (`yul_mutants`); the rest are slither-mutate's.
MUTATORS = ("ROR", "AOR", "YOR", "MIA", "UOR", "ASOR", "LOR", "BOR", "RR")


@dataclass(frozen=True)
class Target:
    path: str  # the source file, from the project root
    contract: str
    tests: str  # the folder of the forge tests that judge it


TARGETS: tuple[Target, ...] = (
    Target("contracts/libraries/PoolMath.sol", "PoolMath", "tests/foundry/amm"),
    Target("contracts/amm/Pool.sol", "Pool", "tests/foundry/amm"),
    Target("contracts/amm/Router.sol", "Router", "tests/foundry/amm"),
    Target("contracts/Settlement.sol", "Settlement", "tests/foundry/settlement"),
    *(
        Target(f"contracts/libraries/{name}.sol", name, "tests/foundry/settlement")
        for name in (
            "NonceLib",
            "BatchAccounting",
            "SettleFastPath",
            "TradeLib",
            "LiquidityLegs",
            "SignatureLib",
            "OrderLib",
        )
    ),
    Target("contracts/book/OrderBook.sol", "OrderBook", "tests/foundry/book"),
    Target("contracts/libraries/LevelQueue.sol", "LevelQueue", "tests/foundry/book"),
    Target("contracts/libraries/BookBitmap.sol", "BookBitmap", "tests/foundry/book"),
    Target("contracts/router/HybridRouter.sol", "HybridRouter", "tests/foundry/router"),
)


#: where the static analysis step builds the contracts for slither (the `fast` profile)
SLITHER_ENV = {
    "FOUNDRY_PROFILE": "fast",
    "FOUNDRY_OUT": ".forge/audit/slither-out",
    "FOUNDRY_CACHE_PATH": ".forge/audit/slither-cache",
}


#: a statement that declares a variable (or destructures into new ones)
DECLARATION = re.compile(
    r"\s*(\(\s*[A-Za-z_][\w.]*\s+[A-Za-z_]|[A-Za-z_][\w.]*(\[\])?\s+"
    r"((memory|storage|calldata)\s+)?[A-Za-z_]\w*\s*=)"
)


class MutationError(CrossbookError, RuntimeError):
    """The campaign cannot run: the unmutated suite fails, or slither cannot read the code."""


@dataclass(frozen=True)
class Mutant:
    path: str
    mutator: str
    line: int
    start: int  # byte offsets of the replaced text in the file
    end: int
    old: str
    new: str

    def describe(self) -> str:
        old, new = " ".join(self.old.split()), " ".join(self.new.split())
        return f"{self.path}:{self.line} [{self.mutator}] `{old}` -> `{new}`"


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    status: str  # "killed" | "survived" | "no-compile" | "not-applied" | "not-run"
    seconds: float


@dataclass(frozen=True)
class Campaign:
    outcomes: tuple[Outcome, ...]

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def score(self) -> float:
        judged = self.count("killed") + self.count("survived")
        return self.count("killed") / judged if judged else 0.0

    @property
    def survivors(self) -> list[Mutant]:
        return [o.mutant for o in self.outcomes if o.status == "survived"]


def spread(items: Sequence[Mutant], count: int) -> list[Mutant]:
    """`count` of `items` (sorted by position) spread evenly over them: the middle one of each
    of `count` equal stretches (a single pick is the middle mutant, not the file's first)."""
    if count >= len(items):
        return list(items)
    if count <= 0:
        return []
    step = len(items) / count
    return [items[int((i + 0.5) * step)] for i in range(count)]


def sample(
    items: Sequence[Mutant], count: int, mutators: Sequence[str] = MUTATORS, turn: int = 0
) -> list[Mutant]:
    """`count` of one file's mutants, deterministically: the mutators take turns in the order
    of `mutators`, starting at the `turn`-th (one that has no mutant left is skipped), and each
    mutator's share is spread evenly over its mutants (sorted by position), so a small sample
    still covers every kind of change and the whole file. A campaign passes on the turn, so
    with few mutants per file every mutator still gets its share over the files."""
    start = turn % len(mutators) if mutators else 0
    mutators = tuple(mutators[start:]) + tuple(mutators[:start])
    by_mutator = {
        name: sorted((m for m in items if m.mutator == name), key=lambda m: m.start)
        for name in mutators
    }
    shares = dict.fromkeys(mutators, 0)
    left = min(count, len(items))
    while left > 0:
        for name in mutators:
            if left > 0 and shares[name] < len(by_mutator[name]):
                shares[name] += 1
                left -= 1
    chosen = [m for name in mutators for m in spread(by_mutator[name], shares[name])]
    return sorted(chosen, key=lambda m: (m.start, m.mutator, m.new))


def generate(
    root: Path, targets: Sequence[Target], mutators: Sequence[str] = MUTATORS
) -> list[Mutant]:
    """Every distinct patch the mutators make to the targets (slither compiles through forge
    under the `fast` profile)."""
    from slither import Slither

    env = {"FOUNDRY_PROFILE": "fast", "FOUNDRY_OUT": ".forge/mutants/slither-out"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        slither = Slither(str(root), compile_force_framework="foundry", foundry_compile_all=False)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    mutants: set[Mutant] = set()
    for target in targets:
        contract = _find_contract(slither, root / target.path, target.contract)
        content = (root / target.path).read_bytes()
        for name in mutators:
            if name in OPERATORS:
                found = operator_mutants(target.path, contract, content, name)
            elif name == "YOR":
                found = yul_mutants(target.path, content)
            else:
                found = _slither_mutants(target.path, contract, content, name, root)
            mutants.update(found)
    return sorted(mutants, key=lambda m: (m.path, m.start, m.mutator, m.new))


def _slither_mutants(
    path: str, contract: Any, content: bytes, name: str, root: Path
) -> list[Mutant]:
    """The patches of one of slither-mutate's own mutators, those that apply to the file."""
    from slither.tools.mutator.mutators import all_mutators

    mutator_class: Any = getattr(all_mutators, name)
    mutator = mutator_class(contract.compilation_unit, 0, "", None, contract, None, False, root, [])
    try:
        patches = mutator._mutate().get("patches", {})
    except (IndexError, KeyError, ValueError, AttributeError) as exc:
        # As slither-mutate itself does: a mutator that cannot read a construct yields no
        # mutant for that contract.
        log.warning("%s gives no mutant of %s: %r", name, contract.name, exc)
        return []
    blocks = assembly_blocks(content)
    found = []
    for patch in (p for file_patches in patches.values() for p in file_patches):
        if patch["new_string"] == patch["old_string"]:
            continue
        start, new = int(patch["start"]), str(patch["new_string"])
        if any(body <= start < end for _, body, end in blocks):
            continue  # inside inline assembly: a Solidity patch (`revert()`) never compiles in Yul
        if any(start == keyword for keyword, _, _ in blocks):
            new += ";"  # a whole assembly statement replaced: it has no `;` of its own
        if re.search(r"\b(constant|immutable)\b", patch["old_string"]):
            continue  # slither's initialiser of constants: such a patch never compiles
        if name == "RR" and DECLARATION.match(patch["old_string"]):
            continue  # a declaration replaced by `revert()`: its later uses never compile
        text = content[patch["start"] : patch["end"]].decode(errors="replace")
        if text != patch["old_string"]:
            log.info("skipped: %s's patch at %s does not match", name, patch["start"])
            continue
        found.append(
            Mutant(
                path,
                name,
                int(patch["line_number"]),
                start,
                int(patch["end"]),
                str(patch["old_string"]),
                new,
            )
        )
    return found


#: the operators each operator mutator swaps, and with what (always a mutant that compiles:
#: an ordering for an ordering, an equality for an equality)
OPERATORS: dict[str, dict[str, tuple[str, ...]]] = {
    "ROR": {
        "<": ("<=", ">", ">="),
        "<=": ("<", ">", ">="),
        ">": (">=", "<", "<="),
        ">=": (">", "<", "<="),
        "==": ("!=",),
        "!=": ("==",),
    },
    "AOR": {
        "+": ("-", "*"),
        "-": ("+", "*"),
        "*": ("/", "+"),
        "/": ("*", "%"),
        "%": ("/", "*"),
    },
    "BOR": {"&": ("|", "^"), "|": ("&", "^"), "^": ("&", "|"), "<<": (">>",), ">>": ("<<",)},
    "LOR": {"&&": ("||",), "||": ("&&",)},
}


def operator_mutants(path: str, contract: Any, content: bytes, name: str) -> list[Mutant]:
    """Each binary operator of the contract's Solidity swapped, found on slither's expression
    tree: the operator is the text between its two operands, so the patch replaces exactly it.
    (slither-mutate 0.11's own ROR splits the whole statement on the operator's text and
    crashes on Settlement, whose Yul `lt(a, b)` slither reads as a `<` the text does not hold;
    its AOR skips every statement with the operator twice.)"""
    from slither.core.expressions import BinaryOperation

    swaps = OPERATORS[name]
    found = []
    for function in contract.functions_and_modifiers_declared:
        for node in function.nodes:
            if node.source_mapping.filename.absolute != str(
                contract.source_mapping.filename.absolute
            ):
                continue
            for expression in _subexpressions(node.expression):
                if not isinstance(expression, BinaryOperation):
                    continue
                left = expression.expression_left.source_mapping
                right = expression.expression_right.source_mapping
                between = content[left.start + left.length : right.start].decode(errors="replace")
                operator = between.strip(" \t\n()")
                if operator not in swaps:
                    continue  # another mutator's operator, or Yul (operands are arguments)
                start = left.start + left.length + between.index(operator)
                line = content[:start].count(b"\n") + 1
                for new in swaps[operator]:
                    found.append(
                        Mutant(path, name, line, start, start + len(operator), operator, new)
                    )
    return found


def _subexpressions(expression: Any) -> list[Any]:
    """The expression and every expression inside it."""
    found: list[Any] = []
    pending = [expression]
    while pending:
        current = pending.pop()
        if current is None:
            continue
        found.append(current)
        for attribute in CHILDREN.get(type(current).__name__, ()):
            child = getattr(current, attribute)
            pending.extend(child if isinstance(child, (list, tuple)) else [child])
    return found


#: where slither's expressions keep their operands
CHILDREN = {
    "BinaryOperation": ("expression_left", "expression_right"),
    "AssignmentOperation": ("expression_left", "expression_right"),
    "IndexAccess": ("expression_left", "expression_right"),
    "UnaryOperation": ("expression",),
    "MemberAccess": ("expression",),
    "TypeConversion": ("expression",),
    "CallExpression": ("called", "arguments"),
    "TupleExpression": ("expressions",),
    "ConditionalExpression": ("if_expression", "then_expression", "else_expression"),
}

#: the Yul builtins the assembly mutator swaps, with what
YUL_SWAPS = {
    "lt": "gt",
    "gt": "lt",
    "slt": "sgt",
    "sgt": "slt",
    "add": "sub",
    "sub": "add",
    "mul": "div",
    "div": "mul",
    "and": "or",
    "or": "and",
    "shl": "shr",
    "shr": "shl",
}
YUL_BLOCK = re.compile(rb"\bassembly\b[^{]*\{")
#: comments and string literals, which neither open a block nor hold code to mutate
NOT_CODE = re.compile(rb'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.DOTALL)
YUL_CALL = re.compile(rb"\b(" + b"|".join(k.encode() for k in YUL_SWAPS) + rb")\(")


def assembly_blocks(content: bytes) -> list[tuple[int, int, int]]:
    """Each inline assembly block's byte offsets: the `assembly` keyword, the first byte of its
    body, and the byte after its closing brace."""
    code = _code_only(content)
    blocks = []
    for block in YUL_BLOCK.finditer(code):
        depth, end = 1, block.end()
        while depth and end < len(code):
            depth += {ord("{"): 1, ord("}"): -1}.get(code[end], 0)
            end += 1
        blocks.append((block.start(), block.end(), end))
    return blocks


def _code_only(content: bytes) -> bytes:
    """`content` with its comments and string literals blanked (same offsets)."""
    return NOT_CODE.sub(lambda m: re.sub(rb"[^\n]", b" ", m.group()), content)


def yul_mutants(path: str, content: bytes) -> list[Mutant]:
    """Inline assembly, which slither's IR does not mutate: each comparison, arithmetic,
    bitwise and shift builtin swapped for its counterpart (`lt` <-> `gt`, `add` <-> `sub`,
    `mul` <-> `div`, `and` <-> `or`, `shl` <-> `shr`)."""
    code = _code_only(content)
    found = []
    for _, body, end in assembly_blocks(content):
        for call in YUL_CALL.finditer(code, body, end):
            old = call.group(1).decode()
            start = call.start(1)
            line = content[:start].count(b"\n") + 1
            found.append(Mutant(path, "YOR", line, start, call.end(1), old, YUL_SWAPS[old]))
    return found


def _find_contract(slither: Any, path: Path, name: str) -> Any:
    for unit in slither.compilation_units:
        for contract in unit.contracts:
            if (
                contract.name == name
                and Path(contract.source_mapping.filename.absolute).resolve() == path.resolve()
            ):
                return contract
    raise MutationError(f"slither found no contract {name} in {path}")


class Workspace:
    """A scratch copy of what forge needs (contracts, forge tests, foundry.toml, the solc
    stand-in and node_modules as links), reused across runs for incremental compiles."""

    def __init__(self, root: Path, folder: Path) -> None:
        self.root = root
        self.folder = folder

    def prepare(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name in ("contracts", "tests/foundry"):
            destination = self.folder / name
            shutil.rmtree(destination, ignore_errors=True)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(self.root / name, destination)
        shutil.copy2(self.root / "foundry.toml", self.folder / "foundry.toml")
        for name in ("node_modules", "tools"):
            link = self.folder / name
            if not link.is_symlink():
                link.symlink_to(self.root / name)

    def forge_test(self, tests: str, timeout: float) -> tuple[int | None, str]:
        """(exit code, output) of the forge tests in folder `tests`; None on a timeout.

        forge compiles only those tests and what they import (an empty `src`), so a mutant
        recompiles its file and the part of that closure that imports it."""
        (self.folder / "no-src").mkdir(exist_ok=True)
        env = {
            **os.environ,
            "FOUNDRY_PROFILE": "fast",
            "FOUNDRY_SRC": "no-src",
            "FOUNDRY_TEST": tests,
            "FOUNDRY_OUT": f".forge/out-{Path(tests).name}",
            "FOUNDRY_CACHE_PATH": f".forge/cache-{Path(tests).name}",
            "FOUNDRY_DISABLE_NIGHTLY_WARNING": "1",
        }
        forge = str(self.root / "node_modules" / ".bin" / "forge")
        # Tests that bound gas hold the via-IR build: a mutant is judged on behaviour.
        command = [forge, "test", "--fail-fast", "--no-match-test", "^test_gas"]
        try:
            done = subprocess.run(
                command,
                cwd=self.folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None, "timeout"
        return done.returncode, done.stdout + done.stderr

    def run(self, mutant: Mutant, tests: str, timeout: float) -> Outcome:
        file = self.folder / mutant.path
        original = file.read_bytes()
        started = time.monotonic()
        if original[mutant.start : mutant.end].decode(errors="replace") != mutant.old:
            # The patch's offsets do not point at the text it replaces: not a mutant of this
            # file (never counted).
            return Outcome(mutant, "not-applied", 0.0)
        try:
            file.write_bytes(
                original[: mutant.start] + mutant.new.encode() + original[mutant.end :]
            )
            code, output = self.forge_test(tests, timeout)
        finally:
            file.write_bytes(original)
        if code is not None and _compile_failed(output):
            status = "no-compile"
        elif code == 0 and not forge_reported_failure(output):
            status = "survived"
        else:
            status = "killed"  # a failing test, or a timeout (a mutant that loops)
        return Outcome(mutant, status, time.monotonic() - started)


def forge_reported_failure(output: str) -> bool:
    """Whether forge's report shows a failing test. Its exit code is not enough: with
    `--fail-fast` forge 1.7 can exit 0 after a failure."""
    return "[FAIL" in output or "Suite result: FAILED" in output


def _compile_failed(output: str) -> bool:
    return (
        "Compiler run failed" in output
        or "Compilation failed" in output
        or ("Error (" in output and "Compiling" in output and "Ran " not in output)
    )


def run_campaign(
    root: Path,
    per_target: int,
    targets: Sequence[Target] = TARGETS,
    mutators: Sequence[str] = MUTATORS,
    progress: Callable[[Outcome], None] | None = None,
    budget_s: float | None = None,
    jobs: int = 1,
) -> Campaign:
    """Generate, pick `per_target` mutants per contract, and judge each against its tests;
    after `budget_s` seconds the remaining mutants are "not-run". `jobs` workspaces judge
    mutants side by side (a mutant's compile keeps one core busy); the outcomes keep the
    sample's order whatever finishes first."""
    deadline = None if budget_s is None else time.monotonic() + budget_s
    folder = root / ".forge" / "mutants"
    workspaces = [
        Workspace(root, folder / ("work" if i == 0 else f"work-{i + 1}"))
        for i in range(max(1, jobs))
    ]
    for workspace in workspaces:
        workspace.prepare()
    mutants = generate(root, targets, mutators)
    plan: list[tuple[Mutant, str]] = []
    turn = 0
    for target in targets:
        chosen = sample([m for m in mutants if m.path == target.path], per_target, mutators, turn)
        turn += len(chosen)
        plan += [(mutant, target.tests) for mutant in chosen]
    outcomes: list[Outcome | None] = [None] * len(plan)
    pending = iter(range(len(plan)))
    lock = threading.Lock()
    stop = threading.Event()

    def judge(workspace: Workspace) -> None:
        timeouts: dict[str, float] = {}  # per test folder: its unmutated run in this workspace
        try:
            while not stop.is_set():
                with lock:
                    index = next(pending, None)
                if index is None:
                    return
                mutant, tests = plan[index]
                if deadline is not None and time.monotonic() > deadline:
                    outcomes[index] = Outcome(mutant, "not-run", 0.0)
                    continue
                if tests not in timeouts:
                    timeouts[tests] = _unmutated_timeout(workspace, tests)
                outcome = workspace.run(mutant, tests, timeouts[tests])
                log.info("%s: %s", outcome.status, mutant.describe())
                with lock:
                    outcomes[index] = outcome
                    if progress is not None:
                        progress(outcome)
        except BaseException:
            stop.set()  # the other workspaces take no new mutant
            raise

    with ThreadPoolExecutor(len(workspaces)) as pool:
        running = [pool.submit(judge, workspace) for workspace in workspaces]
    for done in running:
        done.result()  # a workspace's MutationError, raised here
    return Campaign(tuple(o for o in outcomes if o is not None))


def _unmutated_timeout(workspace: Workspace, tests: str) -> float:
    """Runs the unmutated tests in `tests` (which also warms the workspace's compile cache)
    and gives a mutant of them twice that time, its compile included, at least two minutes."""
    started = time.monotonic()
    code, output = workspace.forge_test(tests, timeout=3600)
    if code != 0 or forge_reported_failure(output):
        raise MutationError(f"the unmutated tests {tests} fail; fix them first:\n{output[-2000:]}")
    return max(120.0, 2 * (time.monotonic() - started))
