import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrchestrator } from '../../src/orchestrator/orchestrator.ts';
import type { Orchestrator, OrchestratorConfig } from '../../src/orchestrator/orchestrator.ts';
import type { Caller } from '../../src/orchestrator/caller.ts';
import type { DatabaseConfig } from '../../src/store/config.ts';
import { TEST_EXTENSION_PATH, writeTestExtension, type TestExtensionFiles } from './test-extension.ts';

export const TEST_SECRETS_KEY = 'a-test-passphrase-for-secrets';

export interface TestBed {
  readonly orchestrator: Orchestrator;
  readonly admin: Caller;
  readonly extensionsRoot: string;
  readonly dataRoot: string;
  readonly extension: TestExtensionFiles;
  readonly config: OrchestratorConfig;
  /** Reopens the orchestrator on the same database and directories (after `close`). */
  reopen(overrides?: Partial<OrchestratorConfig>): Promise<Orchestrator>;
  dispose(): Promise<void>;
}

export async function createTestBed(database: DatabaseConfig, overrides: Partial<OrchestratorConfig> = {}): Promise<TestBed> {
  const root = await mkdtemp(join(tmpdir(), 'extorch-orch-'));
  const extensionsRoot = join(root, 'extensions');
  const dataRoot = join(root, 'data');
  const extension = await writeTestExtension(extensionsRoot);
  const config: OrchestratorConfig = {
    database,
    secretsKey: TEST_SECRETS_KEY,
    extensionsRoot,
    dataRoot,
    timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: 0, powerReportGraceMs: 120_000 },
    ...overrides,
  };
  const orchestrator = await createOrchestrator(config);
  const admin = await orchestrator.iam.systemAdmin();
  let current = orchestrator;
  return {
    orchestrator,
    admin,
    extensionsRoot,
    dataRoot,
    extension,
    config,
    async reopen(more = {}) {
      current = await createOrchestrator({ ...config, ...more });
      return current;
    },
    async dispose() {
      await current.close().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface Infrastructure {
  readonly extensionId: string;
  readonly zoneId: string;
  readonly podId: string;
  readonly clusterId: string;
  readonly hostIds: string[];
  readonly offeringId: string;
  readonly networkId: string;
  readonly templateId: string;
}

/** The documented admin workflow: extension → zone/pod → External cluster → hosts → offering → network → template. */
export async function provision(
  orchestrator: Orchestrator,
  admin: Caller,
  options: { extensionId?: string; hosts?: number; hostDetails?: Record<string, string>; templateDetails?: Record<string, string> } = {},
): Promise<Infrastructure> {
  const extensionId =
    options.extensionId ??
    (
      await orchestrator.extensions.createExtension(admin, {
        name: 'testext',
        type: 'Orchestrator',
        path: TEST_EXTENSION_PATH,
        orchestratorRequiresPrepareVm: true,
        details: { region: 'lab' },
      })
    ).id;
  const zone = await orchestrator.infrastructure.createZone(admin, { name: 'zone1', dns1: '8.8.8.8', internalDns1: '10.0.0.2' });
  const pod = await orchestrator.infrastructure.createPod(admin, { name: 'pod1', zoneId: zone.id });
  const cluster = await orchestrator.infrastructure.addCluster(admin, {
    name: 'cluster1',
    zoneId: zone.id,
    podId: pod.id,
    hypervisor: 'External',
    extensionId,
    externalDetails: { site: 'dc1' },
  });
  const hostIds: string[] = [];
  for (let i = 0; i < (options.hosts ?? 1); i += 1) {
    const host = await orchestrator.infrastructure.addHost(admin, {
      zoneId: zone.id,
      podId: pod.id,
      clusterId: cluster.id,
      hypervisor: 'External',
      url: `https://node${i}.example.test:8006`,
      externalDetails: { url: `https://node${i}.example.test`, user: 'root@pam', secret: `very-secret-${i}`, node: `pve${i}`, ...options.hostDetails },
    });
    hostIds.push(host.id);
  }
  const offering = await orchestrator.infrastructure.createServiceOffering(admin, {
    name: 'tiny',
    displayText: 'tiny',
    cpuNumber: 2,
    cpuSpeed: 1000,
    memory: 512,
    externalDetails: { storage: 'fast' },
  });
  const networkOffering = await orchestrator.infrastructure.createNetworkOffering(admin, { name: 'l2', displayText: 'l2', guestIpType: 'Isolated' });
  const network = await orchestrator.infrastructure.createNetwork(admin, {
    name: 'net1',
    zoneId: zone.id,
    networkOfferingId: networkOffering.id,
    vlan: 1577,
    gateway: '10.1.1.1',
    netmask: '255.255.255.0',
  });
  const template = await orchestrator.templates.registerTemplate(admin, {
    name: 'tpl',
    displayText: 'tpl',
    format: 'External',
    hypervisor: 'External',
    url: 'http://dummy',
    zoneId: zone.id,
    extensionId,
    externalDetails: options.templateDetails ?? { template_type: 'template', template_id: '101' },
    isPublic: true,
  });
  return {
    extensionId,
    zoneId: zone.id,
    podId: pod.id,
    clusterId: cluster.id,
    hostIds,
    offeringId: offering.id,
    networkId: network.id,
    templateId: template.id,
  };
}
