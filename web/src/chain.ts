// Reads and transactions through the wallet's provider: balances, allowances, approvals,
// internal balances, on-chain cancellation. The ABIs are the package's shipped ones.
import { createPublicClient, createWalletClient, custom, type Abi } from "viem";
import settlementAbi from "../../src/crossbook/chain/abis/Settlement.json";
import erc20Abi from "../../src/crossbook/chain/abis/MockERC20.json";
import type { OrderFields } from "./api";
import type { Wallet } from "./wallet";

const SETTLEMENT = settlementAbi as Abi;
const ERC20 = erc20Abi as Abi;
type Address = `0x${string}`;

export class Chain {
  private readonly read;
  private readonly write;

  constructor(
    private readonly wallet: Wallet,
    readonly settlement: Address,
  ) {
    const transport = custom(wallet.provider);
    this.read = createPublicClient({ transport });
    this.write = createWalletClient({ transport });
  }

  private async call(address: Address, abi: Abi, functionName: string, args: unknown[]) {
    return (await this.read.readContract({ address, abi, functionName, args })) as bigint;
  }

  balance(token: Address, owner: Address) {
    return this.call(token, ERC20, "balanceOf", [owner]);
  }
  allowance(token: Address, owner: Address) {
    return this.call(token, ERC20, "allowance", [owner, this.settlement]);
  }
  internalBalance(token: Address, owner: Address) {
    return this.call(this.settlement, SETTLEMENT, "balanceOf", [owner, token]);
  }
  /** The token's EIP-2612 `nonces(owner)`: the nonce the next permit is signed for. */
  permitNonce(token: Address, owner: Address) {
    return this.call(token, ERC20, "nonces", [owner]);
  }
  nonceFloor(owner: Address) {
    return this.call(this.settlement, SETTLEMENT, "nonceFloor", [owner]);
  }

  private async send(address: Address, abi: Abi, functionName: string, args: unknown[]) {
    const account = this.wallet.account;
    if (!account) throw new Error("connect a wallet first");
    const hash = await this.write.writeContract({
      address, abi, functionName, args, account, chain: null,
    });
    const receipt = await this.read.waitForTransactionReceipt({ hash, pollingInterval: 250 });
    if (receipt.status !== "success") throw new Error(`the transaction ${hash} reverted`);
    return hash;
  }

  approve(token: Address, amount: bigint) {
    return this.send(token, ERC20, "approve", [this.settlement, amount]);
  }
  deposit(token: Address, amount: bigint) {
    return this.send(this.settlement, SETTLEMENT, "deposit", [token, amount]);
  }
  withdraw(token: Address, amount: bigint, to: Address) {
    return this.send(this.settlement, SETTLEMENT, "withdraw", [token, amount, to]);
  }
  cancelOnChain(order: OrderFields) {
    const tuple = {
      ...order,
      sellAmount: BigInt(order.sellAmount),
      buyAmount: BigInt(order.buyAmount),
      feeAmount: BigInt(order.feeAmount),
      nonce: BigInt(order.nonce),
    };
    return this.send(this.settlement, SETTLEMENT, "cancelOrder", [tuple]);
  }
}
