"""docs/benchmarks.md: the one page that holds crossbook's measured figures.

`make bench` runs each benchmark command with ``--write-page docs/benchmarks.md``. A command
rewrites the rows of its own section (gas, relayer ingest, relayer end to end) and keeps every
other row and section, so the commands run in sequence give a full page, and re-running one gas
scenario updates that scenario's row alone. A row is one scenario: its figure, the command that
measured it, the date and the machine.

The machine column also says whether the machine was quiet. While a command runs, the CPU time
the whole machine spent (``/proc/stat``) is compared with what the command's own process tree
spent (the load generator, Anvil, the relayer); when other processes took more than
`BUSY_SHARE` of the machine's CPU, the row says "machine busy". Gas does not depend on it;
throughput and latency do.

The page's prose lives here, not in the Markdown: every write regenerates the page from these
texts and the rows already on it.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from crossbook.errors import CrossbookError

#: other processes' share of the machine's CPU above which a run counts as "machine busy"
BUSY_SHARE = 0.10

RUN_COLUMNS = ("command", "date", "machine")

PAGE_TITLE = "# Benchmarks"

PAGE_INTRO = """\
Every measured figure of crossbook is on this page; the other docs link here. `make bench`
writes it: each row says which command measured its figure, when, and on what machine, and
whether other processes were busy on that machine at the time (gas does not depend on it;
throughput and latency do). Run one of the commands below with `--write-page
docs/benchmarks.md` to refresh its rows; the rest of the page is kept. The text of this page
is generated from `src/crossbook/bench/page.py`: edit it there.

The gas figures that `make test` holds the contracts to are the committed ones in
`snapshots/gas.json` (`make bench-update` rewrites them); `crossbook bench gas` prints its
measurement against them."""


class BenchPageError(CrossbookError, ValueError):
    """The benchmarks page cannot be read back: a section's table is not the one expected."""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    columns: tuple[str, ...]  # the scenario's own columns; RUN_COLUMNS follow
    sort_rows: bool = False
    empty: str = "No figures yet."

    @property
    def header(self) -> tuple[str, ...]:
        return self.columns + RUN_COLUMNS

    @property
    def start_marker(self) -> str:
        return f"<!-- bench:{self.key} -->"

    @property
    def end_marker(self) -> str:
        return f"<!-- /bench:{self.key} -->"


GAS = Section(
    key="gas",
    title="Gas",
    intro="""\
Full transaction gas (the receipt's `gasUsed`) on Anvil, measured by `crossbook bench gas`
after a fresh full compile (`ape compile --force`: with via-IR a contract's bytecode depends on
the whole compilation unit, so an incremental compile can differ by a few gas). Every scenario
starts from the same state right after deployment (`evm_snapshot` / `evm_revert`) and measures
steady state: the accounts hold both tokens, have approved, and have done the same action once
before. A "per fill" figure is a batch's gas divided by its fills. Settlement batches are sent
as the relayer sends them, with the EIP-2930 access list of their simulation. The scenarios are
defined in `src/crossbook/bench/gas_*.py`; `crossbook bench gas-profile
settle-wallet|settle-internal` splits a settle batch's gas by opcode class.""",
    columns=("scenario", "what is measured", "gas", "target"),
    sort_rows=True,
    empty="No figures yet: run `crossbook bench gas --write-page docs/benchmarks.md`.",
)

RELAYER_INGEST = Section(
    key="relayer-ingest",
    title="Relayer: ingest, latency and matching",
    intro="""\
`crossbook relayer bench` starts a devnet and the relayer as its own process, API only (no
matcher or submitter), with balance and allowance checks on, rate limits off and SQLite in a
temporary file unless `--database-url` names another database. Every order is signed before
the clock starts and sent as a pre-encoded request over keep-alive connections. Ingest counts
orders validated and durably stored (committed before the reply) per second, with the
relayer's own CPU time per order, which depends far less than orders/s on what else the
machine runs. Latency is measured at a fixed 1,000 orders/s from each request's scheduled
send time, so a stalled server is charged for the queue it causes. Matching is the matching
engine alone: a 100,000-order book through one price-time sort, clearing and plan check.
`--rounds N` repeats the ingest figures with fresh orders (one figure per round).""",
    columns=("scenario", "figure"),
    empty="No figures yet: run `crossbook relayer bench --write-page docs/benchmarks.md`.",
)

RELAYER_E2E = Section(
    key="relayer-e2e",
    title="Relayer: end to end on a chain",
    intro="""\
`crossbook relayer bench --e2e` runs Anvil with 1-second blocks and the relayer with its
worker, posts enough crossing fill-or-kill pairs up front for every block of the window, and
counts the fills settled per second once they are all in. The bound is the block gas limit
divided by the gas per fill and the block time. Gas per fill is the receipts' figure, after
refunds; a transaction needs its gas before refunds and cannot have more than a block's, so
one batch per block stays below the bound (see [relayer.md](relayer.md#submitting)).""",
    columns=("scenario", "figure"),
    empty="No figures yet: run `crossbook relayer bench --e2e --write-page docs/benchmarks.md`.",
)

WEB = Section(
    key="web",
    title="Trading page",
    intro="""\
`crossbook bench page` measures the trading page ([web.md](web.md)) in Debian's Chromium
(headless, driven by Playwright) against a devnet and `crossbook relayer run` on localhost.
Size is the built JavaScript and CSS compressed with gzip at level 9. Time to a usable page is
the Performance API's `crossbook:ready` mark (markets, book and batches drawn, the form wired)
from the start of navigation, each load in a fresh browser context (cold cache). The fill delay
runs from the moment the first event of the settled batch (the relayer sends its `trade` and
`batch` events once it has the batch's receipt) reaches a client of `/v1/stream` beside the
browser, to the moment the page shows the order `filled`
in "My orders" (a MutationObserver's clock; the page and the client share the machine's
clock); each round a crossing pair, one order of the page's wallet, is posted and settled.""",
    columns=("scenario", "figure", "goal"),
    empty="No figures yet: run `crossbook bench page --write-page docs/benchmarks.md`.",
)

AUDIT = Section(
    key="audit",
    title="Audit: coverage, mutation, symbolic checks, deep fuzz, static analysis",
    intro="""\
`make audit` (`crossbook bench audit`, not part of `make test`) runs what an auditor asks of
the contracts and records one row per check: forge coverage of `contracts/` (mocks excluded)
and pytest-cov of `src/crossbook`, the mutation score of the core contracts (slither-mutate's
mutators against their forge tests), the halmos proofs in `tests/halmos`, the deep fuzz and
invariant runs, slither's findings at every level and the gas snapshot. Coverage and mutants
build under the `fast` profile (no via-IR): they judge behaviour, not gas. What each check
means, and why each surviving mutant is equivalent, is in [security.md](security.md).""",
    columns=("check", "figure", "goal"),
    empty="No figures yet: run `make audit`.",
)

SECTIONS: tuple[Section, ...] = (GAS, RELAYER_INGEST, RELAYER_E2E, WEB, AUDIT)

Rows = list[tuple[str, ...]]


# -- the machine ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory_gib: int | None

    @classmethod
    def current(cls) -> Machine:
        cpu, cores = "unknown CPU", 0
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                name, _, value = line.partition(":")
                if name.strip() == "model name" and cpu == "unknown CPU":
                    cpu = " ".join(value.split())
                elif name.strip() == "processor":
                    cores += 1
        except OSError:
            pass
        memory = None
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    memory = round(int(line.split()[1]) / 2**20)
        except (OSError, ValueError, IndexError):
            pass
        return cls(cpu, cores or os.cpu_count() or 0, memory)

    def label(self) -> str:
        memory = "" if self.memory_gib is None else f", {self.memory_gib} GiB"
        return f"{self.cpu}, {self.cores} cores{memory}"


def _machine_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine since boot, in clock ticks."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def _tree_jiffies(root: int) -> dict[tuple[int, str], int]:
    """User + system CPU of `root` and every live descendant, keyed by (pid, start time)."""
    seen: dict[tuple[int, str], int] = {}
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seen[(pid, fields[19])] = int(fields[11]) + int(fields[12])
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue
    return seen


@dataclass
class RunMonitor:
    """The machine's CPU time and this process tree's, from `start` to `stop`.

    The tree is sampled every `interval` seconds (a child that exits between samples is counted
    up to its last sample), so the other processes' share is slightly overstated, never hidden.
    """

    interval: float = 0.2
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    load_at_start: float | None = None
    _machine_start: tuple[int, int] | None = None
    _own: dict[tuple[int, str], int] = field(default_factory=dict)
    _own_start: dict[tuple[int, str], int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @classmethod
    def start(cls, interval: float = 0.2) -> RunMonitor:
        monitor = cls(interval=interval)
        with contextlib.suppress(OSError):
            monitor.load_at_start = os.getloadavg()[0]
        monitor._machine_start = _machine_jiffies()
        monitor._own_start = _tree_jiffies(os.getpid())
        monitor._own = dict(monitor._own_start)
        monitor._thread = threading.Thread(target=monitor._sample, daemon=True)
        monitor._thread.start()
        return monitor

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._merge(_tree_jiffies(os.getpid()))

    def _merge(self, sample: dict[tuple[int, str], int]) -> None:
        for key, jiffies in sample.items():
            self._own[key] = max(self._own.get(key, 0), jiffies)

    def stop(self) -> RunConditions:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._merge(_tree_jiffies(os.getpid()))
        end = _machine_jiffies()
        others: float | None = None
        if self._machine_start is not None and end is not None:
            own = sum(j - self._own_start.get(k, 0) for k, j in self._own.items())
            busy = end[0] - self._machine_start[0]
            total = end[1] - self._machine_start[1]
            if total > 0:
                others = max(0, busy - own) / total
        return RunConditions(self.started, Machine.current(), self.load_at_start, others)


@dataclass(frozen=True)
class RunConditions:
    started: datetime
    machine: Machine
    load_at_start: float | None
    others_share: float | None  # other processes' share of the machine's CPU during the run

    @property
    def busy(self) -> bool | None:
        return None if self.others_share is None else self.others_share > BUSY_SHARE

    def date(self) -> str:
        return self.started.strftime("%Y-%m-%d %H:%M UTC")

    def label(self) -> str:
        load = "" if self.load_at_start is None else f", load average {self.load_at_start:.1f}"
        if self.others_share is None:
            state = f"CPU use of other processes unknown{load}"
        else:
            verdict = "machine busy" if self.busy else "quiet"
            state = f"{verdict}: other processes used {self.others_share:.0%} of the CPU{load}"
        return f"{self.machine.label()}; {state}"


# -- reading and writing the page ------------------------------------------------------------
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _row_line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _parse_row(line: str) -> tuple[str, ...]:
    inner = line.strip()
    if not (inner.startswith("|") and inner.endswith("|")):
        raise BenchPageError(f"not a table row: {line!r}")
    return tuple(c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(inner[1:-1]))


def read_rows(text: str, section: Section) -> Rows:
    """The rows of `section` on a page (none if the page does not have the section yet)."""
    match = re.search(
        re.escape(section.start_marker) + r"\n(.*?)" + re.escape(section.end_marker), text, re.S
    )
    if match is None:
        return []
    lines = [ln for ln in match.group(1).splitlines() if ln.strip().startswith("|")]
    if not lines:
        return []
    header = _parse_row(lines[0])
    if header != section.header:
        raise BenchPageError(
            f"the {section.title!r} table has columns {header}, expected {section.header}: "
            "fix or delete that table on the page and run the benchmark again"
        )
    if len(lines) < 2 or not re.fullmatch(r"\|(\s*-+:?\s*\|)+", lines[1].replace(" ", "")):
        raise BenchPageError(f"the {section.title!r} table has no separator line")
    rows = [_parse_row(ln) for ln in lines[2:]]
    for row in rows:
        if len(row) != len(section.header):
            raise BenchPageError(
                f"a row of the {section.title!r} table has {len(row)} cells, "
                f"expected {len(section.header)}: {row}"
            )
    return rows


def merge_rows(old: Rows, new: Rows, *, sort: bool) -> Rows:
    """`old` with every row whose scenario (first cell) is in `new` replaced by the new one;
    new scenarios are appended."""
    fresh = {row[0]: row for row in new}
    merged = [fresh.pop(row[0], row) for row in old]
    merged += [row for row in new if row[0] in fresh]
    return sorted(merged, key=lambda r: r[0]) if sort else merged


def render_page(rows_by_section: dict[str, Rows]) -> str:
    parts = [PAGE_TITLE, "", PAGE_INTRO, ""]
    for section in SECTIONS:
        parts += [f"## {section.title}", "", section.intro, "", section.start_marker]
        rows = rows_by_section.get(section.key, [])
        if rows:
            parts.append(_row_line(section.header))
            parts.append("|" + "|".join("---" for _ in section.header) + "|")
            parts += [_row_line(row) for row in rows]
        else:
            parts.append(section.empty)
        parts += [section.end_marker, ""]
    return "\n".join(parts)


def update_page(path: Path, section: Section, rows: Rows) -> Path:
    """Write `rows` into `section` of the page at `path` (created if missing), keeping the
    section's other rows and every other section."""
    text = path.read_text() if path.is_file() else ""
    current = {s.key: read_rows(text, s) for s in SECTIONS}
    current[section.key] = merge_rows(current[section.key], rows, sort=section.sort_rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_page(current))
    tmp.replace(path)
    return path


# -- what the benchmark commands record ---------------------------------------------------------
class BenchPage:
    """The page one benchmark command writes to; the run's clock starts when it is opened."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.monitor = RunMonitor.start()

    def record(self, section: Section, rows: Iterable[Sequence[str]], command: str) -> Path:
        """Stop the run's clock and write `rows` (the section's own columns) with the run's
        command, date and machine."""
        conditions = self.monitor.stop()
        run = (f"`{command}`", conditions.date(), conditions.label())
        return update_page(self.path, section, [tuple(r) + run for r in rows])

    def record_gas(self, measured: dict[str, int]) -> Path:
        """`crossbook bench gas` figures (scenario name -> gas, per fill where it says so)."""
        from crossbook.bench import gas

        names = sorted(measured)
        everything = set(names) == set(gas.SCENARIOS)
        command = "crossbook bench gas" + ("" if everything else " " + " ".join(names))
        return self.record(GAS, gas_rows(measured), command)

    def record_audit(self, rows: Iterable[Sequence[str]], command: str) -> Path:
        """`crossbook bench audit` figures: (check, figure, goal) rows."""
        return self.record(AUDIT, rows, command)


def gas_rows(measured: dict[str, int]) -> Rows:
    from crossbook.bench import gas

    rows: Rows = []
    for name in sorted(measured):
        scenario = gas.SCENARIOS[name]
        figure = f"{measured[name]:,}" + (" per fill" if scenario.per > 1 else "")
        target = "-"
        if scenario.target is not None:
            missed = measured[name] > scenario.target
            target = f"{scenario.target:,}" + (" (missed)" if missed else " (met)")
        rows.append((f"`{name}`", scenario.description, figure, target))
    return rows


F = TypeVar("F", bound=Callable[..., Any])


def _open_page(ctx: click.Context, param: click.Parameter, value: Path | None) -> BenchPage | None:
    return None if value is None else BenchPage(value)


def write_page_option(command: F) -> F:
    """``--write-page PATH`` for a benchmark command: the command receives a `BenchPage` (or
    None) as ``write_page``, whose clock starts as the options are parsed."""
    option = click.option(
        "--write-page",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        callback=_open_page,
        help="Also record the figures in this Markdown page (make bench: docs/benchmarks.md); "
        "the page's other rows and sections are kept.",
    )
    return option(command)
