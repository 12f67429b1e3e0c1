// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title RebasingToken
/// @notice An ERC-20 whose balances are shares times a global index (stETH / AMPL style):
/// `rebase` moves every holder's balance up or down at once, without a transfer.
/// @dev Test only; anyone can mint and rebase.
contract RebasingToken {
    string public constant name = "Rebasing";
    string public constant symbol = "REB";
    uint8 public constant decimals = 18;
    /// @notice Token units per share, scaled by 1e18 (1e18: one unit per share).
    uint256 public index = 1e18;
    uint256 public totalShares;
    mapping(address => uint256) public sharesOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 amount);
    event Approval(address indexed owner, address indexed spender, uint256 amount);

    /// @notice Every balance becomes `balance * newIndex / index`.
    function rebase(uint256 newIndex) external {
        index = newIndex;
    }

    function mint(address to, uint256 amount) external {
        uint256 shares = amount * 1e18 / index;
        sharesOf[to] += shares;
        totalShares += shares;
        emit Transfer(address(0), to, amount);
    }

    function balanceOf(address owner) public view returns (uint256) {
        return sharesOf[owner] * index / 1e18;
    }

    function totalSupply() external view returns (uint256) {
        return totalShares * index / 1e18;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - amount;
        _move(from, to, amount);
        return true;
    }

    /// @dev Moves the shares worth `amount` (rounded up, so the receiver gets at least it).
    function _move(address from, address to, uint256 amount) private {
        uint256 shares = (amount * 1e18 + index - 1) / index;
        sharesOf[from] -= shares;
        sharesOf[to] += shares;
        emit Transfer(from, to, amount);
    }
}
