// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "solady/tokens/ERC20.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

import {IFactory} from "../interfaces/IFactory.sol";
import {IPool} from "../interfaces/IPool.sol";
import {PoolMath} from "../libraries/PoolMath.sol";

/// @title Pool
/// @notice One constant-product pool; its LP shares are this ERC-20 (with EIP-2612 permit).
/// @dev Deployed only by the `Factory` (CREATE2, no constructor arguments). Gas layout: the
/// tokens, fee and factory are immutables; reserves and the last timestamp share one slot; the
/// price accumulator is one slot (a log price serves both directions); the protocol-fee flag
/// shares a slot with `kLast` and is read only by mint and burn; the lock is transient.
contract Pool is IPool, ERC20, ReentrancyGuardTransient {
    using SafeTransferLib for address;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    uint112 private _reserve0;
    uint112 private _reserve1;
    uint32 private _blockTimestampLast;
    /// @inheritdoc IPool
    int256 public logPriceCumulative;
    uint224 private _kLast;
    /// @inheritdoc IPool
    bool public protocolFeeOn;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IPool
    uint256 public constant MINIMUM_LIQUIDITY = PoolMath.MINIMUM_LIQUIDITY;
    /// @dev `keccak256("crossbook LP")`, the EIP-712 name hash of the permit domain.
    bytes32 private constant _NAME_HASH = keccak256("crossbook LP");
    /// @dev `FEE_DENOMINATOR ** 2`, the scale of the k check.
    uint256 private constant _K_SCALE = PoolMath.FEE_DENOMINATOR * PoolMath.FEE_DENOMINATOR;

    /// @inheritdoc IPool
    address public immutable factory;
    /// @inheritdoc IPool
    address public immutable token0;
    /// @inheritdoc IPool
    address public immutable token1;
    /// @inheritdoc IPool
    uint16 public immutable fee;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    constructor() {
        (address t0, address t1, uint16 fee_) = IFactory(msg.sender).parameters();
        factory = msg.sender;
        token0 = t0;
        token1 = t1;
        fee = fee_;
    }

    modifier onlyFactory() {
        if (msg.sender != factory) revert NotFactory(msg.sender);
        _;
    }

    // ------------------------------- actions ------------------------------

    /// @inheritdoc IPool
    function mint(address to) external nonReentrant returns (uint256 liquidity) {
        (uint112 r0, uint112 r1, uint32 last) = (_reserve0, _reserve1, _blockTimestampLast);
        uint256 balance0 = SafeTransferLib.balanceOf(token0, address(this));
        uint256 balance1 = SafeTransferLib.balanceOf(token1, address(this));
        _checkBalances(balance0, balance1);
        // Checked: a balance below its reserve (a token that took funds away) reverts.
        uint256 amount0 = balance0 - r0;
        uint256 amount1 = balance1 - r1;
        bool feeOn = _mintProtocolFee(r0, r1);
        uint256 supply = totalSupply();
        liquidity = PoolMath.liquidityForAmounts(amount0, amount1, r0, r1, supply);
        if (liquidity == 0) revert InsufficientLiquidityMinted();
        if (supply == 0) _mint(address(0), MINIMUM_LIQUIDITY);
        _mint(to, liquidity);
        _update(balance0, balance1, r0, r1, last);
        // forge-lint: disable-next-line(unsafe-typecast)
        if (feeOn) _kLast = uint224(balance0 * balance1); // both below 2**112
        emit Mint(msg.sender, to, amount0, amount1, liquidity);
    }

    /// @inheritdoc IPool
    function burn(address to) external nonReentrant returns (uint256 amount0, uint256 amount1) {
        (uint112 r0, uint112 r1, uint32 last) = (_reserve0, _reserve1, _blockTimestampLast);
        (address t0, address t1) = (token0, token1);
        uint256 balance0 = SafeTransferLib.balanceOf(t0, address(this));
        uint256 balance1 = SafeTransferLib.balanceOf(t1, address(this));
        uint256 liquidity = balanceOf(address(this));
        bool feeOn = _mintProtocolFee(r0, r1);
        uint256 supply = totalSupply();
        // Floor: the remaining LPs keep the rounding dust.
        amount0 = (liquidity * balance0) / supply;
        amount1 = (liquidity * balance1) / supply;
        if (amount0 == 0 || amount1 == 0) revert InsufficientLiquidityBurned();
        _burn(address(this), liquidity);
        t0.safeTransfer(to, amount0);
        t1.safeTransfer(to, amount1);
        // Re-read: a token may move a different amount than asked (fee on the sender's side).
        balance0 = SafeTransferLib.balanceOf(t0, address(this));
        balance1 = SafeTransferLib.balanceOf(t1, address(this));
        _update(balance0, balance1, r0, r1, last);
        // forge-lint: disable-next-line(unsafe-typecast)
        if (feeOn) _kLast = uint224(balance0 * balance1); // both below 2**112 (_update checked)
        emit Burn(msg.sender, to, amount0, amount1, liquidity);
    }

    /// @inheritdoc IPool
    function swap(uint256 amount0Out, uint256 amount1Out, address to) external nonReentrant {
        if (amount0Out == 0 && amount1Out == 0) revert InsufficientOutputAmount();
        (uint112 r0, uint112 r1, uint32 last) = (_reserve0, _reserve1, _blockTimestampLast);
        // Strict, like v2: a pool with an empty side cannot swap at all.
        if (amount0Out >= r0) revert InsufficientLiquidity(amount0Out, r0);
        if (amount1Out >= r1) revert InsufficientLiquidity(amount1Out, r1);
        (address t0, address t1) = (token0, token1);
        if (to == t0 || to == t1) revert InvalidTo(to);
        // Optimistic transfer out; the k check below reverts it all unless the input is in.
        if (amount0Out != 0) t0.safeTransfer(to, amount0Out);
        if (amount1Out != 0) t1.safeTransfer(to, amount1Out);
        uint256 balance0 = SafeTransferLib.balanceOf(t0, address(this));
        uint256 balance1 = SafeTransferLib.balanceOf(t1, address(this));
        _checkBalances(balance0, balance1);
        uint256 amount0In;
        uint256 amount1In;
        unchecked {
            // `amountOut < reserve` (checked above).
            uint256 left0 = r0 - amount0Out;
            uint256 left1 = r1 - amount1Out;
            // Guarded by the comparisons.
            amount0In = balance0 > left0 ? balance0 - left0 : 0;
            amount1In = balance1 > left1 ? balance1 - left1 : 0;
        }
        if (amount0In == 0 && amount1In == 0) revert InsufficientInputAmount();
        unchecked {
            // Balances are below 2**112 (checked), `amountIn <= balance` and `fee < 10_000`, so
            // each adjusted balance is below 2**126 and each product below 2**252: no overflow.
            uint256 adjusted0 = balance0 * PoolMath.FEE_DENOMINATOR - amount0In * fee;
            uint256 adjusted1 = balance1 * PoolMath.FEE_DENOMINATOR - amount1In * fee;
            if (adjusted0 * adjusted1 < uint256(r0) * r1 * _K_SCALE) {
                revert KInvariant(balance0, balance1);
            }
        }
        _update(balance0, balance1, r0, r1, last);
        // Net balance changes; all four values are below 2**112, so the casts are exact.
        // forge-lint: disable-start(unsafe-typecast)
        emit Swap(
            msg.sender,
            to,
            int256(balance0) - int256(uint256(r0)),
            int256(balance1) - int256(uint256(r1))
        );
        // forge-lint: disable-end(unsafe-typecast)
    }

    /// @inheritdoc IPool
    function skim(address to) external nonReentrant {
        (address t0, address t1) = (token0, token1);
        t0.safeTransfer(to, SafeTransferLib.balanceOf(t0, address(this)) - _reserve0);
        t1.safeTransfer(to, SafeTransferLib.balanceOf(t1, address(this)) - _reserve1);
    }

    /// @inheritdoc IPool
    function sync() external nonReentrant {
        _update(
            SafeTransferLib.balanceOf(token0, address(this)),
            SafeTransferLib.balanceOf(token1, address(this)),
            _reserve0,
            _reserve1,
            _blockTimestampLast
        );
    }

    /// @inheritdoc IPool
    function setProtocolFee(bool on) external onlyFactory nonReentrant {
        protocolFeeOn = on;
        // forge-lint: disable-next-line(unsafe-typecast)
        _kLast = on ? uint224(uint256(_reserve0) * _reserve1) : 0; // below 2**224
        emit ProtocolFeeSet(on);
    }

    // -------------------------------- views -------------------------------

    /// @inheritdoc IPool
    function getReserves()
        external
        view
        nonReadReentrant
        returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast)
    {
        return (_reserve0, _reserve1, _blockTimestampLast);
    }

    /// @inheritdoc IPool
    function kLast() external view returns (uint256) {
        return _kLast;
    }

    /// @notice The LP token's name.
    function name() public pure override returns (string memory) {
        return "crossbook LP";
    }

    /// @notice The LP token's symbol.
    function symbol() public pure override returns (string memory) {
        return "CB-LP";
    }

    // ------------------------------ internal ------------------------------

    /// @dev Reserves can only hold what fits in 112 bits (the k check relies on it).
    function _checkBalances(uint256 balance0, uint256 balance1) private pure {
        if (balance0 > type(uint112).max || balance1 > type(uint112).max) {
            revert BalanceOverflow(balance0, balance1);
        }
    }

    /// @dev Stores the new reserves; at the first update of a block, accumulates the log price
    /// of the reserves that held since the last update.
    function _update(uint256 balance0, uint256 balance1, uint112 r0, uint112 r1, uint32 last)
        private
    {
        _checkBalances(balance0, balance1);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint32 now32 = uint32(block.timestamp); // mod 2**32 by design, like Uniswap v2
        unchecked {
            // Wraps mod 2**32 by design: differences of timestamps stay right across the wrap.
            uint32 elapsed = now32 - last;
            if (elapsed != 0 && r0 != 0 && r1 != 0) {
                // |ln(r1) - ln(r0)| < 78e18 (reserves below 2**112), times < 2**32 seconds: the
                // term is below 2**99; the sum wraps mod 2**256 by design (read differences).
                logPriceCumulative += (FixedPointMathLib.lnWad(int256(uint256(r1)))
                        - FixedPointMathLib.lnWad(int256(uint256(r0)))) * int256(uint256(elapsed));
            }
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        (_reserve0, _reserve1, _blockTimestampLast) = (uint112(balance0), uint112(balance1), now32);
        // forge-lint: disable-next-line(unsafe-typecast)
        emit Sync(uint112(balance0), uint112(balance1));
    }

    /// @dev Mints the protocol fee to the factory's `feeTo` when switched on; whether it is on.
    function _mintProtocolFee(uint112 r0, uint112 r1) private returns (bool feeOn) {
        (uint224 kLast_, bool on) = (_kLast, protocolFeeOn);
        if (!on) return false;
        address feeTo = IFactory(factory).feeTo();
        if (feeTo != address(0) && kLast_ != 0) {
            uint256 liquidity =
                PoolMath.protocolFeeLiquidity(uint256(r0) * r1, kLast_, totalSupply());
            if (liquidity != 0) _mint(feeTo, liquidity);
        }
        return true;
    }

    /// @dev The permit domain's name hash, constant (saves hashing `name()` per permit).
    function _constantNameHash() internal pure override returns (bytes32) {
        return _NAME_HASH;
    }

    /// @dev LP shares give Permit2 no implicit allowance.
    function _givePermit2InfiniteAllowance() internal pure override returns (bool) {
        return false;
    }

    /// @dev Always the transient lock (Cancun+ chains only).
    function _useTransientReentrancyGuardOnlyOnMainnet() internal pure override returns (bool) {
        return false;
    }
}
