"""crossbook: batch-settled EIP-712 orders, AMM pools and an on-chain order book."""

__version__ = "0.1.0"
