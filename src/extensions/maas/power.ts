import type { MaasClient } from '../../clients/maas/index.ts';
import type { Deadline } from '../../contract/deadline.ts';
import { ExtensionError, type ActionHandler, type JsonObject } from '../../contract/extension.ts';
import { requireSystemId } from './config.ts';
import { POWER_POLL_POLICY, pollUntil, toCloudStackPowerState, withMaas, type CloudStackPowerState } from './session.ts';

/**
 * Waits until the BMC reports `target`. A machine whose power driver cannot tell (`unknown`, e.g. manual
 * power) cannot be confirmed, so the wait ends there instead of running into the deadline.
 */
async function waitForPower(client: MaasClient, systemId: string, target: 'on' | 'off', deadline: Deadline): Promise<string> {
  const state = await pollUntil(
    POWER_POLL_POLICY,
    deadline,
    () => client.queryPowerState(systemId, deadline),
    (value) => value === target || value === 'unknown' || value === 'error',
  );
  if (state === 'error') throw new ExtensionError(`MAAS reports a power error for machine ${systemId}`);
  return state;
}

function powerAnswer(state: CloudStackPowerState, message?: string): JsonObject {
  return { status: 'success', power_state: state, ...(message ? { message } : {}) };
}

export const start: ActionHandler = async (payload, { deadline }) =>
  withMaas(payload, async (client) => {
    const systemId = requireSystemId(payload, 'start');
    await client.powerOn(systemId, deadline);
    return powerAnswer(toCloudStackPowerState(await waitForPower(client, systemId, 'on', deadline)));
  });

export const stop: ActionHandler = async (payload, { deadline }) =>
  withMaas(payload, async (client) => {
    const systemId = requireSystemId(payload, 'stop');
    if (!(await client.readMachine(systemId, deadline))) return powerAnswer('poweroff', `Instance not found (${systemId})`);
    await client.powerOff(systemId, deadline);
    return powerAnswer(toCloudStackPowerState(await waitForPower(client, systemId, 'off', deadline)));
  });

/** Power off, wait until the BMC says off, power on: a cold reboot (MAAS has no reboot operation). */
export const reboot: ActionHandler = async (payload, { deadline }) =>
  withMaas(payload, async (client) => {
    const systemId = requireSystemId(payload, 'reboot');
    await client.powerOff(systemId, deadline);
    await waitForPower(client, systemId, 'off', deadline);
    await client.powerOn(systemId, deadline);
    return powerAnswer(toCloudStackPowerState(await waitForPower(client, systemId, 'on', deadline)), 'Reboot completed');
  });

/** `status`: asks the BMC through MAAS (`GET …?op=query_power_state`). */
export const status: ActionHandler = async (payload, { deadline }) =>
  withMaas(payload, async (client) => {
    const systemId = requireSystemId(payload, 'status');
    return powerAnswer(toCloudStackPowerState(await client.queryPowerState(systemId, deadline)));
  });

/**
 * The name CloudStack knows for a machine's hostname. DNS names are case-insensitive and a MAAS may store
 * `i-2-45-vm`; CloudStack's default internal names end in upper-case `VM`, so that form is restored.
 */
export function instanceNameOf(hostname: string): string {
  const match = /^i-(\d+)-(\d+)-vm$/.exec(hostname);
  return match ? `i-${match[1]}-${match[2]}-VM` : hostname;
}

/**
 * `statuses`: every machine allocated to this API key in one call (`op=list_allocated`), keyed by hostname.
 * `create` names each machine after the instance (`vm_name`, else its internal name), so the keys are names
 * CloudStack knows. The power state is MAAS's last known one, which is what makes one call enough.
 */
export const statuses: ActionHandler = async (payload, { deadline }) =>
  withMaas(payload, async (client) => {
    const machines = await client.listAllocated(deadline);
    const states: Record<string, CloudStackPowerState> = {};
    for (const machine of machines) states[instanceNameOf(machine.hostname)] = toCloudStackPowerState(machine.power_state);
    return { status: 'success', power_state: states };
  });
