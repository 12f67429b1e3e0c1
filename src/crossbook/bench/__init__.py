"""Benchmarks: gas scenarios on Anvil (`crossbook bench gas`), the relayer's ingest, latency,
matching and end-to-end figures (`crossbook relayer bench`), and the page they are recorded on
(docs/benchmarks.md, `crossbook.bench.page`)."""
