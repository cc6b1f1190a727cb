import { MaasApiError, MaasNodeStatus, maasMachineUiUrl, type MaasClient } from '../../clients/maas/index.ts';
import type { Deadline } from '../../contract/deadline.ts';
import type { ActionHandler } from '../../contract/extension.ts';
import { readReleaseOptions, readSystemId, requireSystemId } from './config.ts';
import { requireMachine, withMaas } from './session.ts';

/**
 * `delete`: `op=release`, erasing the disks unless the `erase` detail says otherwise. A machine MAAS does not
 * know (404) or that is already released counts as deleted; an instance that never got a machine has
 * nothing to release.
 */
export const remove: ActionHandler = async (payload, { deadline }) => {
  const systemId = readSystemId(payload);
  if (!systemId) return { status: 'success', message: 'Instance deleted or not found (no MAAS machine recorded)' };
  return withMaas(payload, async (client) => {
    const options = readReleaseOptions(payload);
    try {
      await client.release(
        systemId,
        { erase: options.erase, ...(options.quickErase ? { quick_erase: true } : {}), ...(options.secureErase ? { secure_erase: true } : {}), comment: `CloudStack instance ${payload.virtualmachinename ?? ''} expunged`.trim() },
        deadline,
      );
    } catch (error) {
      if (!(error instanceof MaasApiError && error.status === 403 && (await isAlreadyReleased(client, systemId, deadline)))) throw error;
    }
    return { status: 'success', message: `Instance deleted or not found (${systemId})`, erase: options.erase };
  });
};

const RELEASED_STATES: readonly number[] = [MaasNodeStatus.READY, MaasNodeStatus.RELEASING, MaasNodeStatus.DISK_ERASING];

/**
 * A MAAS that only lets owners release answers 403 for a machine that is already back in the pool. That is
 * success for `delete`; a machine now owned by another user (invisible, 403 on read too) stays an error.
 */
async function isAlreadyReleased(client: MaasClient, systemId: string, deadline: Deadline): Promise<boolean> {
  try {
    const machine = await client.readMachine(systemId, deadline);
    return machine === undefined || (RELEASED_STATES.includes(machine.status) && !machine.owner);
  } catch {
    return false;
  }
}

/** `getconsole`: MAAS has no remote console API; the machine's page in the MAAS UI is the console. */
export const getconsole: ActionHandler = async (payload, { deadline }) =>
  withMaas(payload, async (client) => {
    const systemId = requireSystemId(payload, 'getconsole');
    await requireMachine(client, systemId, deadline);
    return { status: 'success', console: { url: maasMachineUiUrl(client.site, systemId), protocol: 'direct' } };
  });
