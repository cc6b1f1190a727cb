import { parseMaasApiKey, parseMaasEndpoint, type MaasApiKey } from '../../clients/maas/index.ts';
import { parseBooleanDetail, readDetail, readVmDetail } from '../../contract/details.ts';
import { ExtensionError } from '../../contract/extension.ts';
import type { Payload } from '../../contract/payload.ts';

/** Where the connection details come from, in order: the host's details win over the extension's. */
const CONNECTION_GROUPS = ['host', 'extension'] as const;

export interface MaasConnection {
  readonly site: URL;
  readonly apiKey: MaasApiKey;
  readonly verifyTls: boolean;
}

/** Reads and checks `endpoint` and `apikey` before any request, so a bad key never reaches MAAS. */
export function readConnection(payload: Payload): MaasConnection {
  const endpoint = readDetail(payload, 'endpoint', CONNECTION_GROUPS);
  const apikey = readDetail(payload, 'apikey', CONNECTION_GROUPS);
  if (!endpoint || !apikey) throw new ExtensionError('Missing MAAS endpoint or apikey');
  let site: URL;
  try {
    site = parseMaasEndpoint(endpoint);
  } catch (error) {
    throw new ExtensionError(`Invalid MAAS endpoint: ${(error as Error).message}`);
  }
  let apiKey: MaasApiKey;
  try {
    apiKey = parseMaasApiKey(apikey);
  } catch (error) {
    throw new ExtensionError((error as Error).message);
  }
  const verifyTls = parseBooleanDetail(readDetail(payload, 'verify_tls_certificate', CONNECTION_GROUPS), true);
  return { site, apiKey, verifyTls };
}

/**
 * A per-instance option: a VM external detail (from the template, offering or deploy call), the same key
 * without prefix in the VM's details (where the reference also looks), then the host's and the extension's
 * details, so an operator can set a default per host or for the whole extension.
 */
export function readInstanceOption(payload: Payload, key: string): string | undefined {
  const fromVm = readVmDetail(payload, key);
  if (fromVm !== undefined) return fromVm;
  const plain = payload['cloudstack.vm.details']?.details?.[key];
  if (plain !== undefined && plain.trim() !== '') return plain.trim();
  return readDetail(payload, key, CONNECTION_GROUPS);
}

/** The MAAS machine this instance holds, recorded by `prepare` as `External:maas_system_id`. */
export function readSystemId(payload: Payload): string | undefined {
  return readVmDetail(payload, 'maas_system_id') ?? payload['cloudstack.vm.details']?.details?.maas_system_id?.trim() ?? undefined;
}

export function requireSystemId(payload: Payload, action: string): string {
  const systemId = readSystemId(payload);
  if (!systemId) throw new ExtensionError(`system_id missing for ${action}`);
  return systemId;
}

/** Release options: erase is on by default so that no tenant data is left on the disks. */
export interface ReleaseOptions {
  readonly erase: boolean;
  readonly quickErase: boolean;
  readonly secureErase: boolean;
}

export function readReleaseOptions(payload: Payload): ReleaseOptions {
  return {
    erase: parseBooleanDetail(readInstanceOption(payload, 'erase'), true),
    quickErase: parseBooleanDetail(readInstanceOption(payload, 'quick_erase'), false),
    secureErase: parseBooleanDetail(readInstanceOption(payload, 'secure_erase'), false),
  };
}

/** Comma-separated list detail (`maas_tags=gpu,ssd`). */
export function readListOption(payload: Payload, key: string): string[] {
  return (readInstanceOption(payload, key) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/**
 * The machine's hostname after `create`: `vm_name` when given, otherwise the instance's internal name, so
 * that `statuses` can key its answer by a name CloudStack knows.
 */
export function desiredHostname(payload: Payload): string | undefined {
  return readVmDetail(payload, 'vm_name') ?? payload.virtualmachinename ?? payload['cloudstack.vm.details']?.name ?? undefined;
}

/**
 * User data for the deployment, base64-encoded as MAAS expects: a `user_data` detail, or the `userdata`
 * entry of the TO's `vmData`. Text that is not already base64 (e.g. `#cloud-config …`) is encoded.
 */
export function readUserData(payload: Payload): string | undefined {
  const vm = payload['cloudstack.vm.details'] as Record<string, unknown> | undefined;
  let raw = readInstanceOption(payload, 'user_data');
  if (raw === undefined && typeof vm?.userData === 'string' && vm.userData.trim() !== '') raw = vm.userData;
  if (raw === undefined && Array.isArray(vm?.vmData)) {
    const entry = (vm.vmData as unknown[]).find(
      (item): item is string[] => Array.isArray(item) && item[0] === 'userdata' && item[1] === 'user_data' && typeof item[2] === 'string',
    );
    raw = entry?.[2];
  }
  if (raw === undefined || raw.trim() === '') return undefined;
  const compact = raw.replace(/\s+/g, '');
  const looksBase64 = compact.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(compact);
  return looksBase64 ? compact : Buffer.from(raw, 'utf8').toString('base64');
}

