// The browser wallet: EIP-6963 discovery (window.ethereum as fallback), account and chain.
import type { Signing, TypedDomain } from "./api";

export type Eip1193 = {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): void;
};
type Announced = { info: { uuid: string; name: string; rdns: string }; provider: Eip1193 };

export class WalletError extends Error {}

/** Wallets announced through EIP-6963, and an injected window.ethereum if none announce. */
export function discover(onChange: (found: Announced[]) => void): void {
  const found: Announced[] = [];
  window.addEventListener("eip6963:announceProvider", (event) => {
    const detail = (event as CustomEvent<Announced>).detail;
    if (!found.some((f) => f.info.uuid === detail.info.uuid)) {
      found.push(detail);
      onChange([...found]);
    }
  });
  window.dispatchEvent(new Event("eip6963:requestProvider"));
  const injected = (window as unknown as { ethereum?: Eip1193 }).ethereum;
  setTimeout(() => {
    if (found.length === 0 && injected) {
      onChange([{ info: { uuid: "injected", name: "Browser wallet", rdns: "" }, provider: injected }]);
    }
  }, 50);
}

export function errorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/** A wallet's refusal in words: 4001 is the user saying no. */
export function walletMessage(error: unknown, what: string): string {
  if (errorCode(error) === 4001) return `You rejected the ${what} in your wallet.`;
  const message = (error as { shortMessage?: string; message?: string } | null);
  return `The wallet could not complete the ${what}: ${message?.shortMessage ?? message?.message ?? error}`;
}

export class Wallet {
  account: `0x${string}` | null = null;
  chainId: number | null = null;

  constructor(
    readonly provider: Eip1193,
    private readonly changed: () => void,
  ) {
    provider.on?.("accountsChanged", (accounts) => {
      this.account = ((accounts as string[])[0] as `0x${string}` | undefined) ?? null;
      this.changed();
    });
    provider.on?.("chainChanged", (chainId) => {
      this.chainId = Number(chainId as string);
      this.changed();
    });
  }

  async connect(): Promise<void> {
    const accounts = (await this.provider.request({ method: "eth_requestAccounts" })) as string[];
    this.account = (accounts[0] as `0x${string}` | undefined) ?? null;
    this.chainId = Number((await this.provider.request({ method: "eth_chainId" })) as string);
    this.changed();
  }

  /** Ask the wallet to switch to the relayer's chain, adding it when the wallet lacks it. */
  async switchTo(signing: Signing): Promise<void> {
    const chainId = `0x${signing.chainId.toString(16)}`;
    try {
      await this.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
    } catch (error) {
      if (errorCode(error) !== 4902 || !signing.rpcUrl) throw error;
      await this.provider.request({
        method: "wallet_addEthereumChain",
        params: [{
          chainId,
          chainName: `crossbook devnet ${signing.chainId}`,
          nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
          rpcUrls: [signing.rpcUrl],
        }],
      });
      await this.provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
    }
    this.chainId = Number((await this.provider.request({ method: "eth_chainId" })) as string);
    this.changed();
  }

  /** eth_signTypedData_v4 over `types` as the relayer serves them; r ‖ s ‖ v with v 27/28. */
  async signTypedData(
    typed: TypedDomain,
    primaryType: "Order" | "OrderCancellation" | "Permit",
    message: Record<string, unknown>,
  ): Promise<`0x${string}`> {
    if (!this.account) throw new WalletError("connect a wallet first");
    const types: Record<string, unknown> = { EIP712Domain: typed.types.EIP712Domain };
    types[primaryType] = typed.types[primaryType];
    const payload = { types, primaryType, domain: typed.domain, message };
    const signature = (await this.provider.request({
      method: "eth_signTypedData_v4",
      params: [this.account, JSON.stringify(payload)],
    })) as string;
    const v = parseInt(signature.slice(130, 132), 16);
    return (v < 27 ? signature.slice(0, 130) + (v + 27).toString(16) : signature) as `0x${string}`;
  }
}
