// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IFactory
/// @notice Creates one constant-product pool per token pair and fee tier, at the CREATE2
/// address `keccak256(0xff ++ factory ++ keccak256(abi.encode(token0, token1, fee)) ++
/// POOL_INIT_CODE_HASH)[12:]`, so routers and SDKs compute a pool's address without a call.
/// @dev The pool's constructor takes no arguments (its init code, hence the hash, is the same
/// for every pool): it reads `(token0, token1, fee)` back from `parameters()`, which the
/// factory holds in transient storage during `createPool` only. The owner (two-step
/// ownership) enables fee tiers, sets the protocol fee recipient and switches the protocol fee
/// per pool; it cannot move any pool's funds.
interface IFactory {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Both tokens are `token`.
    error IdenticalTokens(address token);
    /// @notice A token is the zero address.
    error ZeroAddress();
    /// @notice `fee` is not an enabled fee tier.
    error FeeTierNotEnabled(uint16 fee);
    /// @notice `fee` is zero or above `MAX_FEE`.
    error InvalidFeeTier(uint16 fee);
    /// @notice The fee tier is already enabled.
    error FeeTierAlreadyEnabled(uint16 fee);
    /// @notice The pool for this pair and fee tier exists at `pool`.
    error PoolExists(address pool);
    /// @notice `pool` was not created by this factory.
    error UnknownPool(address pool);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A pool was created for `token0`/`token1` (sorted) at fee tier `fee`.
    event PoolCreated(
        address indexed token0,
        address indexed token1,
        uint16 indexed fee,
        address pool,
        uint256 poolCount
    );
    /// @notice The owner enabled fee tier `fee` (basis points).
    event FeeTierEnabled(uint16 indexed fee);
    /// @notice The owner set the protocol fee recipient.
    event FeeToSet(address indexed feeTo);

    /*//////////////////////////////////////////////////////////////
                                 ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Creates the pool of `tokenA`/`tokenB` (any order) at fee tier `fee`. Anyone may.
    function createPool(address tokenA, address tokenB, uint16 fee) external returns (address pool);

    /// @notice Owner only: enables fee tier `fee` (1..MAX_FEE basis points). Tiers are never
    /// disabled (existing pools keep working).
    function enableFeeTier(uint16 fee) external;

    /// @notice Owner only: the protocol fee recipient (zero: no protocol fee is minted even
    /// where it is switched on).
    function setFeeTo(address feeTo) external;

    /// @notice Owner only: switches the protocol fee of `pool` on or off.
    function setProtocolFee(address pool, bool on) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The pool of a pair and fee tier, either token order; zero if none.
    function getPool(address tokenA, address tokenB, uint16 fee)
        external
        view
        returns (address pool);

    /// @notice The CREATE2 address of a pool, whether or not it exists yet.
    function poolAddress(address tokenA, address tokenB, uint16 fee)
        external
        view
        returns (address pool);

    /// @notice Whether `fee` (basis points) is an enabled fee tier.
    function feeTierEnabled(uint16 fee) external view returns (bool);

    /// @notice Number of pools created.
    function poolCount() external view returns (uint256);

    /// @notice Pool number `index` in creation order.
    function pools(uint256 index) external view returns (address);

    /// @notice The protocol fee recipient.
    function feeTo() external view returns (address);

    /// @notice `keccak256` of the pool's init code (its creation code; no constructor arguments).
    function POOL_INIT_CODE_HASH() external view returns (bytes32);

    /// @notice The highest fee tier the owner may enable, in basis points (10%).
    function MAX_FEE() external view returns (uint16);

    /// @notice During `createPool`: the pool being created (read by its constructor); zeros otherwise.
    function parameters() external view returns (address token0, address token1, uint16 fee);
}
