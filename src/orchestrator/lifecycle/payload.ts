import type { Selectable } from 'kysely';
import { EXTERNAL_DETAIL_PREFIX } from '../../contract/details.ts';
import type { HostsTable, InstancesTable } from '../../store/schema.ts';
import type { DetailMap } from '../types.ts';

/** Details that steer the orchestrator and are never shown through the API. */
export const DEPLOY_VM_DETAIL = 'deployvm';
export const INTERNAL_DETAILS: ReadonlySet<string> = new Set([DEPLOY_VM_DETAIL]);

export interface PayloadNic {
  readonly nicUuid: string;
  readonly networkUuid: string;
  readonly deviceId: number;
  readonly mac: string;
  readonly ip: string | null;
  readonly ip6: string | null;
  readonly netmask: string | null;
  readonly gateway: string | null;
  readonly dns1: string | null;
  readonly dns2: string | null;
  readonly vlan: number | null;
  readonly isDefault: boolean;
}

export interface PayloadInputs {
  readonly instance: Selectable<InstancesTable>;
  readonly vncPassword: string;
  readonly vmDetails: DetailMap;
  readonly offering: { cpuNumber: number; cpuSpeed: number; memoryMiB: number; externalDetails: DetailMap };
  readonly nics: readonly PayloadNic[];
  readonly host: Selectable<HostsTable> | null;
  readonly hostDetails: DetailMap;
  readonly registrationDetails: DetailMap;
  readonly extensionDetails: DetailMap;
  readonly caller: Record<string, string> | null;
  /** Custom actions: visible action details, the action name and typed parameters. */
  readonly customAction?: { name: string; details: DetailMap; parameters: Record<string, unknown> };
}

const MIB = 1024 * 1024;

function withoutNulls<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== null && value !== undefined)) as Partial<T>;
}

/** `External:`-prefixed keys with the prefix stripped. */
export function externalPart(details: DetailMap): DetailMap {
  const result: DetailMap = {};
  for (const [key, value] of Object.entries(details)) {
    if (key.startsWith(EXTERNAL_DETAIL_PREFIX)) result[key.slice(EXTERNAL_DETAIL_PREFIX.length)] = value;
  }
  return result;
}

export function withExternalPrefix(details: DetailMap): DetailMap {
  return Object.fromEntries(Object.entries(details).map(([key, value]) => [`${EXTERNAL_DETAIL_PREFIX}${key}`, value]));
}

/** The VirtualMachineTO as CloudStack serialises it (extension-contract.md §4.3). */
export function buildVirtualMachineTO(inputs: PayloadInputs): Record<string, unknown> {
  const { instance, offering } = inputs;
  const details: DetailMap = { ...withExternalPrefix(offering.externalDetails), ...inputs.vmDetails };
  return {
    id: instance.id,
    name: instance.instance_name,
    state: instance.state,
    type: 'User',
    cpus: offering.cpuNumber,
    minSpeed: offering.cpuSpeed,
    maxSpeed: offering.cpuSpeed,
    minRam: offering.memoryMiB * MIB,
    maxRam: offering.memoryMiB * MIB,
    arch: 'x86_64',
    bootArgs: '',
    enableHA: false,
    limitCpuUse: false,
    enableDynamicallyScaleVm: false,
    vncPassword: inputs.vncPassword,
    details,
    uuid: instance.uuid,
    disks: [],
    nics: inputs.nics.map((nic) => {
      const uri = nic.vlan === null ? 'vlan://untagged' : `vlan://${nic.vlan}`;
      return withoutNulls({
        deviceId: nic.deviceId,
        defaultNic: nic.isDefault,
        nicUuid: nic.nicUuid,
        uuid: nic.networkUuid,
        mac: nic.mac,
        ip: nic.ip,
        ip6address: nic.ip6,
        netmask: nic.netmask,
        gateway: nic.gateway,
        dns1: nic.dns1,
        dns2: nic.dns2,
        broadcastType: 'Vlan',
        broadcastUri: uri,
        isolationUri: uri,
        type: 'Guest',
        pxeDisable: true,
      });
    }),
    guestOsDetails: {},
    extraConfig: {},
  };
}

/**
 * The payload file's object (extension-contract.md §4): detail groups (empty ones omitted), `caller` lifted
 * to the top level, the VM keys, and for custom actions `action` + `parameters` (only when non-empty).
 * `vmTO` may be passed when it was already built (e.g. merged with a `prepare` answer).
 */
export function buildPayload(inputs: PayloadInputs, vmTO: Record<string, unknown> = buildVirtualMachineTO(inputs)): Record<string, unknown> {
  const groups: Record<string, DetailMap> = {};
  const put = (name: string, details: DetailMap) => {
    if (Object.keys(details).length > 0) groups[name] = details;
  };
  put('host', inputs.hostDetails);
  put('resourcemap', inputs.registrationDetails);
  put('extension', inputs.extensionDetails);
  if (inputs.customAction) put('action', inputs.customAction.details);
  put('virtualmachine', externalPart((vmTO.details ?? {}) as DetailMap));
  const payload: Record<string, unknown> = {};
  if (Object.keys(groups).length > 0) payload.externaldetails = groups;
  if (inputs.caller) payload.caller = inputs.caller;
  payload.virtualmachineid = inputs.instance.uuid;
  payload.virtualmachinename = inputs.instance.instance_name;
  payload['cloudstack.vm.details'] = vmTO;
  if (inputs.customAction) {
    payload.action = inputs.customAction.name;
    if (Object.keys(inputs.customAction.parameters).length > 0) payload.parameters = inputs.customAction.parameters;
  }
  return payload;
}

/** `status` output → power state ([EPP] `parsePowerStateFromResponse`). */
export function parsePowerState(success: boolean, output: string): 'PowerOn' | 'PowerOff' | 'PowerUnknown' {
  if (!success || output.trim() === '') return 'PowerUnknown';
  const text = output.trim();
  let state: unknown = text;
  if (text.startsWith('{')) {
    try {
      state = (JSON.parse(text) as { power_state?: unknown }).power_state;
    } catch {
      return 'PowerUnknown';
    }
  }
  return powerStateOf(state);
}

export function powerStateOf(value: unknown): 'PowerOn' | 'PowerOff' | 'PowerUnknown' {
  if (typeof value !== 'string') return 'PowerUnknown';
  const normalised = value.trim().toLowerCase();
  if (normalised === 'poweron') return 'PowerOn';
  if (normalised === 'poweroff') return 'PowerOff';
  return 'PowerUnknown';
}
