// The pieces `extorch sandbox` will run, started in-process for the console's end-to-end tests and the UI
// benchmark: the three emulators, the orchestrator on a fresh SQLite file with the real in-built extensions,
// and the API server serving the built console at `/`. Seeds what the console has no screen for (a service
// offering and a shared VLAN network in one zone/pod, usable by every account), as the sandbox seeds them.
// When `extorch sandbox --json` is on main, `startConsoleSandbox` can spawn it instead and read
// `{apiurl, apikey, secretkey, username, password, ui}` from its first line; the tests only use the fields below.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConsoleRoot } from '../../src/api/console-static.ts';
import { createLogger } from '../../src/api/logger.ts';
import { createApiServer } from '../../src/api/server.ts';
import { startHyperVEmulator, type HyperVEmulator } from '../../src/emulators/hyperv/index.ts';
import { startMaasEmulator, type MaasEmulator } from '../../src/emulators/maas/index.ts';
import { startProxmoxEmulator, type ProxmoxEmulator } from '../../src/emulators/proxmox/index.ts';
import { hypervExtension } from '../../src/extensions/hyperv/index.ts';
import { maasExtension } from '../../src/extensions/maas/index.ts';
import { proxmoxExtension } from '../../src/extensions/proxmox/index.ts';
import { createMetrics } from '../../src/metrics/registry.ts';
import type { Caller } from '../../src/orchestrator/caller.ts';
import { createOrchestrator, type Orchestrator } from '../../src/orchestrator/index.ts';

export const SANDBOX_ADMIN = { username: 'admin', password: 'console-test-password' } as const;

export interface ConsoleSandbox {
  /** The console, e.g. `http://127.0.0.1:41234/`. */
  readonly ui: string;
  readonly apiUrl: string;
  readonly orchestrator: Orchestrator;
  readonly admin: Caller;
  readonly proxmox: ProxmoxEmulator;
  readonly hyperv: HyperVEmulator;
  readonly maas: MaasEmulator;
  readonly seeded: { zoneId: string; zoneName: string; podId: string; offeringId: string; networkId: string };
  close(): Promise<void>;
}

/** `serveConsole: false` starts the API alone (API tests need no built console). */
export async function startConsoleSandbox(options: { maasMachines?: number; serveConsole?: boolean } = {}): Promise<ConsoleSandbox> {
  const consoleRoot = options.serveConsole === false ? undefined : findConsoleRoot();
  if (options.serveConsole !== false && (!consoleRoot || !existsSync(join(consoleRoot, 'index.html')))) throw new Error('The console is not built: run `npm run build` first');
  const dir = await mkdtemp(join(tmpdir(), 'extorch-console-'));
  const [proxmox, hyperv, maas] = await Promise.all([
    startProxmoxEmulator({ nodes: ['pve1'], taskDurationMs: 0 }),
    startHyperVEmulator({}),
    startMaasEmulator({ machines: options.maasMachines ?? 4, stepMs: 0 }),
  ]);
  const orchestrator = await createOrchestrator({
    database: { kind: 'sqlite', file: join(dir, 'extorch.db') },
    secretsKey: 'console-test-secrets-key',
    extensionsRoot: join(dir, 'extensions'),
    dataRoot: join(dir, 'data'),
    adminPassword: SANDBOX_ADMIN.password,
    builtinExtensions: { Proxmox: proxmoxExtension, HyperV: hypervExtension, MaaS: maasExtension },
    timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: 0 },
  });
  const admin = await orchestrator.iam.systemAdmin();
  const zone = await orchestrator.infrastructure.createZone(admin, { name: 'zone1', dns1: '8.8.8.8', internalDns1: '10.0.0.2' });
  const pod = await orchestrator.infrastructure.createPod(admin, { name: 'pod1', zoneId: zone.id });
  const offering = await orchestrator.infrastructure.createServiceOffering(admin, { name: 'small', displayText: 'Small: 1 CPU, 512 MB', cpuNumber: 1, cpuSpeed: 1000, memory: 512 });
  const networkOffering = await orchestrator.infrastructure.createNetworkOffering(admin, { name: 'shared', displayText: 'Shared guest network', guestIpType: 'Shared' });
  const network = await orchestrator.infrastructure.createNetwork(admin, {
    name: 'guest-vlan-1577',
    zoneId: zone.id,
    networkOfferingId: networkOffering.id,
    vlan: 1577,
    // A /22: room for the 1,000 instances of bench/ui.bench.ts.
    gateway: '10.1.0.1',
    netmask: '255.255.252.0',
  });
  const server = createApiServer({ orchestrator, logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }), consoleRoot });
  const apiUrl = await server.listen(0, '127.0.0.1');
  return {
    ui: apiUrl.replace(/client\/api$/, ''),
    apiUrl,
    orchestrator,
    admin,
    proxmox,
    hyperv,
    maas,
    seeded: { zoneId: zone.id, zoneName: zone.name, podId: pod.id, offeringId: offering.id, networkId: network.id },
    async close() {
      await server.close();
      await orchestrator.close();
      await Promise.all([proxmox.close(), hyperv.close(), maas.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
