"""AMM pools: the pool math model and a small client (SDK) for the factory, pools and router."""
