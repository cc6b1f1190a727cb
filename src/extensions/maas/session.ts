import { MaasClient, type MaasMachine } from '../../clients/maas/index.ts';
import { sleep, type Deadline } from '../../contract/deadline.ts';
import { ExtensionError } from '../../contract/extension.ts';
import type { Payload } from '../../contract/payload.ts';
import { readConnection } from './config.ts';

/** How the extension polls MAAS while it waits for a status or power state (data, not scattered literals). */
export interface PollPolicy {
  /** Delay before the first re-read; 0 re-reads at once (the answer to the action is usually stale). */
  readonly firstDelayMs: number;
  readonly intervalMs: number;
  readonly factor: number;
  readonly maxIntervalMs: number;
}

export const DEPLOY_POLL_POLICY: PollPolicy = { firstDelayMs: 0, intervalMs: 250, factor: 1.5, maxIntervalMs: 10_000 };
export const POWER_POLL_POLICY: PollPolicy = { firstDelayMs: 0, intervalMs: 250, factor: 1.5, maxIntervalMs: 3_000 };

/** Budget for undo steps after a failure: independent of the (possibly spent) invocation deadline. */
export const COMPENSATION_BUDGET_MS = 4_000;

/** Runs `body` with a MaasClient for the payload's connection and closes its sockets afterwards. */
export async function withMaas<T>(payload: Payload, body: (client: MaasClient) => Promise<T>): Promise<T> {
  const connection = readConnection(payload);
  const client = new MaasClient({ site: connection.site, apiKey: connection.apiKey, verifyTls: connection.verifyTls });
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/** Re-reads `probe` with growing intervals until `done` says so; fails with the deadline. */
export async function pollUntil<T>(policy: PollPolicy, deadline: Deadline, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let delayMs = policy.firstDelayMs;
  let interval = policy.intervalMs;
  for (;;) {
    if (delayMs > 0) await sleep(Math.min(delayMs, deadline.remainingMs()), deadline.signal);
    deadline.throwIfExpired();
    const value = await probe();
    if (done(value)) return value;
    delayMs = interval;
    interval = Math.min(interval * policy.factor, policy.maxIntervalMs);
  }
}

/** CloudStack's power vocabulary (compared case-insensitively by CloudStack; the other extensions use lower case). */
export type CloudStackPowerState = 'poweron' | 'poweroff' | 'unknown';

export function toCloudStackPowerState(state: string | undefined): CloudStackPowerState {
  if (state === 'on') return 'poweron';
  if (state === 'off') return 'poweroff';
  return 'unknown';
}

export function describeMachineState(machine: MaasMachine): string {
  const message = machine.status_message ? `: ${machine.status_message}` : '';
  return `'${machine.status_name}'${message}`;
}

export async function requireMachine(client: MaasClient, systemId: string, deadline: Deadline): Promise<MaasMachine> {
  const machine = await client.readMachine(systemId, deadline);
  if (!machine) throw new ExtensionError(`MAAS machine ${systemId} not found`);
  return machine;
}

