"""The local Anvil devnet: a node, the dev accounts, the deployed suite and its manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from web3 import Web3

from crossbook.chain import connect
from crossbook.devnet.accounts import DevAccount, dev_accounts
from crossbook.devnet.anvil import AnvilConfig, AnvilNode, MiningMode
from crossbook.devnet.deploy import Roles, deploy_suite
from crossbook.manifest import Manifest

__all__ = ["AnvilConfig", "AnvilNode", "DevAccount", "Devnet", "MiningMode", "dev_accounts"]


@dataclass
class Devnet:
    """A running node with the suite deployed: ``with Devnet.launch() as devnet: ...``."""

    node: AnvilNode
    w3: Web3
    accounts: tuple[DevAccount, ...]
    manifest: Manifest
    manifest_dir: Path | None = field(default=None)

    @classmethod
    def launch(
        cls,
        config: AnvilConfig | None = None,
        manifest_dir: Path | None = None,
        detached: bool = False,
    ) -> Devnet:
        node = AnvilNode(config, detached=detached).start()
        try:
            w3, _ = connect(node.rpc_url)
            accounts = dev_accounts(node.config.accounts, node.config.mnemonic)
            # Deploy with automine even when the node will run in another mode.
            if node.config.mining is not MiningMode.AUTO:
                node.set_mining(MiningMode.AUTO)
            roles = Roles(
                owner=accounts[0].address,
                guardian=accounts[-2].address,
                relayer=accounts[-1].address,
                fee_recipient=accounts[0].address,
            )
            manifest = deploy_suite(w3, roles, [a.address for a in accounts], manifest_dir)
            if node.config.mining is not MiningMode.AUTO:
                node.set_mining(node.config.mining, node.config.block_time)
        except BaseException:
            node.stop()
            raise
        return cls(
            node=node, w3=w3, accounts=accounts, manifest=manifest, manifest_dir=manifest_dir
        )

    @property
    def deployer(self) -> DevAccount:
        return self.accounts[0]

    def stop(self) -> None:
        self.node.stop()

    def __enter__(self) -> Devnet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
