"""Every error a user can cause: one root, subclasses that also inherit the matching built-in."""

from __future__ import annotations


class CrossbookError(Exception):
    """Root of every crossbook error. The message says what was wrong and how to fix it."""


class ToolchainError(CrossbookError, RuntimeError):
    """A tool the project installs itself (anvil, compiled artifacts) is missing or broken."""


class CheckoutRequired(ToolchainError):
    """A command of the checkout's tooling (devnet, deploy, benchmarks) ran outside a checkout,
    e.g. from an installed wheel."""


class MissingExtra(ToolchainError):
    """A command needs an optional part of the package (`crossbook[relayer]`, ...) that is not
    installed."""


class DevnetError(CrossbookError, RuntimeError):
    """The local Anvil devnet could not be started, reached or stopped."""


class DeploymentError(CrossbookError, RuntimeError):
    """A contract deployment failed or a deployment manifest is missing or wrong."""


class ManifestError(CrossbookError, ValueError):
    """A deployment manifest is missing, malformed or for another chain."""


class InvalidOrder(CrossbookError, ValueError):
    """An order field is missing, out of range or contradicts another field."""


class BadSignature(CrossbookError, ValueError):
    """A signature is malformed, malleable, or was not made by the order's owner."""


class InvalidPrivateKey(CrossbookError, ValueError):
    """A private key is not 32 bytes (64 hex digits) or is outside the secp256k1 range."""


class InvalidDomain(CrossbookError, ValueError):
    """An EIP-712 domain has a bad chain id or verifying contract."""
