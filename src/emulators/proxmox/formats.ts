import type { FormatCheck } from './validation.ts';

/**
 * Named string formats of the Proxmox schema (pve-common JSONSchema.pm `register_format`), restated with the
 * texts Proxmox dies with. Each returns the complaint or undefined.
 */
function matching(regex: RegExp, complaint: (value: string) => string): FormatCheck {
  return (value) => (regex.test(value) ? undefined : complaint(value));
}

const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const STORAGE_ID = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i;
const CONFIG_ID = /^[a-z][a-z0-9_-]+$/i;

export const vmidFormat = matching(/^[1-9][0-9]{2,8}$/, () => 'value does not look like a valid VM ID\n');
export const nodeFormat = matching(new RegExp(`^${LABEL}$`), () => 'value does not look like a valid node name\n');
export const dnsNameFormat = matching(new RegExp(`^(?:${LABEL}\\.)*${LABEL}$`), () => 'value does not look like a valid DNS name\n');
export const storageIdFormat = matching(STORAGE_ID, (value) => `storage ID '${value}' contains illegal characters\n`);
export const configIdFormat = matching(CONFIG_ID, (value) => `invalid configuration ID '${value}'\n`);
export const bridgeIdFormat = matching(/^[-_.\w]+$/, (value) => `invalid bridge ID '${value}'\n`);
export const poolIdFormat = matching(/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+){0,2}$/, (value) => `pool name '${value}' contains invalid characters\n`);
export const diskSizeFormat = matching(/^\d+(?:\.\d+)?[KMGT]?$/, (value) => `value does not look like a valid disk size: ${value}\n`);

export const configIdListFormat: FormatCheck = (value) => {
  for (const id of value.split(/[,;\s\0]+/).filter(Boolean)) {
    if (!CONFIG_ID.test(id)) return `invalid configuration ID '${id}'\n`;
  }
  return undefined;
};

/** Unicast MAC addresses only, as `pve_verify_mac_addr` demands. */
export const macAddressFormat: FormatCheck = (value) => {
  const ok = /^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$/i.test(value);
  return ok ? undefined : 'value does not look like a valid unicast MAC address\n';
};

const TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/i;
export const tagListFormat: FormatCheck = (value) => {
  for (const tag of value.split(/[;,\s]+/).filter(Boolean)) {
    if (!TAG.test(tag)) return 'invalid characters in tag\n';
  }
  return undefined;
};

/** `<storage>:<volume>` volume ids, plus the disk-creation shorthand `<storage>:<size>` and device paths. */
export const volumeOrPathFormat: FormatCheck = (value) => {
  if (value === 'none' || value === 'cdrom' || value.startsWith('/')) return undefined;
  const match = /^([^:\s]+):(.+)$/.exec(value);
  if (!match || !STORAGE_ID.test(match[1]!)) return `unable to parse volume ID '${value}'\n`;
  return undefined;
};

export const volumeIdFormat: FormatCheck = (value) => {
  const match = /^([^:\s]+):(.+)$/.exec(value);
  if (!match || !STORAGE_ID.test(match[1]!)) return `unable to parse volume ID '${value}'\n`;
  return undefined;
};

export const STORAGE_CONTENT_TYPES = ['images', 'rootdir', 'vztmpl', 'iso', 'backup', 'snippets', 'import'] as const;

export const storageContentFormat: FormatCheck = (value) =>
  (STORAGE_CONTENT_TYPES as readonly string[]).includes(value) ? undefined : `invalid content type '${value}'\n`;

export const storageContentListFormat: FormatCheck = (value) => {
  for (const item of value.split(/[,;\s]+/).filter(Boolean)) {
    const problem = storageContentFormat(item);
    if (problem) return problem;
  }
  return undefined;
};

export const bootOrderFormat = matching(/^[a-z0-9]+(?:;[a-z0-9]+)*$/, (value) => `invalid boot order '${value}'\n`);
