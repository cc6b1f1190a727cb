import { maasMachineUiUrl, type AllocateConstraints, type MaasClient, type MaasInterface, type MaasMachine } from '../../clients/maas/index.ts';
import { Deadline } from '../../contract/deadline.ts';
import { ExtensionError, type ActionHandler, type JsonObject, type JsonValue } from '../../contract/extension.ts';
import type { Payload } from '../../contract/payload.ts';
import { readInstanceOption, readListOption, readSystemId } from './config.ts';
import { COMPENSATION_BUDGET_MS, withMaas } from './session.ts';

const MIB = 1024 * 1024;

/** The constraints for `op=allocate`: the pinned machine, or the instance's size plus optional placement. */
export function allocationConstraints(payload: Payload): AllocateConstraints {
  const vm = payload['cloudstack.vm.details'];
  const pinned = readSystemId(payload);
  const architecture = readInstanceOption(payload, 'architecture');
  const placement = {
    ...(architecture ? { arch: architecture } : {}),
    ...(readListOption(payload, 'maas_tags').length > 0 ? { tags: readListOption(payload, 'maas_tags') } : {}),
    ...(readInstanceOption(payload, 'maas_pool') ? { pool: readInstanceOption(payload, 'maas_pool') } : {}),
    ...(readInstanceOption(payload, 'maas_zone') ? { zone: readInstanceOption(payload, 'maas_zone') } : {}),
    comment: `CloudStack instance ${payload.virtualmachinename ?? vm?.name ?? ''} (${payload.virtualmachineid ?? vm?.uuid ?? 'unknown'})`.trim(),
  };
  if (pinned) return { system_id: pinned, ...placement };
  const cpus = vm?.cpus;
  const memoryMiB = vm?.minRam !== undefined ? Math.floor(vm.minRam / MIB) : undefined;
  return {
    ...(cpus !== undefined && cpus > 0 ? { cpu_count: cpus } : {}),
    ...(memoryMiB !== undefined && memoryMiB > 0 ? { mem: memoryMiB } : {}),
    ...placement,
  };
}

/** The machine's physical NICs, boot interface first: the order in which CloudStack's NICs are mapped. */
export function machineNics(machine: MaasMachine): MaasInterface[] {
  const boot = machine.boot_interface ?? undefined;
  const physical = (machine.interface_set ?? []).filter((nic) => (nic.type ?? 'physical') === 'physical' && nic.enabled !== false && nic.mac_address);
  const ordered = boot?.mac_address ? [boot, ...physical.filter((nic) => nic.mac_address !== boot.mac_address)] : physical;
  return ordered;
}

/**
 * `prepare`: claims a machine atomically with `op=allocate` (MAAS serialises allocations, so two concurrent
 * prepares never get the same machine), then answers the merge patch CloudStack applies to the instance: the
 * NICs with the machine's MACs (boot interface on the first NIC; each NIC keeps its network `uuid` so the
 * merge by `uuid` matches) and the `External:` details later actions read back.
 */
export const prepare: ActionHandler = async (payload, { deadline }) =>
  withMaas(payload, async (client) => {
    const machine = await client.allocate(allocationConstraints(payload), deadline);
    try {
      return buildPrepareAnswer(client, payload, machine);
    } catch (error) {
      await releaseQuietly(client, machine.system_id);
      throw error;
    }
  });

function buildPrepareAnswer(client: MaasClient, payload: Payload, machine: MaasMachine): JsonObject {
  const interfaces = machineNics(machine);
  const bootMac = interfaces[0]?.mac_address;
  if (!bootMac) throw new ExtensionError(`No MAC address found on MAAS machine ${machine.system_id}`);
  const nics = (payload['cloudstack.vm.details']?.nics ?? []).map((nic, index) => {
    const mac = interfaces[index]?.mac_address;
    return { ...(nic as Record<string, JsonValue>), ...(mac ? { mac } : {}) } as JsonObject;
  });
  return {
    // An empty array would replace CloudStack's NIC list wholesale in the merge, so it is left out.
    ...(nics.length > 0 ? { nics } : {}),
    details: {
      'External:maas_system_id': machine.system_id,
      'External:mac_address': bootMac,
      'External:hostname': machine.hostname,
      'External:console_url': maasMachineUiUrl(client.site, machine.system_id),
    },
  };
}

/** Undo of `allocate`: the machine was never deployed, so there is nothing to erase. */
async function releaseQuietly(client: MaasClient, systemId: string): Promise<void> {
  const budget = Deadline.after(COMPENSATION_BUDGET_MS);
  try {
    await client.release(systemId, { comment: 'extorch: undo allocation after a failed prepare' }, budget);
  } catch {
    // The original error is what the operator needs; the machine stays Allocated and visible in MAAS.
  } finally {
    budget.dispose();
  }
}
