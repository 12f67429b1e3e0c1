// The trading page: markets and batches live from the relayer, orders signed by the wallet.
import { api, ApiError, type Batch, type Market, type Order, type OrderFields, type Signing } from "./api";
import { ceilDiv, formatAmount, humanPrice, parseAmount, parseDecimal } from "./amounts";
import { Chain } from "./chain";
import { DepthChart, PriceChart } from "./charts";
import { button, byId, cell, row, say, short } from "./dom";
import { follow, type StreamEvent } from "./stream";
import { discover, Wallet, walletMessage, type Eip1193 } from "./wallet";

const ZERO = "0x0000000000000000000000000000000000000000" as const;
const BATCHES_SHOWN = 12;
/** How long a signed permit may wait to be submitted (the relayer submits it at once). */
const PERMIT_VALID_S = 86_400;

type State = {
  signing: Signing;
  markets: Market[];
  market: Market;
  batches: Map<number, Batch>;
  wallet: Wallet | null;
  chain: Chain | null;
  orders: Order[];
  nextNonce: bigint;
};
let state: State;
let priceChart: PriceChart;
let depthChart: DepthChart;

const decimalsOf = (m: Market) => ({ base: m.baseDecimals ?? 18, quote: m.quoteDecimals ?? 18 });
const symbolOf = (m: Market, token: string) =>
  token.toLowerCase() === m.base.toLowerCase() ? (m.baseSymbol ?? "base") : (m.quoteSymbol ?? "quote");
const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

// ------------------------------------------------------------------ market data

async function loadMarket(): Promise<void> {
  await Promise.all([loadBook(), loadBatches(), loadLiquidity()]);
}

/** The AMM pool's price and the on-chain book's levels, where the market has them. */
async function loadLiquidity(): Promise<void> {
  const m = state.market;
  const { base, quote } = decimalsOf(m);
  const liquidity = await api.liquidity(m.market);
  const pool = liquidity.pool;
  byId("pool-price").textContent = pool
    ? `AMM pool: ${humanPrice(pool.price, base, quote).toPrecision(6)} ${m.quoteSymbol ?? ""} per ${m.baseSymbol ?? ""} (fee ${(pool.fee / 100).toFixed(2)}%)`
    : "";
  const book = liquidity.book;
  byId("chain-book").hidden = !book || book.bids.length + book.asks.length === 0;
  const level = (l: { price: string; baseAmount: string }, side: string) =>
    row(cell(humanPrice(l.price, base, quote).toPrecision(6), side), cell(formatAmount(BigInt(l.baseAmount), base)));
  byId("chain-asks").replaceChildren(...(book?.asks ?? []).slice(0, 5).reverse().map((l) => level(l, "ask")));
  byId("chain-bids").replaceChildren(...(book?.bids ?? []).slice(0, 5).map((l) => level(l, "bid")));
}

async function loadBook(): Promise<void> {
  const m = state.market;
  const { base, quote } = decimalsOf(m);
  const book = await api.book(m.market);
  const level = (l: { price: string; baseAmount: string; orders: number }, side: string) =>
    row(
      cell(humanPrice(l.price, base, quote).toPrecision(6), side),
      cell(formatAmount(BigInt(l.baseAmount), base)),
      cell(String(l.orders)),
    );
  byId("asks").replaceChildren(...book.asks.slice(0, 10).reverse().map((l) => level(l, "ask")));
  byId("bids").replaceChildren(...book.bids.slice(0, 10).map((l) => level(l, "bid")));
  const points = (levels: typeof book.bids) =>
    levels.map((l) => ({
      x: humanPrice(l.price, base, quote),
      y: Number(formatAmount(BigInt(l.baseAmount), base, 8)),
    }));
  depthChart.show(points(book.bids), points(book.asks));
}

async function loadBatches(): Promise<void> {
  const trades = await api.trades({ limit: "500" });
  const ids = [...new Set(trades.map((t) => t.batchId).filter((id): id is number => id !== null))];
  const missing = ids.filter((id) => !state.batches.has(id)).slice(0, 50);
  for (const batch of await Promise.all(missing.map((id) => api.batch(id)))) {
    state.batches.set(batch.id, batch);
  }
  showBatches();
}

function showBatches(): void {
  const m = state.market;
  const { base, quote } = decimalsOf(m);
  const mine = [...state.batches.values()]
    .filter((b) => b.market === m.market && b.status === "final")
    .sort((a, b) => b.id - a.id);
  priceChart.show(
    mine
      .filter((b) => b.blockNumber !== null)
      .map((b) => ({ x: b.blockNumber ?? 0, y: humanPrice(b.clearingPrice, base, quote) })),
  );
  byId("batch-rows").replaceChildren(
    ...mine.slice(0, BATCHES_SHOWN).map((b) =>
      row(
        cell(`#${b.id}`),
        cell(humanPrice(b.clearingPrice, base, quote).toPrecision(6)),
        cell(String(b.fills.length)),
        cell((b.gasUsed ?? 0).toLocaleString("en")),
        cell(b.minedTx ? short(b.minedTx) : "", "mono"),
      ),
    ),
  );
}

/** `load` run at once, then at most once per `ms` however often it is asked for. */
function coalesced(load: () => Promise<void>, ms: number): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    running = true;
    again = false;
    void load().catch(() => undefined).finally(() => {
      setTimeout(() => {
        running = false;
        if (again) run();
      }, ms);
    });
  };
  return () => (running ? (again = true) : run());
}
const refreshBook = coalesced(() => loadBook(), 250);
const refreshMine = coalesced(() => loadMine(), 100);

async function onEvent(event: StreamEvent): Promise<void> {
  if (event.type === "batch" && event.status === "final" && typeof event.id === "number") {
    state.batches.set(event.id, await api.batch(event.id));
    showBatches();
    void loadLiquidity(); // a batch may have traded with the pool or the book
  }
  if (event.type === "order" || event.type === "batch") refreshBook();
  const account = state.wallet?.account;
  // an order event names no owner: a new uid may be ours (placed elsewhere), a known one is
  // ours only if it is in the list
  const known = (uid: unknown) => state.orders.some((o) => o.uid === uid);
  const mine =
    (event.type === "trade" && sameAddress(String(event.owner), account ?? "")) ||
    (event.type === "order" && (event.status === "open" || known(event.uid)));
  if (account && mine) refreshMine();
}

function onStreamState(up: boolean): void {
  const badge = byId("connection");
  const was = badge.dataset.state;
  badge.dataset.state = up ? "live" : "down";
  badge.textContent = up ? "live" : "relayer unreachable — reconnecting…";
  if (up && was === "down") {
    void loadMarket().then(loadMine).catch(() => undefined); // catch up on what was missed
  }
}

// ------------------------------------------------------------------ wallet

function showWallet(): void {
  const w = state.wallet;
  const wrongChain = w?.chainId != null && w.chainId !== state.signing.chainId;
  byId("account").textContent = w?.account
    ? `${short(w.account)} · chain ${w.chainId}${wrongChain ? " (wrong network)" : ""}`
    : "";
  byId("connect").hidden = Boolean(w?.account);
  byId("switch-chain").hidden = !wrongChain;
  byId<HTMLButtonElement>("place").disabled = !w?.account || wrongChain;
  if (wrongChain) {
    say("order-message", `Your wallet is on chain ${w?.chainId}; switch to chain ${state.signing.chainId}.`, "error");
  }
}

let providers: { name: string; provider: Eip1193 }[] = [];

async function connect(): Promise<void> {
  const choice = byId<HTMLSelectElement>("wallet-choice");
  const chosen = providers[Number(choice.value) || 0];
  if (!chosen) {
    say("order-message", "No browser wallet found: install one (for example MetaMask).", "error");
    return;
  }
  const wallet = new Wallet(chosen.provider, () => {
    showWallet();
    void loadMine();
  });
  try {
    await wallet.connect();
  } catch (error) {
    say("order-message", walletMessage(error, "connection"), "error");
    return;
  }
  state.wallet = wallet;
  state.chain = new Chain(wallet, state.signing.domain.verifyingContract);
  showWallet();
  await loadMine();
}

async function switchChain(): Promise<void> {
  try {
    await state.wallet?.switchTo(state.signing);
    say("order-message", "Network switched.", "ok");
  } catch (error) {
    say("order-message", walletMessage(error, "network switch"), "error");
  }
}

// ------------------------------------------------------------------ my orders, fills, balances

async function loadMine(): Promise<void> {
  const account = state.wallet?.account;
  if (!account) return;
  state.orders = await api.ordersOf(account);
  const m = state.market;
  const { base, quote } = decimalsOf(m);
  const rows = state.orders.filter((o) => o.market === m.market).map((o) => {
    const sells = sameAddress(o.sellToken, m.base);
    const baseAmount = BigInt(sells ? o.sellAmount : o.buyAmount);
    const quoteAmount = BigInt(sells ? o.buyAmount : o.sellAmount);
    const executed = BigInt(sells ? o.executedSellAmount : o.executedBuyAmount);
    const limit = humanPrice(`${quoteAmount}/${baseAmount}`, base, quote).toPrecision(6);
    const action = cell("");
    if (o.status === "open") action.append(button("Cancel", () => void cancel(o)));
    if (o.status === "pending") action.append(button("Cancel on chain", () => void cancelOnChain(o)));
    const tr = row(
      cell(sells ? "sell" : "buy", sells ? "ask" : "bid"),
      cell(formatAmount(baseAmount, base)),
      cell(limit),
      cell(formatAmount(executed, base)),
      cell(o.status, "status"),
      action,
    );
    tr.dataset.uid = o.uid;
    return tr;
  });
  byId("my-orders").replaceChildren(...rows);
  const fills = await api.trades({ owner: account, limit: "20" });
  byId("my-fills").replaceChildren(
    ...fills.map((t) => {
      const li = document.createElement("li");
      const sold = formatAmount(BigInt(t.soldAmount), sameAddress(t.sellToken, m.base) ? base : quote);
      const got = formatAmount(BigInt(t.boughtAmount), sameAddress(t.buyToken, m.base) ? base : quote);
      li.textContent = `sold ${sold} ${symbolOf(m, t.sellToken)} for ${got} ${symbolOf(m, t.buyToken)} · tx ${short(t.txHash)}`;
      li.dataset.uid = t.orderUid;
      li.title = t.txHash;
      return li;
    }),
  );
  await loadBalances();
}

async function loadBalances(): Promise<void> {
  const { chain, wallet } = state;
  if (!chain || !wallet?.account || wallet.chainId !== state.signing.chainId) return;
  const m = state.market;
  const owner = wallet.account;
  const tokens: [`0x${string}`, number][] = [[m.base, decimalsOf(m).base], [m.quote, decimalsOf(m).quote]];
  const rows = await Promise.all(tokens.map(async ([token, decimals]) => {
    const [held, internal] = await Promise.all([chain.balance(token, owner), chain.internalBalance(token, owner)]);
    const tr = row(cell(symbolOf(m, token)), cell(formatAmount(held, decimals)), cell(formatAmount(internal, decimals)));
    tr.dataset.token = token;
    return tr;
  }));
  byId("balance-rows").replaceChildren(...rows);
}

async function cancel(order: Order): Promise<void> {
  if (!state.wallet) return;
  try {
    const signature = await state.wallet.signTypedData(state.signing, "OrderCancellation", { orderUid: order.uid });
    await api.cancel(order.uid, signature);
    say("order-message", "Order cancelled.", "ok");
  } catch (error) {
    if (error instanceof ApiError && error.code === "OrderNotCancellable") {
      say("order-message", error.message, "error");
    } else {
      say("order-message", error instanceof ApiError ? error.message : walletMessage(error, "cancellation"), "error");
    }
  }
  await loadMine();
}

async function cancelOnChain(order: Order): Promise<void> {
  try {
    const hash = await state.chain?.cancelOnChain(order);
    say("order-message", `Cancelled on chain (tx ${short(hash ?? "")}).`, "ok");
  } catch (error) {
    say("order-message", walletMessage(error, "on-chain cancellation"), "error");
  }
  await loadMine();
}

async function moveFunds(direction: "deposit" | "withdraw"): Promise<void> {
  const { chain, wallet } = state;
  if (!chain || !wallet?.account) return say("balance-message", "Connect a wallet first.", "error");
  const m = state.market;
  const token = byId<HTMLSelectElement>("move-token").value as `0x${string}`;
  const decimals = sameAddress(token, m.base) ? decimalsOf(m).base : decimalsOf(m).quote;
  try {
    const amount = parseAmount(byId<HTMLInputElement>("move-amount").value, decimals, "Amount");
    if (direction === "deposit") {
      if ((await chain.allowance(token, wallet.account)) < amount) {
        say("balance-message", "Approve the deposit in your wallet…");
        await chain.approve(token, amount);
      }
      await chain.deposit(token, amount);
    } else {
      await chain.withdraw(token, amount, wallet.account);
    }
    say("balance-message", `${direction === "deposit" ? "Deposited" : "Withdrawn"}.`, "ok");
  } catch (error) {
    say("balance-message", error instanceof Error && !("code" in error) ? error.message : walletMessage(error, direction), "error");
  }
  await loadBalances();
}

// ------------------------------------------------------------------ the order form

/** The order the form describes, built exactly in base units; throws with the reason. */
function formOrder(): OrderFields {
  const account = state.wallet?.account;
  if (!account) throw new Error("Connect a wallet first.");
  const m = state.market;
  const { base, quote } = decimalsOf(m);
  const form = byId<HTMLFormElement>("order-form");
  const sells = (form.elements.namedItem("side") as RadioNodeList).value === "sell";
  const amount = parseAmount(byId<HTMLInputElement>("amount").value, base, "Amount");
  const [num, den] = parseDecimal(byId<HTMLInputElement>("limit").value, "Limit price");
  // quote base units for `amount` at the limit: amount * price * 10^quote / 10^base
  const top = amount * num * 10n ** BigInt(quote);
  const bottom = den * 10n ** BigInt(base);
  const quoteAmount = sells ? ceilDiv(top, bottom) : top / bottom; // at least / at most
  if (quoteAmount === 0n) throw new Error("The amount is too small at this price.");
  const partial = byId<HTMLInputElement>("partial").checked ? 1 : 0;
  const internal = byId<HTMLInputElement>("internal").checked ? 6 : 0;
  return {
    owner: account,
    receiver: ZERO,
    sellToken: sells ? m.base : m.quote,
    buyToken: sells ? m.quote : m.base,
    sellAmount: String(sells ? amount : quoteAmount),
    buyAmount: String(sells ? quoteAmount : amount),
    feeAmount: "0",
    validTo: Math.floor(Date.now() / 1000) + Number(byId<HTMLSelectElement>("expiry").value),
    nonce: String(state.nextNonce),
    flags: partial | internal,
  };
}

function preview(order: OrderFields): void {
  const m = state.market;
  const { base, quote } = decimalsOf(m);
  const dec = (token: string) => (sameAddress(token, m.base) ? base : quote);
  const element = byId("order-preview");
  element.hidden = false;
  element.textContent = [
    `sell    ${formatAmount(BigInt(order.sellAmount), dec(order.sellToken), 18)} ${symbolOf(m, order.sellToken)} (${order.sellAmount})`,
    `buy     ${formatAmount(BigInt(order.buyAmount), dec(order.buyToken), 18)} ${symbolOf(m, order.buyToken)} (${order.buyAmount})`,
    `expires ${new Date(order.validTo * 1000).toISOString()}`,
    `flags   ${order.flags & 1 ? "partially fillable" : "fill or kill"}${order.flags & 2 ? ", internal balances" : ""}`,
    `nonce   ${order.nonce}`,
  ].join("\n");
}

/** Balance and allowance (or internal balance) for the order; shows Approve when short. */
async function checkFunds(order: OrderFields): Promise<boolean> {
  const { chain } = state;
  if (!chain) return false;
  const need = BigInt(order.sellAmount);
  const m = state.market;
  const decimals = sameAddress(order.sellToken, m.base) ? decimalsOf(m).base : decimalsOf(m).quote;
  const symbol = symbolOf(m, order.sellToken);
  const approve = byId<HTMLButtonElement>("approve");
  const permit = byId<HTMLButtonElement>("permit");
  approve.hidden = permit.hidden = true;
  if (order.flags & 2) {
    const internal = await chain.internalBalance(order.sellToken, order.owner);
    byId("funds").textContent = `internal ${formatAmount(internal, decimals)} ${symbol}`;
    if (internal < need) {
      say("order-message", `Your internal ${symbol} balance is too low: deposit first.`, "error");
      return false;
    }
    return true;
  }
  const [held, allowed] = await Promise.all([
    chain.balance(order.sellToken, order.owner),
    chain.allowance(order.sellToken, order.owner),
  ]);
  byId("funds").textContent =
    `balance ${formatAmount(held, decimals)} ${symbol} · allowance ${allowed >= 2n ** 255n ? "unlimited" : formatAmount(allowed, decimals)}`;
  if (held < need) {
    say("order-message", `Your ${symbol} balance is too low for this order.`, "error");
    return false;
  }
  if (allowed < need) {
    approve.hidden = false;
    approve.textContent = `Approve ${formatAmount(need, decimals)} ${symbol}`;
    approve.onclick = () => void approveFor(order.sellToken, need);
    if (permitDomain(order.sellToken)) {
      permit.hidden = false;
      permit.textContent = `Approve ${formatAmount(need, decimals)} ${symbol} by signature (no gas)`;
      permit.onclick = () => void permitFor(order.sellToken, need);
    }
    say("order-message", `Approve ${symbol} for the settlement contract first.`, "info");
    return false;
  }
  return true;
}

/** The token's EIP-2612 domain if the relayer submits its permits. */
function permitDomain(token: `0x${string}`) {
  const domains = state.signing.permit?.domains ?? {};
  const key = Object.keys(domains).find((t) => sameAddress(t, token));
  return key ? domains[key] : undefined;
}

/** Sign an EIP-2612 permit for the settlement contract; the relayer submits it and pays. */
async function permitFor(token: `0x${string}`, amount: bigint): Promise<void> {
  const { chain, wallet, signing } = state;
  const domain = permitDomain(token);
  const owner = wallet?.account;
  if (!chain || !wallet || !owner || !domain || !signing.permit) return;
  const fields = {
    owner,
    token,
    value: amount.toString(),
    nonce: (await chain.permitNonce(token, owner)).toString(),
    deadline: Math.floor(Date.now() / 1000) + PERMIT_VALID_S,
  };
  let signature: `0x${string}`;
  try {
    say("order-message", "Sign the permit in your wallet (a signature: no transaction, no gas)…");
    signature = await wallet.signTypedData({ domain, types: signing.permit.types }, "Permit", {
      owner, spender: signing.permit.spender, value: fields.value, nonce: fields.nonce,
      deadline: fields.deadline,
    });
  } catch (error) {
    return say("order-message", walletMessage(error, "permit"), "error");
  }
  try {
    say("order-message", "The relayer is submitting your permit…");
    const { txHash } = await api.postPermit({ ...fields, signature });
    say("order-message", txHash
      ? `Approved by permit (tx ${short(txHash)}, gas paid by the relayer). Now sign the order.`
      : "Already approved. Now sign the order.", "ok");
    byId("approve").hidden = byId("permit").hidden = true;
  } catch (error) {
    say("order-message", error instanceof ApiError ? error.message : String(error), "error");
  }
}

async function approveFor(token: `0x${string}`, amount: bigint): Promise<void> {
  try {
    say("order-message", "Confirm the approval in your wallet…");
    const hash = await state.chain?.approve(token, amount);
    say("order-message", `Approved (tx ${short(hash ?? "")}). Now sign the order.`, "ok");
    byId("approve").hidden = byId("permit").hidden = true;
  } catch (error) {
    say("order-message", walletMessage(error, "approval"), "error");
  }
}

async function refreshNonce(): Promise<void> {
  const { chain, wallet } = state;
  if (!chain || !wallet?.account) return;
  const used = state.orders.map((o) => BigInt(o.nonce) + 1n);
  const floor = await chain.nonceFloor(wallet.account);
  state.nextNonce = [floor, state.nextNonce, ...used].reduce((a, b) => (a > b ? a : b));
}

async function place(event: Event): Promise<void> {
  event.preventDefault();
  const wallet = state.wallet;
  if (!wallet) return;
  let order: OrderFields;
  try {
    await refreshNonce();
    order = formOrder();
  } catch (error) {
    return say("order-message", (error as Error).message, "error");
  }
  preview(order);
  if (!(await checkFunds(order))) return;
  let signature: `0x${string}`;
  try {
    say("order-message", "Sign the order in your wallet…");
    signature = await wallet.signTypedData(state.signing, "Order", { ...order });
  } catch (error) {
    return say("order-message", walletMessage(error, "signature"), "error");
  }
  try {
    const { uid } = await api.postOrder({ ...order, signature, signingScheme: "eip712" });
    state.nextNonce = BigInt(order.nonce) + 1n;
    say("order-message", `Order placed: ${short(uid)}`, "ok");
  } catch (error) {
    say("order-message", error instanceof ApiError ? error.message : String(error), "error");
  }
  await loadMine();
}

function formChanged(): void {
  const m = state.market;
  for (const unit of document.querySelectorAll<HTMLElement>(".unit")) {
    unit.textContent = unit.dataset.unit === "base"
      ? `(${m.baseSymbol ?? "base"})`
      : `(${m.quoteSymbol ?? "quote"} per ${m.baseSymbol ?? "base"})`;
  }
  try {
    if (state.wallet?.account) preview(formOrder());
  } catch {
    byId("order-preview").hidden = true;
  }
}

// ------------------------------------------------------------------ start

async function start(): Promise<void> {
  priceChart = new PriceChart(byId("price-chart"));
  depthChart = new DepthChart(byId("depth-chart"));
  const [signing, markets] = await Promise.all([api.signing(), api.markets()]);
  if (markets.length === 0) throw new Error("the relayer lists no markets");
  state = {
    signing, markets, market: markets[0] as Market, batches: new Map(),
    wallet: null, chain: null, orders: [], nextNonce: 1n,
  };
  const select = byId<HTMLSelectElement>("market");
  select.replaceChildren(...markets.map((m) => new Option(m.market, m.market)));
  select.addEventListener("change", () => {
    state.market = markets.find((m) => m.market === select.value) ?? state.market;
    void selectMarket();
  });
  byId("connect").addEventListener("click", () => void connect());
  byId("switch-chain").addEventListener("click", () => void switchChain());
  byId("order-form").addEventListener("submit", (e) => void place(e));
  byId("order-form").addEventListener("input", formChanged);
  byId("deposit").addEventListener("click", () => void moveFunds("deposit"));
  byId("withdraw").addEventListener("click", () => void moveFunds("withdraw"));
  discover((found) => {
    providers = found.map((f) => ({ name: f.info.name, provider: f.provider }));
    const choice = byId<HTMLSelectElement>("wallet-choice");
    choice.replaceChildren(...providers.map((p, i) => new Option(p.name, String(i))));
    choice.hidden = providers.length < 2;
  });
  follow((e) => void onEvent(e).catch(() => undefined), onStreamState);
  await selectMarket();
  // usable: markets, book and batches drawn, the form wired (the benchmark reads this mark)
  performance.mark("crossbook:ready");
  document.body.dataset.ready = "true";
}

async function selectMarket(): Promise<void> {
  const m = state.market;
  byId<HTMLSelectElement>("move-token").replaceChildren(
    new Option(m.baseSymbol ?? "base", m.base),
    new Option(m.quoteSymbol ?? "quote", m.quote),
  );
  formChanged();
  await Promise.all([loadMarket(), loadMine()]);
}

start().catch((error) => {
  const badge = byId("connection");
  badge.dataset.state = "down";
  badge.textContent = `cannot load: ${error instanceof Error ? error.message : error}`;
});
