import type { DetailGroup, Payload } from './payload.ts';

/** The prefix CloudStack puts on external details stored with a VM, template or offering. */
export const EXTERNAL_DETAIL_PREFIX = 'External:';

/**
 * Reads a detail from the first group (in order) where it is non-empty. Built-in extensions let the host's
 * details win over the extension's, so callers pass `['host', 'extension']`.
 */
export function readDetail(payload: Payload, key: string, groups: readonly DetailGroup[]): string | undefined {
  for (const group of groups) {
    const value = payload.externaldetails?.[group]?.[key];
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/**
 * Reads a VM-scoped external detail: `externaldetails.virtualmachine.<key>`, falling back to the
 * `External:<key>` entry of `cloudstack.vm.details.details` (both carry the same value in CloudStack).
 */
export function readVmDetail(payload: Payload, key: string): string | undefined {
  const direct = readDetail(payload, key, ['virtualmachine']);
  if (direct !== undefined) return direct;
  const prefixed = payload['cloudstack.vm.details']?.details?.[`${EXTERNAL_DETAIL_PREFIX}${key}`];
  return prefixed !== undefined && prefixed.trim() !== '' ? prefixed.trim() : undefined;
}

/** Parses a CloudStack boolean detail. Only explicit words count; anything else yields the default. */
export function parseBooleanDetail(value: string | undefined, defaultValue: boolean): boolean {
  if (value === undefined) return defaultValue;
  const normalised = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(normalised)) return true;
  if (['0', 'false', 'no', 'off'].includes(normalised)) return false;
  return defaultValue;
}

/** Extracts the VLAN id from a NIC broadcast URI (`vlan://1577` → `1577`); untagged networks give undefined. */
export function vlanFromBroadcastUri(uri: string | undefined): number | undefined {
  if (uri === undefined) return undefined;
  const match = /^vlan:\/\/(\d+)$/i.exec(uri.trim());
  if (!match) return undefined;
  const vlan = Number(match[1]);
  return vlan >= 1 && vlan <= 4094 ? vlan : undefined;
}

/** Names of details whose values are secrets in any in-built extension. */
const SECRET_KEY_PATTERN = /secret|password|passwd|apikey|api_key|token_secret|vncpassword/i;

/** Collects every secret value present in the payload, so messages can be scrubbed of them. */
export function collectSecrets(payload: Payload): string[] {
  const secrets = new Set<string>();
  for (const group of Object.values(payload.externaldetails ?? {})) {
    if (typeof group !== 'object' || group === null) continue;
    for (const [key, value] of Object.entries(group as Record<string, string>)) {
      if (SECRET_KEY_PATTERN.test(key) && typeof value === 'string' && value.length >= 4) secrets.add(value);
    }
  }
  const vnc = payload['cloudstack.vm.details']?.vncPassword;
  if (vnc && vnc.length >= 4) secrets.add(vnc);
  // A MAAS API key is `consumer:token:secret`: scrub its parts as well as the whole.
  for (const value of [...secrets]) for (const part of value.split(':')) if (part.length >= 8) secrets.add(part);
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret (raw or URL-encoded) by `******`. */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) result = result.split(form).join('******');
  }
  return result;
}
