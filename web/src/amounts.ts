// Exact token amounts: bigint base units, parsed and shown with the token's decimals.
import { formatUnits, parseUnits } from "viem";

const DECIMAL = /^[0-9]+(\.[0-9]*)?$|^\.[0-9]+$/;

/** "1.5" with 18 decimals -> 1500000000000000000n; refuses more digits than the token has. */
export function parseAmount(text: string, decimals: number, what: string): bigint {
  const clean = text.trim();
  if (!DECIMAL.test(clean)) throw new Error(`${what}: enter a number such as 1.5`);
  const fraction = clean.split(".")[1] ?? "";
  if (fraction.length > decimals) throw new Error(`${what}: at most ${decimals} decimals`);
  const value = parseUnits(clean, decimals);
  if (value <= 0n) throw new Error(`${what} must be above zero`);
  return value;
}

/** A decimal string as an exact fraction: "2000.25" -> [200025n, 100n]. */
export function parseDecimal(text: string, what: string): [bigint, bigint] {
  const clean = text.trim();
  if (!DECIMAL.test(clean)) throw new Error(`${what}: enter a number such as 2000.5`);
  const [whole = "", fraction = ""] = clean.split(".");
  const num = BigInt((whole || "0") + fraction);
  if (num <= 0n) throw new Error(`${what} must be above zero`);
  return [num, 10n ** BigInt(fraction.length)];
}

export function formatAmount(value: bigint, decimals: number, digits = 6): string {
  const text = formatUnits(value, decimals);
  const [whole, fraction] = text.split(".");
  if (!fraction) return whole ?? text;
  const cut = fraction.slice(0, digits).replace(/0+$/, "");
  return cut ? `${whole}.${cut}` : (whole ?? text);
}

/** A raw "num/den" quote-per-base price (base units) as quote tokens per base token. */
export function humanPrice(raw: string, baseDecimals: number, quoteDecimals: number): number {
  const [num = "0", den = "1"] = raw.split("/");
  const scaled = (BigInt(num) * 10n ** BigInt(baseDecimals) * 10n ** 8n) /
    (BigInt(den) * 10n ** BigInt(quoteDecimals));
  return Number(scaled) / 1e8; // shown rounded; orders never use this value
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
