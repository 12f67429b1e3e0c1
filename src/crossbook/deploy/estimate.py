"""What a plan will cost before anything is sent: a dry run on a fork.

`estimate_plan` starts Anvil forked from the target chain at its latest block, lets it sign for
the deployer (`--auto-impersonate`), runs the plan there with the one executor, and sums the
gas of the transactions the deployer sent. The price is the target chain's current gas price.
The fork stops afterwards; nothing reaches the target chain.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils.address import to_checksum_address
from web3 import Web3

from crossbook.deploy.execute import execute_plan
from crossbook.deploy.plan import SuitePlan
from crossbook.devnet.anvil import AnvilConfig, AnvilNode
from crossbook.manifest import Manifest

#: Ether the deployer holds on the fork, whatever it holds on the target chain.
_FORK_BALANCE = hex(10**24)


@dataclass(frozen=True)
class CostEstimate:
    """`gas` of the transactions the plan sends, priced at `gas_price` (wei per gas)."""

    transactions: int
    gas: int
    gas_price: int

    @property
    def wei(self) -> int:
        return self.gas * self.gas_price

    def line(self) -> str:
        ether = Web3.from_wei(self.wei, "ether")
        gwei = Web3.from_wei(self.gas_price, "gwei")
        return (
            f"estimated cost: {self.transactions} transactions, {self.gas:,} gas "
            f"x {gwei} gwei = {ether} ETH"
        )


def estimate_plan(
    rpc_url: str, w3: Web3, plan: SuitePlan, manifest: Manifest | None = None
) -> CostEstimate:
    """Run `plan` on a fork of the chain at `rpc_url` (`w3` connected to it) and measure it."""
    deployer = to_checksum_address(plan.config.deployer)
    chain_id = int(w3.eth.chain_id)
    config = AnvilConfig(
        chain_id=chain_id,
        accounts=1,
        extra_args=("--fork-url", rpc_url, "--auto-impersonate"),
    )
    with AnvilNode(config) as fork:
        fork_w3 = Web3(Web3.HTTPProvider(fork.rpc_url))
        fork.rpc("anvil_setBalance", [deployer, _FORK_BALANCE])
        start = int(fork_w3.eth.block_number)
        copy = manifest.model_copy(deep=True) if manifest is not None else None
        execute_plan(fork_w3, plan, deployer, copy)
        gas = sent = 0
        for number in range(start + 1, int(fork_w3.eth.block_number) + 1):
            for tx_hash in fork_w3.eth.get_block(number)["transactions"]:
                assert isinstance(tx_hash, bytes)
                receipt = fork_w3.eth.get_transaction_receipt(tx_hash)
                if receipt["from"] == deployer:
                    gas += int(receipt["gasUsed"])
                    sent += 1
    return CostEstimate(sent, gas, int(w3.eth.gas_price))
