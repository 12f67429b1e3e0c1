def test_mint_credits_balance_and_supply(create_token, maker):
    token = create_token("USDC", 6)
    token.mint(maker, 5_000_000, sender=maker)
    assert token.balanceOf(maker) == 5_000_000
    assert token.totalSupply() == 5_000_000
    assert token.decimals() == 6


def test_accounts_equal_anvil_dev_accounts(accounts):
    # Anvil's first dev account for the standard test mnemonic.
    assert accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
