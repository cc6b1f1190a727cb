import { MaasApiError, MaasNodeStatus, type DeployParams, type MaasClient, type MaasMachine } from '../../clients/maas/index.ts';
import { Deadline, DeadlineExceededError } from '../../contract/deadline.ts';
import { ExtensionError, type ActionHandler, type JsonObject } from '../../contract/extension.ts';
import type { Payload } from '../../contract/payload.ts';
import { desiredHostname, readInstanceOption, readReleaseOptions, readUserData, requireSystemId } from './config.ts';
import { COMPENSATION_BUDGET_MS, DEPLOY_POLL_POLICY, describeMachineState, pollUntil, requireMachine, toCloudStackPowerState, withMaas } from './session.ts';

/**
 * Deploy parameters. Without `distro_series` MAAS uses its configured default Ubuntu release (as MAAS's
 * documentation says). MAAS's deploy operation takes the OS inside `distro_series` (`centos/centos8-stream`),
 * so `os` is folded into it; `os` alone is passed as `osystem` for MAAS versions that read it.
 */
export function deployParams(payload: Payload): DeployParams {
  const series = readInstanceOption(payload, 'distro_series');
  const osystem = readInstanceOption(payload, 'os');
  const userData = readUserData(payload);
  const distroSeries = series && osystem && !series.includes('/') ? `${osystem}/${series}` : series;
  return {
    ...(osystem && !series ? { osystem } : {}),
    ...(distroSeries ? { distro_series: distroSeries } : {}),
    ...(userData ? { user_data: userData } : {}),
    comment: `CloudStack instance ${payload.virtualmachinename ?? ''}`.trim(),
  };
}

const WAITING_STATES: readonly number[] = [MaasNodeStatus.DEPLOYING, MaasNodeStatus.ALLOCATED];

/** Waits until the machine leaves Deploying; Deployed is success, anything else is a failed deployment. */
async function waitUntilDeployed(client: MaasClient, systemId: string, deadline: Deadline): Promise<MaasMachine> {
  const machine = await pollUntil(
    DEPLOY_POLL_POLICY,
    deadline,
    () => requireMachine(client, systemId, deadline),
    (m) => !WAITING_STATES.includes(m.status),
  );
  if (machine.status !== MaasNodeStatus.DEPLOYED) {
    throw new ExtensionError(`Deployment of MAAS machine ${systemId} failed: status ${describeMachineState(machine)}`);
  }
  return machine;
}

/**
 * `create`: names the machine, deploys it (`op=deploy`) and waits within the deadline until MAAS reports it
 * Deployed. On failure (Failed deployment, an error, or the deadline) the machine is released again, so it
 * does not stay claimed by an instance CloudStack considers not created.
 */
export const create: ActionHandler = async (payload, { deadline }) =>
  withMaas(payload, async (client) => {
    const systemId = requireSystemId(payload, 'create');
    const current = await requireMachine(client, systemId, deadline);
    if (current.status === MaasNodeStatus.DEPLOYED) return createdAnswer(current, { distro_series: current.distro_series ?? '' });
    const hostname = desiredHostname(payload);
    const params = deployParams(payload);
    try {
      // A machine released by an earlier failed attempt is Ready again: claim it back before renaming it.
      if (current.status === MaasNodeStatus.READY) await client.allocate({ system_id: systemId }, deadline);
      if (hostname && hostname !== current.hostname) await client.updateMachine(systemId, { hostname }, deadline);
      if (current.status !== MaasNodeStatus.DEPLOYING) await client.deploy(systemId, params, deadline);
      const deployed = await waitUntilDeployed(client, systemId, deadline);
      return createdAnswer(deployed, {
        ...(hostname ? { hostname } : {}),
        ...(params.osystem ? { osystem: params.osystem } : {}),
        ...(params.distro_series ? { distro_series: params.distro_series } : {}),
      });
    } catch (error) {
      const message = failureMessage(error, systemId, deadline);
      const undo = await releaseAfterFailure(client, systemId, payload);
      throw new ExtensionError(`${message}${undo}`);
    }
  });

/** Time left under which a failed call counts as the deadline running out (a call's timer may fire first). */
const DEADLINE_SLACK_MS = 250;

function failureMessage(error: unknown, systemId: string, deadline: Deadline): string {
  // Only the invocation's own deadline means "not Deployed in time"; a single slow call keeps its message.
  if (error instanceof DeadlineExceededError || deadline.remainingMs() <= DEADLINE_SLACK_MS || (error instanceof Error && /\(invocation deadline\)/.test(error.message))) {
    return `Timed out waiting for MAAS machine ${systemId} to be Deployed`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Compensation for `create`; returns a note for the error message. */
async function releaseAfterFailure(client: MaasClient, systemId: string, payload: Payload): Promise<string> {
  const budget = Deadline.after(COMPENSATION_BUDGET_MS);
  const options = readReleaseOptions(payload);
  try {
    await client.release(systemId, { erase: options.erase, quick_erase: options.quickErase, secure_erase: options.secureErase, comment: 'extorch: release after a failed deployment' }, budget);
    return '; the machine was released';
  } catch (error) {
    const reason = error instanceof MaasApiError ? `${error.status} ${error.detail}` : (error as Error).message;
    return `; releasing the machine failed too (${reason})`;
  } finally {
    budget.dispose();
  }
}

function createdAnswer(machine: MaasMachine, requested: Record<string, string>): JsonObject {
  return {
    status: 'success',
    message: 'Instance created',
    requested,
    system_id: machine.system_id,
    hostname: machine.hostname,
    ip_addresses: [...(machine.ip_addresses ?? [])],
    power_state: toCloudStackPowerState(machine.power_state),
  };
}
