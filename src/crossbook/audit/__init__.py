"""`crossbook bench audit` (`make audit`): what an auditor asks of the contracts, measured.

- `crossbook.audit.report`: reads the tools' outputs (forge's lcov, coverage.py's JSON, forge
  test JSON, halmos JSON, slither JSON) into figures, prints the one summary table and writes
  its rows into the benchmarks page (`crossbook.bench.page`);
- `crossbook.audit.mutants`: the mutation campaign (slither-mutate's mutators, forge's tests);
- `crossbook.audit.steps`: runs each tool and hands its output to the report.
"""
