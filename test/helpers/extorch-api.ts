// A running extorch API for tests: real orchestrator on a fresh SQLite file, real HTTP on 127.0.0.1:0, an admin
// API key pair, and an in-process stand-in for the Proxmox extension that keeps VM power states in memory
// (the API tests are about the API; the real extensions have their own tests against the emulators).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer } from '../../src/api/server.ts';
import { createLogger } from '../../src/api/logger.ts';
import { defineExtension, ExtensionError, type Extension } from '../../src/contract/extension.ts';
import { observeInvocations } from '../../src/metrics/instrument.ts';
import { createMetrics, type ExtorchMetrics } from '../../src/metrics/registry.ts';
import { createOrchestrator, type Orchestrator } from '../../src/orchestrator/index.ts';

export interface RunningApi {
  url: string;
  keys: { apiKey: string; secretKey: string };
  orchestrator: Orchestrator;
  metrics: ExtorchMetrics;
  /** Action names the stand-in extension was called with, in order. */
  calls: string[];
  close(): Promise<void>;
}

export function stubProxmoxExtension(calls: string[]): Extension {
  const power = new Map<string, 'PowerOn' | 'PowerOff'>();
  const record = (action: string) => async (payload: { virtualmachinename?: string }) => {
    calls.push(action);
    const name = payload.virtualmachinename ?? '?';
    if (action === 'start' || action === 'create' || action === 'reboot') power.set(name, 'PowerOn');
    if (action === 'stop') power.set(name, 'PowerOff');
    if (action === 'delete') power.delete(name);
    return { status: 'success', message: `${action} ${name}` };
  };
  return defineExtension({
    name: 'Proxmox',
    defaultTimeoutSeconds: 60,
    handlers: {
      prepare: record('prepare'),
      create: record('create'),
      start: record('start'),
      stop: record('stop'),
      reboot: record('reboot'),
      delete: record('delete'),
      status: async (payload) => {
        calls.push('status');
        return { status: 'success', power_state: power.get(payload.virtualmachinename ?? '') ?? 'PowerOff' };
      },
      statuses: async () => {
        calls.push('statuses');
        return { status: 'success', power_state: Object.fromEntries(power) };
      },
      listsnapshots: async (payload) => {
        calls.push('ListSnapshots');
        return { status: 'success', printmessage: 'true', message: [{ name: 'snap1', vm: payload.virtualmachinename ?? '?' }] };
      },
      createsnapshot: async (payload) => {
        calls.push('CreateSnapshot');
        const parameters = (payload as { parameters?: Record<string, unknown> }).parameters ?? {};
        if (parameters.snap_name === 'explode') throw new ExtensionError('snapshot storage full');
        return { status: 'success', message: `created ${String(parameters.snap_name)}` };
      },
    },
  });
}

export async function startExtorchApi(): Promise<RunningApi> {
  const dir = await mkdtemp(join(tmpdir(), 'extorch-api-'));
  const calls: string[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  const orchestrator = await createOrchestrator({
    database: { kind: 'sqlite', file: join(dir, 'extorch.db') },
    secretsKey: 'api-test-secrets-key',
    extensionsRoot: join(dir, 'extensions'),
    dataRoot: join(dir, 'data'),
    builtinExtensions: { Proxmox: stubProxmoxExtension(calls) },
    onInvocation: observeInvocations(metrics),
    timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: 0 },
  });
  const admin = await orchestrator.iam.systemAdmin();
  const keys = await orchestrator.iam.registerUserKeys(admin, admin.userId);
  const server = createApiServer({ orchestrator, logger: createLogger({ level: 'silent' }), metrics });
  const url = await server.listen(0, '127.0.0.1');
  return {
    url,
    keys,
    orchestrator,
    metrics,
    calls,
    async close() {
      await server.close();
      await orchestrator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
