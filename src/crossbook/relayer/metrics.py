"""Counters and a latency histogram, rendered in the Prometheus text format (0.0.4)."""

from __future__ import annotations

import threading
from collections import defaultdict

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        self._help: dict[str, str] = {}
        self._hist_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self._hist_sum = 0.0
        self._gauges: dict[str, float] = {}

    def inc(self, name: str, help_text: str, amount: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._help.setdefault(name, help_text)
            self._counters[key] += amount

    def set_gauge(self, name: str, value: float) -> None:
        with self._lock:
            self._gauges[name] = value

    def observe_ingest(self, seconds: float) -> None:
        with self._lock:
            self._hist_sum += seconds
            for i, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    self._hist_counts[i] += 1
                    return
            self._hist_counts[-1] += 1

    def counter(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._counters.get((name, tuple(sorted(labels.items()))), 0.0)

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            by_name: dict[str, list[tuple[tuple[tuple[str, str], ...], float]]] = defaultdict(list)
            for (name, labels), value in sorted(self._counters.items()):
                by_name[name].append((labels, value))
            for name, series in by_name.items():
                lines.append(f"# HELP {name} {self._help[name]}")
                lines.append(f"# TYPE {name} counter")
                for labels, value in series:
                    label_text = ",".join(f'{k}="{v}"' for k, v in labels)
                    lines.append(
                        f"{name}{{{label_text}}} {value:g}" if labels else f"{name} {value:g}"
                    )
            for name, value in sorted(self._gauges.items()):
                lines.append(f"# TYPE {name} gauge")
                lines.append(f"{name} {value:g}")
            name = "crossbook_relayer_order_ingest_seconds"
            lines.append(f"# HELP {name} POST /v1/orders: receipt to durable acknowledgement")
            lines.append(f"# TYPE {name} histogram")
            cumulative = 0
            for bound, count in zip(LATENCY_BUCKETS, self._hist_counts, strict=False):
                cumulative += count
                lines.append(f'{name}_bucket{{le="{bound}"}} {cumulative}')
            cumulative += self._hist_counts[-1]
            lines.append(f'{name}_bucket{{le="+Inf"}} {cumulative}')
            lines.append(f"{name}_sum {self._hist_sum:g}")
            lines.append(f"{name}_count {cumulative}")
        return "\n".join(lines) + "\n"
