"""Every user mistake gives one clear line and a non-zero exit code, never a traceback."""

from __future__ import annotations

import json
import shlex
import socket
from pathlib import Path

import pytest
from eth_account import Account

from crossbook.client import RelayerClient
from crossbook.client.errors import RelayerError
from crossbook.devnet.accounts import dev_accounts
from tests.cli.conftest import crossbook
from tests.stacks import Stack, mint

pytestmark = pytest.mark.devnet


def free_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="module")
def stack(testnet_stack: Stack) -> Stack:
    return testnet_stack


def error_of(stack: Stack, *args: str, code: int = 1, **kw: object) -> str:
    result = crossbook(stack, *args, code=code, **kw)  # type: ignore[arg-type]
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines, "no message"
    return "\n".join(lines)


def test_unknown_token(stack: Stack) -> None:
    key = stack.traders[0].key_hex
    message = error_of(stack, "order", "place", "1", "NOPE", "2000", "USDC", key=key)
    assert message == (
        "Error: UnknownToken: unknown token 'NOPE' on chain 11155111: use one of USDC, WETH "
        "(from the deployment manifest) or a 0x address"
    )
    assert "UnknownToken" in error_of(stack, "balance", "DOGE", key=key)


def test_insufficient_balance(stack: Stack) -> None:
    broke = Account.create()
    message = error_of(stack, "order", "place", "1", "WETH", "2000", "USDC", key=broke.key.hex())
    assert message.startswith(f"Error: InsufficientBalance: {broke.address} has 0 WETH (wallet)")
    message = error_of(stack, "withdraw", "USDC", "5", key=stack.traders[0].key_hex)
    assert "InsufficientBalance" in message and "internal balance is 0 USDC" in message


def test_insufficient_allowance(stack: Stack) -> None:
    fresh = Account.create()
    mint(stack.w3, stack.manifest, fresh.address, stack.w3.eth.accounts[0], units=10)
    message = error_of(stack, "order", "place", "1", "USDC", "1", "WETH", key=fresh.key.hex())
    assert message.startswith("Error: InsufficientAllowance: the settlement contract may spend 0")
    assert "run `crossbook approve USDC`" in message


def test_relayer_unreachable(stack: Stack) -> None:
    url = free_url()
    place = shlex.split("order place 1 WETH 2000 USDC")
    message = error_of(stack, *place, "--relayer-url", url, key=stack.traders[0].key_hex)
    assert message.startswith(f"Error: RelayerUnreachable: no relayer answers at {url}")
    assert "crossbook relayer run" in message


def test_node_unreachable(stack: Stack) -> None:
    url = free_url()
    message = error_of(stack, "balance", "--rpc-url", url, key=stack.traders[0].key_hex)
    assert message.startswith(f"Error: NodeUnreachable: no Ethereum node answers at {url}")


def test_wrong_chain_id(stack: Stack) -> None:
    message = error_of(stack, "balance", "--chain-id", "1", key=stack.traders[0].key_hex)
    assert message == (
        f"Error: WrongNetwork: the node at {stack.rpc_url} is chain 11155111, not the expected "
        "1: point --rpc-url at the right network (or drop --chain-id)"
    )


def test_no_manifest_for_the_nodes_chain(stack: Stack, tmp_path: Path) -> None:
    message = error_of(
        stack, "balance", "--manifest-dir", str(tmp_path), key=stack.traders[0].key_hex
    )
    assert message.startswith("Error: WrongNetwork: the node at")
    assert "no deployment manifest for chain 11155111" in message


def test_stale_manifest(stack: Stack, tmp_path: Path) -> None:
    data = json.loads((stack.manifest_dir / "11155111.json").read_text())
    data["contracts"]["Settlement"]["address"] = "0x" + "12" * 20
    (tmp_path / "11155111.json").write_text(json.dumps(data))
    message = error_of(
        stack, "balance", "--manifest-dir", str(tmp_path), key=stack.traders[0].key_hex
    )
    assert "WrongNetwork" in message and "the node has no code there" in message


def test_relayer_of_another_chain(stack: Stack, devnet_stack: Stack) -> None:
    relayer = devnet_stack.relayer_url
    message = error_of(
        stack, "order", "list", "--relayer-url", relayer, key=stack.traders[0].key_hex
    )
    assert message == (
        f"Error: WrongNetwork: the relayer at {devnet_stack.relayer_url} serves chain 31337, but "
        "the node is chain 11155111: use the relayer of this network (--relayer-url)"
    )


def test_well_known_key_refused_off_devnet_but_fine_on_devnet(
    stack: Stack, devnet_stack: Stack
) -> None:
    anvil_key = "0x" + dev_accounts()[1].private_key.hex()
    message = error_of(stack, "balance", key=anvil_key)
    assert message.startswith(
        f"Error: WellKnownKeyRefused: {dev_accounts()[1].address} is a well-known devnet key"
    )
    assert "chain 11155111 is not a devnet" in message
    crossbook(devnet_stack, "balance", key=anvil_key)  # the same key on the devnet: fine


def test_key_mistakes(stack: Stack, tmp_path: Path) -> None:
    assert error_of(stack, "balance") == (
        "Error: SignerError: no signing key: pass --key-file <file>, --account <ape alias>, "
        "or set CROSSBOOK_PRIVATE_KEY"
    )
    assert "CROSSBOOK_PRIVATE_KEY: the private key is not hex" in error_of(
        stack, "balance", key="not-a-key"
    )
    assert "cannot read the key file" in error_of(
        stack, "balance", "--key-file", str(tmp_path / "missing")
    )
    empty = tmp_path / "ape"
    (empty / "accounts").mkdir(parents=True)
    message = error_of(stack, "balance", "--account", "nobody", env={"APE_DATA_FOLDER": str(empty)})
    assert "SignerError: no ape account 'nobody'" in message
    keyfile = Account.encrypt(Account.create().key, "right")
    (empty / "accounts" / "me.json").write_text(json.dumps(keyfile))
    wrong = {"APE_DATA_FOLDER": str(empty), "APE_ACCOUNTS_me_PASSPHRASE": "wrong"}
    message = error_of(stack, "balance", "--account", "me", env=wrong)
    assert "SignerError: wrong passphrase for the keystore" in message


def test_amount_mistakes(stack: Stack) -> None:
    key = stack.traders[0].key_hex
    assert "InvalidAmount: 0.0000001 USDC has more than 6 decimals" in error_of(
        stack, "order", "place", "0.0000001", "USDC", "1", "WETH", key=key
    )
    assert "InvalidAmount: 'lots' is not a number" in error_of(
        stack, "order", "place", "lots", "WETH", "1", "USDC", key=key
    )
    assert "InvalidAmount: the amount of WETH must be positive" in error_of(
        stack, "deposit", "WETH", "0", key=key
    )
    assert "an order sells one token for another" in error_of(
        stack, "order", "place", "1", "WETH", "1", "weth", key=key
    )


def test_usage_mistakes_exit_2(stack: Stack) -> None:
    assert "Missing argument 'BUY_AMOUNT'" in error_of(stack, "order", "place", "1", "WETH", code=2)
    assert "Invalid value for '--status'" in error_of(
        stack, "order", "list", "--status", "done", code=2
    )
    message = error_of(stack, "order", "status", "0x1234")
    assert message.startswith("Error: InvalidOrderUid")
    message = error_of(stack, "order", "status", "0x" + "ab" * 32)
    assert message.startswith("Error: OrderNotFound")


def test_a_web_server_that_is_not_a_relayer(stack: Stack, tmp_path: Path) -> None:
    """--relayer-url naming some other HTTP server (here: one serving a folder's files)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # not into the CLI's stderr
            pass

    (tmp_path / "index.html").write_text("<html>not a relayer</html>")
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "markets").write_text("<html>a page, not JSON</html>")
    handler = functools.partial(Quiet, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            message = error_of(
                stack, "order", "list", "--relayer-url", url, key=stack.traders[0].key_hex
            )
            with RelayerClient(url) as sdk, pytest.raises(RelayerError) as raised:
                sdk.markets()  # the SDK straight at a page that answers 200
        finally:
            server.shutdown()
    assert message == f"Error: RelayerError: {url}/health is not JSON: is it a crossbook relayer?"
    assert str(raised.value) == (
        f"GET /v1/markets answered 200 with a body that is not JSON: is {url} a crossbook relayer?"
    )
