// The relayer's HTTP API, typed as its OpenAPI document describes it; errors carry errorType.

export type Market = {
  market: string;
  base: `0x${string}`;
  quote: `0x${string}`;
  baseSymbol: string | null;
  quoteSymbol: string | null;
  baseDecimals: number | null;
  quoteDecimals: number | null;
};
export type TypedMember = { name: string; type: string };
export type Domain = { name: string; version: string; chainId: number; verifyingContract: `0x${string}` };
/** What eth_signTypedData_v4 needs besides the message: the domain and the types. */
export type TypedDomain = { domain: Domain; types: Record<string, TypedMember[]> };
export type Signing = TypedDomain & {
  chainId: number;
  rpcUrl: string | null;
  /** EIP-2612 permits the relayer submits and pays for; null: none are offered. */
  permit: {
    spender: `0x${string}`;
    types: Record<string, TypedMember[]>;
    domains: Record<string, Domain>;
  } | null;
};
export type PermitFields = {
  owner: `0x${string}`;
  token: `0x${string}`;
  value: string;
  nonce: string;
  deadline: number;
};
export type DepthLevel = {
  price: string;
  priceApprox: number;
  baseAmount: string;
  quoteAmount: string;
  orders: number;
};
export type Book = { market: string; bids: DepthLevel[]; asks: DepthLevel[] };
export type OnChainLevel = { price: string; lots: string; baseAmount: string };
export type Liquidity = {
  market: string;
  pool: { fee: number; reserveBase: string; reserveQuote: string; price: string } | null;
  book: { tickSize: string; lotSize: string; takerFeePpm: number; bids: OnChainLevel[]; asks: OnChainLevel[] } | null;
};
export type Batch = {
  id: number;
  market: string;
  status: string;
  clearingPrice: string;
  minedTx: string | null;
  blockNumber: number | null;
  gasUsed: number | null;
  fills: { orderUid: string; executedSellAmount: string }[];
  poolLegs: unknown[];
  bookLegs: unknown[];
};
export type Trade = {
  orderUid: string;
  owner: string;
  sellToken: string;
  buyToken: string;
  soldAmount: string;
  boughtAmount: string;
  txHash: string;
  blockNumber: number;
  batchId: number | null;
};
export type OrderFields = {
  owner: `0x${string}`;
  receiver: `0x${string}`;
  sellToken: `0x${string}`;
  buyToken: `0x${string}`;
  sellAmount: string;
  buyAmount: string;
  feeAmount: string;
  validTo: number;
  nonce: string;
  flags: number;
};
export type Order = OrderFields & {
  uid: `0x${string}`;
  market: string;
  status: "open" | "pending" | "filled" | "cancelled" | "expired" | "invalid";
  executedSellAmount: string;
  executedBuyAmount: string;
  reason: string | null;
  createdAt: number;
};

/** What a trader reads for each errorType the relayer sends (docs/relayer.md, Error codes). */
const MESSAGES: Record<string, string> = {
  MalformedRequest: "The page sent a request the relayer could not read.",
  MalformedOrder: "The order is malformed.",
  InvalidOrderField: "One of the order's fields is out of range.",
  ZeroAmount: "Amounts must be above zero.",
  SameBuyAndSellToken: "Buy and sell tokens must differ.",
  UnsupportedToken: "The relayer does not trade this token.",
  InsufficientValidTo: "The order expires too soon: choose a longer expiry.",
  UnsupportedSigningScheme: "This signing scheme is not supported.",
  InvalidSignature: "The signature is not valid for this order.",
  WrongOwner: "The signature is not from the order's owner.",
  InvalidEip1271Signature: "Your smart-contract wallet did not accept the signature.",
  InsufficientBalance: "Your balance is too low for this order.",
  InsufficientAllowance: "The settlement contract may not spend enough of this token: approve it first.",
  TooManyOpenOrders: "You have too many open orders: cancel some first.",
  DuplicatedOrder: "This exact order was already placed.",
  OrderNotCancellable: "The order is already in a batch on its way on chain: cancel it on chain.",
  OrderNotFound: "The relayer does not know this order.",
  UnknownMarket: "The relayer does not know this market.",
  TooManyRequests: "Too many requests: wait a moment and try again.",
  ChainUnavailable: "The relayer cannot reach the chain right now: try again shortly.",
  InternalError: "The relayer had an internal error.",
  PermitsNotOffered: "This relayer does not submit permits: approve with a transaction.",
  TokenHasNoPermit: "This token has no permit: approve it with a transaction.",
  InsufficientDeadline: "The permit expires too soon: sign it again.",
  StalePermit: "The permit was already used or replaced: sign it again.",
  PermitRejected: "The token refused the permit: approve it with a transaction.",
  PermitsUnavailable: "The relayer cannot pay for permits right now: approve with a transaction.",
};

export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly detail: string,
  ) {
    super(MESSAGES[code] ?? `The relayer refused the request (${code}).`);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, "Content-Type": "application/json" };
  }
  const reply = await fetch(path, init);
  const payload: unknown = await reply.json().catch(() => null);
  if (!reply.ok) {
    const error = (payload ?? {}) as { errorType?: string; description?: string };
    throw new ApiError(error.errorType ?? "HttpError", reply.status, error.description ?? "");
  }
  return payload as T;
}

export const api = {
  signing: () => call<Signing>("GET", "/v1/signing"),
  markets: () => call<Market[]>("GET", "/v1/markets"),
  book: (market: string) => call<Book>("GET", `/v1/markets/${encodeURIComponent(market)}/book`),
  liquidity: (market: string) =>
    call<Liquidity>("GET", `/v1/markets/${encodeURIComponent(market)}/liquidity`),
  batch: (id: number) => call<Batch>("GET", `/v1/batches/${id}`),
  trades: (query: Record<string, string>) =>
    call<Trade[]>("GET", `/v1/trades?${new URLSearchParams(query)}`),
  ordersOf: (owner: string) => call<Order[]>("GET", `/v1/accounts/${owner}/orders?limit=100`),
  postOrder: (order: OrderFields & { signature: string; signingScheme: "eip712" }) =>
    call<{ uid: `0x${string}`; created: boolean }>("POST", "/v1/orders", order),
  postPermit: (permit: PermitFields & { signature: string }) =>
    call<{ txHash: `0x${string}` | null; allowance: string }>("POST", "/v1/permits", permit),
  cancel: (uid: string, signature: string) =>
    call<{ status: string }>("DELETE", `/v1/orders/${uid}`, { signature }),
};
