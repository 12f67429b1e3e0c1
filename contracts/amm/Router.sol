// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

import {IFactory} from "../interfaces/IFactory.sol";
import {IPool} from "../interfaces/IPool.sol";
import {IRouter} from "../interfaces/IRouter.sol";
import {PoolMath} from "../libraries/PoolMath.sol";

/// @title Router
/// @notice Liquidity and swaps through the factory's pools with deadlines and slippage limits.
/// @dev Stateless: it pulls the caller's tokens straight into the pool and the pool pays the
/// recipient, so the router never holds a balance. It reads reserves with one staticcall per
/// hop and finds pools by CREATE2 address.
contract Router is IRouter {
    using SafeTransferLib for address;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRouter
    address public immutable factory;
    /// @dev The factory's `POOL_INIT_CODE_HASH`.
    bytes32 private immutable _POOL_INIT_CODE_HASH;
    /// @dev Bytes per hop in a packed path (token + uint16 fee) and of the last token.
    uint256 private constant _HOP = 22;
    uint256 private constant _ADDR = 20;

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    constructor(address factory_) {
        factory = factory_;
        _POOL_INIT_CODE_HASH = IFactory(factory_).POOL_INIT_CODE_HASH();
    }

    modifier ensure(uint256 deadline) {
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > deadline) revert DeadlineExpired(deadline, block.timestamp);
        _;
    }

    // ------------------------------ liquidity -----------------------------

    /// @inheritdoc IRouter
    function addLiquidity(AddLiquidityParams calldata p)
        external
        ensure(p.deadline)
        returns (uint256 amountA, uint256 amountB, uint256 liquidity)
    {
        (address pool, uint256 reserveA, uint256 reserveB,) = _pool(p.tokenA, p.tokenB, p.fee);
        if (reserveA == 0 && reserveB == 0) {
            (amountA, amountB) = (p.amountADesired, p.amountBDesired);
        } else {
            uint256 amountBOptimal = PoolMath.quote(p.amountADesired, reserveA, reserveB);
            if (amountBOptimal <= p.amountBDesired) {
                (amountA, amountB) = (p.amountADesired, amountBOptimal);
            } else {
                // Floor rounding keeps this at most `amountADesired`.
                (amountA, amountB) =
                (PoolMath.quote(p.amountBDesired, reserveB, reserveA), p.amountBDesired);
            }
        }
        if (amountA < p.amountAMin) revert InsufficientAAmount(amountA, p.amountAMin);
        if (amountB < p.amountBMin) revert InsufficientBAmount(amountB, p.amountBMin);
        p.tokenA.safeTransferFrom(msg.sender, pool, amountA);
        p.tokenB.safeTransferFrom(msg.sender, pool, amountB);
        liquidity = IPool(pool).mint(p.to);
    }

    /// @inheritdoc IRouter
    function removeLiquidity(RemoveLiquidityParams calldata p)
        external
        ensure(p.deadline)
        returns (uint256 amountA, uint256 amountB)
    {
        return _removeLiquidity(p, _poolFor(p.tokenA, p.tokenB, p.fee));
    }

    /// @inheritdoc IRouter
    function removeLiquidityWithPermit(
        RemoveLiquidityParams calldata p,
        PermitSignature calldata permit
    ) external ensure(p.deadline) returns (uint256 amountA, uint256 amountB) {
        address pool = _poolFor(p.tokenA, p.tokenB, p.fee);
        try IERC20Permit(pool)
            .permit(
                msg.sender,
                address(this),
                permit.value,
                permit.deadline,
                permit.v,
                permit.r,
                permit.s
            ) {}
        catch {
            // A front-run permit is spent already; the allowance it set still works.
            if (IERC20(pool).allowance(msg.sender, address(this)) < p.liquidity) {
                revert PermitFailed(pool);
            }
        }
        return _removeLiquidity(p, pool);
    }

    // -------------------------------- swaps -------------------------------

    /// @inheritdoc IRouter
    function swapExactInSingle(ExactInSingleParams calldata p)
        external
        ensure(p.deadline)
        returns (uint256 amountOut)
    {
        (address pool, uint256 reserveIn, uint256 reserveOut, bool zeroForOne) =
            _pool(p.tokenIn, p.tokenOut, p.fee);
        amountOut = PoolMath.getAmountOut(p.amountIn, reserveIn, reserveOut, p.fee);
        if (amountOut < p.amountOutMin) revert InsufficientOutput(amountOut, p.amountOutMin);
        p.tokenIn.safeTransferFrom(msg.sender, pool, p.amountIn);
        _swap(pool, zeroForOne, amountOut, p.to);
    }

    /// @inheritdoc IRouter
    function swapExactOutSingle(ExactOutSingleParams calldata p)
        external
        ensure(p.deadline)
        returns (uint256 amountIn)
    {
        (address pool, uint256 reserveIn, uint256 reserveOut, bool zeroForOne) =
            _pool(p.tokenIn, p.tokenOut, p.fee);
        amountIn = PoolMath.getAmountIn(p.amountOut, reserveIn, reserveOut, p.fee);
        if (amountIn > p.amountInMax) revert ExcessiveInput(amountIn, p.amountInMax);
        p.tokenIn.safeTransferFrom(msg.sender, pool, amountIn);
        _swap(pool, zeroForOne, p.amountOut, p.to);
    }

    /// @inheritdoc IRouter
    function swapExactIn(ExactInParams calldata p)
        external
        ensure(p.deadline)
        returns (uint256 amountOut)
    {
        uint256[] memory amounts = _getAmountsOut(p.amountIn, p.path);
        amountOut = amounts[amounts.length - 1];
        if (amountOut < p.amountOutMin) revert InsufficientOutput(amountOut, p.amountOutMin);
        _pullFirst(p.path, p.amountIn);
        _swapPath(p.path, amounts, p.to);
    }

    /// @inheritdoc IRouter
    function swapExactOut(ExactOutParams calldata p)
        external
        ensure(p.deadline)
        returns (uint256 amountIn)
    {
        uint256[] memory amounts = _getAmountsIn(p.amountOut, p.path);
        amountIn = amounts[0];
        if (amountIn > p.amountInMax) revert ExcessiveInput(amountIn, p.amountInMax);
        _pullFirst(p.path, amountIn);
        _swapPath(p.path, amounts, p.to);
    }

    /// @inheritdoc IRouter
    function swapExactInSupportingFeeOnTransfer(ExactInParams calldata p)
        external
        ensure(p.deadline)
        returns (uint256 amountOut)
    {
        uint256 hops = _hops(p.path);
        (,, address tokenOut) = _hop(p.path, hops - 1);
        uint256 before = SafeTransferLib.balanceOf(tokenOut, p.to);
        _pullFirst(p.path, p.amountIn);
        for (uint256 i; i < hops; ++i) {
            _swapReceived(p.path, i, i + 1 < hops ? _nextPool(p.path, i + 1) : p.to);
        }
        amountOut = SafeTransferLib.balanceOf(tokenOut, p.to) - before;
        if (amountOut < p.amountOutMin) revert InsufficientOutput(amountOut, p.amountOutMin);
    }

    // ------------------------------- quotes -------------------------------

    /// @inheritdoc IRouter
    function poolFor(address tokenA, address tokenB, uint16 fee) external view returns (address) {
        return _poolFor(tokenA, tokenB, fee);
    }

    /// @inheritdoc IRouter
    function getAmountsOut(uint256 amountIn, bytes calldata path)
        external
        view
        returns (uint256[] memory)
    {
        return _getAmountsOut(amountIn, path);
    }

    /// @inheritdoc IRouter
    function getAmountsIn(uint256 amountOut, bytes calldata path)
        external
        view
        returns (uint256[] memory)
    {
        return _getAmountsIn(amountOut, path);
    }

    /// @inheritdoc IRouter
    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut, uint16 fee)
        external
        pure
        returns (uint256)
    {
        return PoolMath.getAmountOut(amountIn, reserveIn, reserveOut, fee);
    }

    /// @inheritdoc IRouter
    function getAmountIn(uint256 amountOut, uint256 reserveIn, uint256 reserveOut, uint16 fee)
        external
        pure
        returns (uint256)
    {
        return PoolMath.getAmountIn(amountOut, reserveIn, reserveOut, fee);
    }

    /// @inheritdoc IRouter
    function quote(uint256 amountA, uint256 reserveA, uint256 reserveB)
        external
        pure
        returns (uint256)
    {
        return PoolMath.quote(amountA, reserveA, reserveB);
    }

    // ------------------------------ internal ------------------------------

    function _removeLiquidity(RemoveLiquidityParams calldata p, address pool)
        private
        returns (uint256 amountA, uint256 amountB)
    {
        // Reason: `from` is msg.sender, who chose to burn its own LP shares.
        // slither-disable-next-line arbitrary-send-erc20
        pool.safeTransferFrom(msg.sender, pool, p.liquidity);
        (uint256 amount0, uint256 amount1) = IPool(pool).burn(p.to);
        (amountA, amountB) = p.tokenA < p.tokenB ? (amount0, amount1) : (amount1, amount0);
        if (amountA < p.amountAMin) revert InsufficientAAmount(amountA, p.amountAMin);
        if (amountB < p.amountBMin) revert InsufficientBAmount(amountB, p.amountBMin);
    }

    /// @dev Pays `amountOut` of the output side to `to`; the input is already in the pool.
    function _swap(address pool, bool zeroForOne, uint256 amountOut, address to) private {
        if (zeroForOne) IPool(pool).swap(0, amountOut, to);
        else IPool(pool).swap(amountOut, 0, to);
    }

    /// @dev Hop `i` on what its pool actually received (fee-on-transfer tokens).
    function _swapReceived(bytes calldata path, uint256 i, address to) private {
        (address tokenIn, uint16 fee, address tokenOut) = _hop(path, i);
        (address pool, uint256 reserveIn, uint256 reserveOut, bool zeroForOne) =
            _pool(tokenIn, tokenOut, fee);
        uint256 received = SafeTransferLib.balanceOf(tokenIn, pool) - reserveIn;
        _swap(pool, zeroForOne, PoolMath.getAmountOut(received, reserveIn, reserveOut, fee), to);
    }

    /// @dev Moves the caller's input of the path's first token into the first pool.
    function _pullFirst(bytes calldata path, uint256 amount) private {
        (address tokenIn, uint16 fee, address tokenOut) = _hop(path, 0);
        tokenIn.safeTransferFrom(msg.sender, _poolFor(tokenIn, tokenOut, fee), amount);
    }

    /// @dev Runs every hop; each pool pays the next pool, the last pays `to`.
    function _swapPath(bytes calldata path, uint256[] memory amounts, address to) private {
        uint256 hops = amounts.length - 1;
        for (uint256 i; i < hops; ++i) {
            (address tokenIn, uint16 fee, address tokenOut) = _hop(path, i);
            _swap(
                _poolFor(tokenIn, tokenOut, fee),
                tokenIn < tokenOut,
                amounts[i + 1],
                i + 1 < hops ? _nextPool(path, i + 1) : to
            );
        }
    }

    function _nextPool(bytes calldata path, uint256 hop) private view returns (address) {
        (address tokenIn, uint16 fee, address tokenOut) = _hop(path, hop);
        return _poolFor(tokenIn, tokenOut, fee);
    }

    function _getAmountsOut(uint256 amountIn, bytes calldata path)
        private
        view
        returns (uint256[] memory amounts)
    {
        uint256 hops = _hops(path);
        amounts = new uint256[](hops + 1);
        amounts[0] = amountIn;
        for (uint256 i; i < hops; ++i) {
            (address tokenIn, uint16 fee, address tokenOut) = _hop(path, i);
            (, uint256 reserveIn, uint256 reserveOut,) = _pool(tokenIn, tokenOut, fee);
            amounts[i + 1] = PoolMath.getAmountOut(amounts[i], reserveIn, reserveOut, fee);
        }
    }

    function _getAmountsIn(uint256 amountOut, bytes calldata path)
        private
        view
        returns (uint256[] memory amounts)
    {
        uint256 hops = _hops(path);
        amounts = new uint256[](hops + 1);
        amounts[hops] = amountOut;
        for (uint256 i = hops; i > 0; --i) {
            (address tokenIn, uint16 fee, address tokenOut) = _hop(path, i - 1);
            (, uint256 reserveIn, uint256 reserveOut,) = _pool(tokenIn, tokenOut, fee);
            amounts[i - 1] = PoolMath.getAmountIn(amounts[i], reserveIn, reserveOut, fee);
        }
    }

    /// @dev Number of hops of a packed path; reverts `InvalidPath` unless `20 + 22 * hops` bytes.
    function _hops(bytes calldata path) private pure returns (uint256) {
        uint256 length = path.length;
        if (length < _ADDR + _HOP || (length - _ADDR) % _HOP != 0) revert InvalidPath(length);
        return (length - _ADDR) / _HOP;
    }

    /// @dev Hop `i` of a packed path (its length checked by `_hops`).
    function _hop(bytes calldata path, uint256 i)
        private
        pure
        returns (address tokenIn, uint16 fee, address tokenOut)
    {
        uint256 at = i * _HOP;
        tokenIn = address(bytes20(path[at:at + _ADDR]));
        fee = uint16(bytes2(path[at + _ADDR:at + _HOP]));
        tokenOut = address(bytes20(path[at + _HOP:at + _HOP + _ADDR]));
    }

    /// @dev The pool of a pair and fee tier, its reserves oriented in → out, and the direction.
    /// Reverts `PoolNotFound` if no pool is deployed there.
    function _pool(address tokenIn, address tokenOut, uint16 fee)
        private
        view
        returns (address pool, uint256 reserveIn, uint256 reserveOut, bool zeroForOne)
    {
        pool = _poolFor(tokenIn, tokenOut, fee);
        zeroForOne = tokenIn < tokenOut;
        uint256 reserve0;
        uint256 reserve1;
        bool exists;
        assembly ("memory-safe") {
            mstore(0x00, 0x0902f1ac) // `getReserves()`
            let ok := staticcall(gas(), pool, 0x1c, 0x04, 0x00, 0x40)
            if iszero(ok) {
                // Bubble the pool's error (e.g. `Reentrancy()` during a pool action).
                let m := mload(0x40)
                returndatacopy(m, 0x00, returndatasize())
                revert(m, returndatasize())
            }
            // An address without code "succeeds" with no return data.
            exists := gt(returndatasize(), 0x5f)
            reserve0 := mload(0x00)
            reserve1 := mload(0x20)
        }
        if (!exists) revert PoolNotFound(tokenIn, tokenOut, fee);
        (reserveIn, reserveOut) = zeroForOne ? (reserve0, reserve1) : (reserve1, reserve0);
    }

    /// @dev CREATE2 address of the pool (it may not exist).
    function _poolFor(address tokenA, address tokenB, uint16 fee) private view returns (address) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0xff),
                factory,
                keccak256(abi.encode(token0, token1, fee)),
                _POOL_INIT_CODE_HASH
            )
        );
        return address(uint160(uint256(digest)));
    }
}
