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

/** Usable host addresses of a CIDR, excluding network, broadcast and the gateway, in ascending order. */
export function* hostAddresses(cidr: string, gateway: string | null): Generator<string> {
  for (const { ip } of hostAddressesFrom(cidr, gateway, 0)) yield ip;
}

/**
 * The same addresses as `hostAddresses`, each with its position, starting at position `from` and wrapping
 * around once: an allocation can resume where the previous one stopped instead of rescanning a full network.
 */
export function* hostAddressesFrom(cidr: string, gateway: string | null, from: number): Generator<{ index: number; ip: string }> {
  const [base, bitsText] = cidr.split('/');
  const start = ipToInt(base ?? '');
  const bits = Number(bitsText);
  if (start === null || !Number.isInteger(bits) || bits < 8 || bits > 30) return;
  const size = 2 ** (32 - bits);
  const gw = gateway ? ipToInt(gateway) : null;
  const gatewayOffset = gw !== null && gw > start && gw < start + size - 1 ? gw - start : null;
  const count = size - 2 - (gatewayOffset === null ? 0 : 1);
  for (let step = 0; step < count; step += 1) {
    const index = (((from + step) % count) + count) % count;
    const offset = index + 1 + (gatewayOffset !== null && index + 1 >= gatewayOffset ? 1 : 0);
    yield { index, ip: intToIp(start + offset) };
  }
}

/** The position of `ip` among the usable addresses of the CIDR (as `hostAddressesFrom` numbers them), or null. */
export function hostAddressIndex(cidr: string, gateway: string | null, ip: string): number | null {
  const [base, bitsText] = cidr.split('/');
  const start = ipToInt(base ?? '');
  const value = ipToInt(ip);
  const bits = Number(bitsText);
  if (start === null || value === null || !Number.isInteger(bits) || bits < 8 || bits > 30) return null;
  const offset = value - start;
  const gw = gateway ? ipToInt(gateway) : null;
  if (offset < 1 || offset >= 2 ** (32 - bits) - 1 || value === gw) return null;
  return offset - 1 - (gw !== null && gw > start && gw < value ? 1 : 0);
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
