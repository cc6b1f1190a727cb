// The pieces of `extorch sandbox`, started in-process for the UI benchmark (and tests that need the orchestrator
// at hand): the three emulators with zero task times, the orchestrator on a fresh SQLite file with the real
// in-built extensions, and the API server serving the built console at `/`. Unlike the real sandbox it seeds
// nothing of its own: only the console fixture (test/helpers/console-fixture.ts), through the signed API as
// the spawned harness does. The console's end-to-end tests run against the real `extorch sandbox` instead
// (test/helpers/sandbox-process.ts); seeding 1,000 instances for the benchmark is only practical here.
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
import { seedConsoleFixture, type ConsoleFixture } from './console-fixture.ts';
import { signedClient } from './signed-client.ts';

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
  readonly seeded: ConsoleFixture;
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
  const server = createApiServer({ orchestrator, logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }), consoleRoot });
  const apiUrl = await server.listen(0, '127.0.0.1');
  const seeded = await seedConsoleFixture(signedClient(apiUrl, await orchestrator.iam.registerUserKeys(admin, admin.userId)));
  return {
    ui: apiUrl.replace(/client\/api$/, ''),
    apiUrl,
    orchestrator,
    admin,
    proxmox,
    hyperv,
    maas,
    seeded,
    async close() {
      await server.close();
      await orchestrator.close();
      await Promise.all([proxmox.close(), hyperv.close(), maas.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
