"""The off-chain relayer: collects EIP-712 signed orders, matches them in batches at one
uniform clearing price per market, and settles the batches on chain (docs/relayer.md)."""
