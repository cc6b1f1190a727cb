import { createHash } from 'node:crypto';

export function ipToInt(ip: string): number | null {
  const parts = ip.trim().split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = value * 256 + n;
  }
  return value;
}

export function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Prefix length of a dotted netmask, or null when it is not a contiguous mask. */
export function netmaskBits(netmask: string): number | null {
  const value = ipToInt(netmask);
  if (value === null) return null;
  const binary = value.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(binary)) return null;
  return binary.indexOf('0') === -1 ? 32 : binary.indexOf('0');
}

export function cidrOf(gateway: string, netmask: string): string | null {
  const gw = ipToInt(gateway);
  const bits = netmaskBits(netmask);
  if (gw === null || bits === null) return null;
  const size = 2 ** (32 - bits);
  return `${intToIp(Math.floor(gw / size) * size)}/${bits}`;
}

/**
 * The usable host addresses of a CIDR (network, broadcast and the gateway excluded), numbered 0…count-1 in
 * ascending order; null for a CIDR that is not a /8 to /30.
 */
interface UsableRange {
  readonly start: number;
  readonly count: number;
  /** Offset of the gateway from `start` when it lies inside the host range. */
  readonly gatewayOffset: number | null;
}

function usableRange(cidr: string, gateway: string | null): UsableRange | null {
  const [base, bitsText] = cidr.split('/');
  const start = ipToInt(base ?? '');
  const bits = Number(bitsText);
  if (start === null || !Number.isInteger(bits) || bits < 8 || bits > 30) return null;
  const size = 2 ** (32 - bits);
  const gw = gateway ? ipToInt(gateway) : null;
  const gatewayOffset = gw !== null && gw > start && gw < start + size - 1 ? gw - start : null;
  return { start, count: size - 2 - (gatewayOffset === null ? 0 : 1), gatewayOffset };
}

/**
 * The usable addresses with their positions, from position `from` and wrapping around once: an allocation can
 * resume where the previous one stopped instead of rescanning a full network.
 */
export function* hostAddressesFrom(cidr: string, gateway: string | null, from: number): Generator<{ index: number; ip: string }> {
  const range = usableRange(cidr, gateway);
  if (!range) return;
  const { start, count, gatewayOffset } = range;
  for (let step = 0; step < count; step += 1) {
    const index = (((from + step) % count) + count) % count;
    const offset = index + 1 + (gatewayOffset !== null && index + 1 >= gatewayOffset ? 1 : 0);
    yield { index, ip: intToIp(start + offset) };
  }
}

/** The position of `ip` among the usable addresses (as `hostAddressesFrom` numbers them), or null. */
export function hostAddressIndex(cidr: string, gateway: string | null, ip: string): number | null {
  const range = usableRange(cidr, gateway);
  const value = ipToInt(ip);
  if (!range || value === null) return null;
  const offset = value - range.start;
  if (offset < 1 || offset === range.gatewayOffset || offset > range.count + (range.gatewayOffset === null ? 0 : 1)) return null;
  return offset - 1 - (range.gatewayOffset !== null && offset > range.gatewayOffset ? 1 : 0);
}

/**
 * A MAC from a counter, in CloudStack's locally administered `02:00:…` space: unique as long as the
 * counter is (it comes from a database sequence).
 */
export function macFromCounter(counter: number): string {
  const bytes = [Math.floor(counter / 2 ** 24) % 256, Math.floor(counter / 2 ** 16) % 256, Math.floor(counter / 256) % 256, counter % 256];
  return ['02', '00', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** Java's `UUID.nameUUIDFromBytes` (MD5, version 3), used for External host GUIDs. */
export function nameBasedUuid(name: string): string {
  const hash = createHash('md5').update(name, 'utf8').digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x30;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Detail keys whose values are secrets: masked in every read meant for the API. */
const SECRET_DETAIL = /secret|password|passwd|apikey|api_key|token_secret|privatekey|private_key/i;
export const MASK = '******';

export function maskSecrets(details: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [key, SECRET_DETAIL.test(key) ? MASK : value]));
}
