"""Benchmarks: gas scenarios on Anvil (`crossbook bench gas`)."""
