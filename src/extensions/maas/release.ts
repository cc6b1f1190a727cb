import { maasMachineUiUrl } from '../../clients/maas/index.ts';
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
    await client.release(
      systemId,
      { erase: options.erase, ...(options.quickErase ? { quick_erase: true } : {}), ...(options.secureErase ? { secure_erase: true } : {}), comment: `CloudStack instance ${payload.virtualmachinename ?? ''} expunged`.trim() },
      deadline,
    );
    return { status: 'success', message: `Instance deleted or not found (${systemId})`, erase: options.erase };
  });
};

/** `getconsole`: MAAS has no remote console API; the machine's page in the MAAS UI is the console. */
export const getconsole: ActionHandler = async (payload, { deadline }) =>
  withMaas(payload, async (client) => {
    const systemId = requireSystemId(payload, 'getconsole');
    await requireMachine(client, systemId, deadline);
    return { status: 'success', console: { url: maasMachineUiUrl(client.site, systemId), protocol: 'direct' } };
  });
