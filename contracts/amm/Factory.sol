// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IFactory} from "../interfaces/IFactory.sol";
import {IPool} from "../interfaces/IPool.sol";
import {Pool} from "./Pool.sol";

/// @title Factory
/// @notice Creates constant-product pools, one per token pair and fee tier, at CREATE2 addresses.
contract Factory is IFactory, Ownable2Step {
    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev token0 => token1 => fee => pool (tokens sorted).
    mapping(address token0 => mapping(address token1 => mapping(uint16 fee => address))) private
        _pools;
    /// @inheritdoc IFactory
    address[] public pools;
    /// @inheritdoc IFactory
    mapping(uint16 fee => bool) public feeTierEnabled;
    /// @inheritdoc IFactory
    address public feeTo;
    /// @dev Pools created here (for the owner's protocol-fee switch).
    mapping(address pool => bool) private _isPool;

    /// @dev The pool being created, read back by its constructor through `parameters()`.
    address private transient _creatingToken0;
    address private transient _creatingToken1;
    uint16 private transient _creatingFee;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IFactory
    uint16 public constant MAX_FEE = 1000;
    /// @inheritdoc IFactory
    bytes32 public immutable POOL_INIT_CODE_HASH = keccak256(type(Pool).creationCode);

    /*//////////////////////////////////////////////////////////////
                               FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @param initialOwner Enables fee tiers and controls the protocol fee.
    constructor(address initialOwner) Ownable(initialOwner) {
        _enableFeeTier(5); // 0.05%: correlated pairs
        _enableFeeTier(30); // 0.30%: most pairs
        _enableFeeTier(100); // 1.00%: exotic pairs
    }

    /// @inheritdoc IFactory
    function createPool(address tokenA, address tokenB, uint16 fee)
        external
        returns (address pool)
    {
        (address token0, address token1) = _sort(tokenA, tokenB);
        if (!feeTierEnabled[fee]) revert FeeTierNotEnabled(fee);
        address existing = _pools[token0][token1][fee];
        if (existing != address(0)) revert PoolExists(existing);
        // slither-disable-next-line write-after-write Reason: read in between by the pool's constructor
        (_creatingToken0, _creatingToken1, _creatingFee) = (token0, token1, fee);
        pool = address(new Pool{salt: _salt(token0, token1, fee)}());
        // slither-disable-next-line write-after-write Reason: clears the parameters after the create
        (_creatingToken0, _creatingToken1, _creatingFee) = (address(0), address(0), 0);
        _pools[token0][token1][fee] = pool;
        _isPool[pool] = true;
        pools.push(pool);
        emit PoolCreated(token0, token1, fee, pool, pools.length);
    }

    /// @inheritdoc IFactory
    function enableFeeTier(uint16 fee) external onlyOwner {
        _enableFeeTier(fee);
    }

    /// @inheritdoc IFactory
    function setFeeTo(address newFeeTo) external onlyOwner {
        feeTo = newFeeTo;
        emit FeeToSet(newFeeTo);
    }

    /// @inheritdoc IFactory
    function setProtocolFee(address pool, bool on) external onlyOwner {
        if (!_isPool[pool]) revert UnknownPool(pool);
        IPool(pool).setProtocolFee(on);
    }

    // -------------------------------- views -------------------------------

    /// @inheritdoc IFactory
    function getPool(address tokenA, address tokenB, uint16 fee) external view returns (address) {
        (address token0, address token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        return _pools[token0][token1][fee];
    }

    /// @inheritdoc IFactory
    function poolAddress(address tokenA, address tokenB, uint16 fee)
        external
        view
        returns (address)
    {
        (address token0, address token1) = _sort(tokenA, tokenB);
        bytes32 digest = keccak256(
            abi.encodePacked(
                bytes1(0xff), address(this), _salt(token0, token1, fee), POOL_INIT_CODE_HASH
            )
        );
        return address(uint160(uint256(digest)));
    }

    /// @inheritdoc IFactory
    function poolCount() external view returns (uint256) {
        return pools.length;
    }

    /// @inheritdoc IFactory
    function parameters() external view returns (address token0, address token1, uint16 fee) {
        return (_creatingToken0, _creatingToken1, _creatingFee);
    }

    // ------------------------------ internal ------------------------------

    function _enableFeeTier(uint16 fee) private {
        if (fee == 0 || fee > MAX_FEE) revert InvalidFeeTier(fee);
        if (feeTierEnabled[fee]) revert FeeTierAlreadyEnabled(fee);
        feeTierEnabled[fee] = true;
        emit FeeTierEnabled(fee);
    }

    function _sort(address tokenA, address tokenB)
        private
        pure
        returns (address token0, address token1)
    {
        if (tokenA == tokenB) revert IdenticalTokens(tokenA);
        (token0, token1) = tokenA < tokenB ? (tokenA, tokenB) : (tokenB, tokenA);
        if (token0 == address(0)) revert ZeroAddress();
    }

    function _salt(address token0, address token1, uint16 fee) private pure returns (bytes32) {
        return keccak256(abi.encode(token0, token1, fee));
    }
}
