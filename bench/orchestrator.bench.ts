// Orchestrator figures (issue 5 §5), each against its baseline in the same run:
//  1. deploy N instances across 10 hosts with a zero-latency in-process extension: instances/s and peak RSS,
//     on SQLite and PGlite (and PostgreSQL when EXTORCH_TEST_DATABASE_URL is set);
//  2. the same deploys through an executable extension (argv contract) versus in-process: ratio;
//  3. one power-sync sweep over 10,000 instances on 20 hosts: `statuses` versus the per-instance `status` fallback;
//  4. listing a page of 500 out of 25,000 instances: median latency.
// Usage: node --import tsx bench/orchestrator.bench.ts [--deploys 1000] [--sweep 10000] [--list 25000]
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { defineExtension, type JsonObject } from '../src/contract/extension.ts';
import type { Caller } from '../src/orchestrator/caller.ts';
import { createOrchestrator, type Orchestrator } from '../src/orchestrator/orchestrator.ts';
import type { DatabaseConfig } from '../src/store/config.ts';
import { writeTestExtension, TEST_EXTENSION_PATH } from '../test/helpers/test-extension.ts';
import { insertInstances } from '../test/helpers/bulk-instances.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const DEPLOYS = option('deploys', 1000);
const EXECUTABLE_DEPLOYS = option('executable-deploys', 100);
const SWEEP_INSTANCES = option('sweep', 10_000);
const LIST_INSTANCES = option('list', 25_000);
const CONCURRENT_DEPLOYS = 50;
const SECRETS = 'bench-secrets-passphrase';

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
sampler.unref();

/** Zero-latency stand-in for an in-built extension; `statuses` reports every name it was told about. */
function fakeExtension(known: Map<string, string>, withStatuses: boolean) {
  const ok = async (): Promise<JsonObject> => ({ status: 'success' });
  return defineExtension({
    name: 'Proxmox',
    defaultTimeoutSeconds: 60,
    handlers: {
      prepare: async () => ({ details: { proxmox_vmid: String(known.size + 100) } }),
      create: async (payload) => (known.set(payload.virtualmachinename ?? '', 'poweron'), ok()),
      start: ok,
      stop: ok,
      delete: ok,
      status: async () => ({ status: 'success', power_state: 'poweron' }),
      ...(withStatuses ? { statuses: async (): Promise<JsonObject> => ({ status: 'success', power_state: Object.fromEntries(known) }) } : {}),
    },
  });
}

interface Bed {
  orchestrator: Orchestrator;
  admin: Caller;
  config: DatabaseConfig;
  zoneId: string;
  templateId: string;
  offeringId: string;
  networkId: string;
  cleanup(): Promise<void>;
}

async function setUp(database: DatabaseConfig, options: { hosts: number; known: Map<string, string>; withStatuses: boolean; executable: boolean }): Promise<Bed> {
  const root = await mkdtemp(join(tmpdir(), 'extorch-bench-'));
  const extensionsRoot = join(root, 'extensions');
  await writeTestExtension(extensionsRoot);
  const orchestrator = await createOrchestrator({
    database,
    secretsKey: SECRETS,
    extensionsRoot,
    dataRoot: join(root, 'data'),
    builtinExtensions: options.executable ? {} : { Proxmox: fakeExtension(options.known, options.withStatuses) },
    timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: 0 },
    policy: { perHostConcurrency: 64, statusFallbackConcurrency: 8 },
  });
  const admin = await orchestrator.iam.systemAdmin();
  const extensionId = options.executable
    ? (await orchestrator.extensions.createExtension(admin, { name: 'testext', type: 'Orchestrator', path: TEST_EXTENSION_PATH, orchestratorRequiresPrepareVm: true })).id
    : (await orchestrator.extensions.listExtensions(admin, { name: 'Proxmox' })).items[0]?.id ?? '';
  if (!options.executable) await orchestrator.extensions.updateExtension(admin, extensionId, { state: 'Enabled' });
  const { infrastructure, templates } = orchestrator;
  const zone = await infrastructure.createZone(admin, { name: 'z', dns1: '8.8.8.8', internalDns1: '10.0.0.2' });
  const pod = await infrastructure.createPod(admin, { name: 'p', zoneId: zone.id });
  const cluster = await infrastructure.addCluster(admin, { name: 'c', zoneId: zone.id, podId: pod.id, hypervisor: 'External', extensionId });
  for (let i = 0; i < options.hosts; i += 1) {
    await infrastructure.addHost(admin, { zoneId: zone.id, podId: pod.id, clusterId: cluster.id, hypervisor: 'External', url: `https://node${i}`, externalDetails: { url: `https://node${i}`, user: 'u', token: 't', secret: 's', node: `pve${i}` } });
  }
  const offering = await infrastructure.createServiceOffering(admin, { name: 'o', displayText: 'o', cpuNumber: 1, cpuSpeed: 1000, memory: 512 });
  const networkOffering = await infrastructure.createNetworkOffering(admin, { name: 'n', displayText: 'n', guestIpType: 'Isolated' });
  const network = await infrastructure.createNetwork(admin, { name: 'net', zoneId: zone.id, networkOfferingId: networkOffering.id, vlan: 100, gateway: '10.0.0.1', netmask: '255.255.0.0' });
  const template = await templates.registerTemplate(admin, { name: 't', displayText: 't', format: 'External', hypervisor: 'External', url: 'http://x', extensionId, externalDetails: { template_type: 'template', template_id: '1' } });
  return {
    orchestrator,
    admin,
    config: database,
    zoneId: zone.id,
    templateId: template.id,
    offeringId: offering.id,
    networkId: network.id,
    async cleanup() {
      await orchestrator.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function deployMany(bed: Bed, count: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const { job } = await bed.orchestrator.instances.deploy(bed.admin, { zoneId: bed.zoneId, templateId: bed.templateId, serviceOfferingId: bed.offeringId, networkIds: [bed.networkId] });
      const done = await bed.orchestrator.jobs.wait(bed.admin, job.id, 120_000);
      if (done.status !== 'succeeded') throw new Error(`deploy failed: ${JSON.stringify(done.error)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_DEPLOYS }, worker));
  return count / ((performance.now() - started) / 1000);
}

async function databases(): Promise<Array<{ name: string; make(): Promise<{ config: DatabaseConfig; dispose(): Promise<void> }> }>> {
  const list: Array<{ name: string; make(): Promise<{ config: DatabaseConfig; dispose(): Promise<void> }> }> = [
    {
      name: 'sqlite',
      async make() {
        const dir = await mkdtemp(join(tmpdir(), 'extorch-bench-db-'));
        return { config: { kind: 'sqlite', file: join(dir, 'db.sqlite') }, dispose: () => rm(dir, { recursive: true, force: true }) };
      },
    },
    {
      name: 'pglite',
      async make() {
        const instance = await PGlite.create();
        return { config: { kind: 'pglite', instance }, dispose: () => instance.close() };
      },
    },
  ];
  const url = process.env.EXTORCH_TEST_DATABASE_URL;
  if (url) {
    list.push({
      name: 'postgres',
      async make() {
        const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
        return {
          config: { kind: 'postgres', url, schema },
          async dispose() {
            const pg = await import('pg');
            const client = new pg.default.Client({ connectionString: url });
            await client.connect();
            await client.query(`drop schema if exists "${schema}" cascade`);
            await client.end();
          },
        };
      },
    });
  }
  return list;
}

const results: string[] = [];
const report = (line: string) => {
  results.push(line);
  console.log(line);
};

for (const database of await databases()) {
  // 1. in-process deploys
  {
    const made = await database.make();
    const known = new Map<string, string>();
    const bed = await setUp(made.config, { hosts: 10, known, withStatuses: true, executable: false });
    peakRss = process.memoryUsage().rss;
    const rate = await deployMany(bed, DEPLOYS);
    report(`[${database.name}] deploy ${DEPLOYS} instances on 10 hosts (in-process, zero latency): ${rate.toFixed(1)} instances/s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`);

    // 2. executable versus in-process, same database kind, smaller count
    const inProcessRate = await deployMany(bed, EXECUTABLE_DEPLOYS);
    await bed.cleanup();
    await made.dispose();
    const made2 = await database.make();
    const exeBed = await setUp(made2.config, { hosts: 10, known: new Map(), withStatuses: true, executable: true });
    const exeRate = await deployMany(exeBed, EXECUTABLE_DEPLOYS);
    report(`[${database.name}] deploy ${EXECUTABLE_DEPLOYS}: executable (node script, argv contract) ${exeRate.toFixed(1)}/s vs in-process ${inProcessRate.toFixed(1)}/s → in-process is ${(inProcessRate / exeRate).toFixed(1)}× faster`);
    await exeBed.cleanup();
    await made2.dispose();
  }
  // 3. power-sync sweep: statuses versus per-instance status
  {
    for (const withStatuses of [true, false]) {
      const made = await database.make();
      const known = new Map<string, string>();
      const bed = await setUp(made.config, { hosts: 20, known, withStatuses, executable: false });
      await insertInstances(made.config, SWEEP_INSTANCES, { secretsKey: SECRETS, known });
      const started = performance.now();
      const reports = await bed.orchestrator.powerSync.syncAll();
      const seconds = (performance.now() - started) / 1000;
      const states = reports.reduce((sum, r) => sum + Object.keys(r.states).length, 0);
      report(`[${database.name}] power-sync sweep of ${states} instances on 20 hosts via ${withStatuses ? 'statuses' : 'per-instance status (fallback)'}: ${seconds.toFixed(2)} s`);
      await bed.cleanup();
      await made.dispose();
    }
  }
  // 4. list a page of 500 out of N
  {
    const made = await database.make();
    const known = new Map<string, string>();
    const bed = await setUp(made.config, { hosts: 20, known, withStatuses: true, executable: false });
    await insertInstances(made.config, LIST_INSTANCES, { secretsKey: SECRETS, known });
    const timings: number[] = [];
    for (let i = 0; i < 21; i += 1) {
      const started = performance.now();
      const page = await bed.orchestrator.instances.list(bed.admin, { listAll: true, page: 1 + (i % 50), pageSize: 500 });
      timings.push(performance.now() - started);
      if (page.items.length !== 500) throw new Error('short page');
    }
    timings.sort((a, b) => a - b);
    report(`[${database.name}] listVirtualMachines page of 500 out of ${LIST_INSTANCES}: median ${timings[10]?.toFixed(1)} ms`);
    await bed.cleanup();
    await made.dispose();
  }
}
console.log('\nSummary');
for (const line of results) console.log(line);
