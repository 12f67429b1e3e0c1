def test_mint_credits_balance_and_supply(create_token, maker):
    token = create_token("USDC", 6)
    token.mint(maker, 5_000_000, sender=maker)
    assert token.balanceOf(maker) == 5_000_000
    assert token.totalSupply() == 5_000_000
    assert token.decimals() == 6


def test_accounts_equal_anvil_dev_accounts(accounts):
    # Anvil's first dev account for the standard test mnemonic.
    assert accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


_seen: dict[str, object] = {}


def test_isolation_first_mints(project, deployer, maker):
    # ape reverts chain state after every test; the next test must not see this token.
    _seen["nonce_before"] = deployer.nonce
    token = project.MockERC20.deploy("Isolated", "ISO", 18, sender=deployer)
    token.mint(maker, 1, sender=maker)
    _seen["token"] = token.address
    assert token.balanceOf(maker) == 1


def test_isolation_second_sees_fresh_chain(chain, deployer):
    assert "token" in _seen, "runs after test_isolation_first_mints"
    assert deployer.nonce == _seen["nonce_before"]
    assert chain.provider.get_code(_seen["token"]) == b""
