// Several orchestrator nodes on one database (ADR 0064), against one node in the same run:
//  deploy N instances with a zero-latency in-process extension, 50 in flight, all through one node versus
//  split over two nodes sharing the database (each job takes its instance lock in the `locks` table, heartbeats
//  run every 100 ms). PostgreSQL when EXTORCH_TEST_DATABASE_URL is set, else PGlite.
// Usage: node --import tsx bench/multinode.bench.ts [--deploys 400]
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { defineExtension, type JsonObject } from '../src/contract/extension.ts';
import { createOrchestrator, type Orchestrator, type OrchestratorConfig } from '../src/orchestrator/orchestrator.ts';
import type { DatabaseConfig } from '../src/store/config.ts';

const args = process.argv.slice(2);
const deploysAt = args.indexOf('--deploys');
const DEPLOYS = deploysAt >= 0 ? Number(args[deploysAt + 1]) : 400;
const IN_FLIGHT = 50;
const HOSTS = 10;

const succeed = async (): Promise<JsonObject> => ({ status: 'success' });
const standIn = defineExtension({
  name: 'Proxmox',
  defaultTimeoutSeconds: 60,
  handlers: { prepare: async () => ({ details: {} }), create: succeed, start: succeed, stop: succeed, delete: succeed, status: async () => ({ status: 'success', power_state: 'poweron' }) },
});

interface Deployable {
  readonly zoneId: string;
  readonly templateId: string;
  readonly serviceOfferingId: string;
  readonly networkIds: string[];
}

async function provision(orchestrator: Orchestrator): Promise<Deployable> {
  const admin = await orchestrator.iam.systemAdmin();
  const extensionId = (await orchestrator.extensions.listExtensions(admin, { name: 'Proxmox' })).items[0]?.id ?? '';
  await orchestrator.extensions.updateExtension(admin, extensionId, { state: 'Enabled' });
  const { infrastructure } = orchestrator;
  const zone = await infrastructure.createZone(admin, { name: 'z', dns1: '8.8.8.8', internalDns1: '10.0.0.2' });
  const pod = await infrastructure.createPod(admin, { name: 'p', zoneId: zone.id });
  const cluster = await infrastructure.addCluster(admin, { name: 'c', zoneId: zone.id, podId: pod.id, hypervisor: 'External', extensionId });
  for (let i = 0; i < HOSTS; i += 1) {
    await infrastructure.addHost(admin, { zoneId: zone.id, podId: pod.id, clusterId: cluster.id, hypervisor: 'External', url: `https://node${i}`, externalDetails: { node: `pve${i}` } });
  }
  const offering = await infrastructure.createServiceOffering(admin, { name: 'o', displayText: 'o', cpuNumber: 1, cpuSpeed: 1000, memory: 512 });
  const networkOffering = await infrastructure.createNetworkOffering(admin, { name: 'n', displayText: 'n', guestIpType: 'Isolated' });
  const network = await infrastructure.createNetwork(admin, { name: 'net', zoneId: zone.id, networkOfferingId: networkOffering.id, vlan: 100, gateway: '10.0.0.1', netmask: '255.255.0.0' });
  const template = await orchestrator.templates.registerTemplate(admin, { name: 't', displayText: 't', format: 'External', hypervisor: 'External', url: 'http://x', extensionId, externalDetails: { template_id: '1' } });
  return { zoneId: zone.id, templateId: template.id, serviceOfferingId: offering.id, networkIds: [network.id] };
}

/** Deploys `count` instances, `IN_FLIGHT` at a time dealt round-robin over `nodes`; instances per second. */
async function deployOver(nodes: readonly Orchestrator[], input: Deployable, count: number): Promise<number> {
  const admin = await nodes[0]!.iam.systemAdmin();
  const started = performance.now();
  let next = 0;
  const worker = async (node: Orchestrator) => {
    while (next < count) {
      next += 1;
      const { job } = await node.instances.deploy(admin, input);
      const done = await node.jobs.wait(admin, job.id, 120_000);
      if (done.status !== 'succeeded') throw new Error(`deploy failed: ${JSON.stringify(done.error)}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, index) => worker(nodes[index % nodes.length]!)));
  return count / ((performance.now() - started) / 1000);
}

async function database(): Promise<{ name: string; config: DatabaseConfig; dispose(): Promise<void> }> {
  const url = process.env.EXTORCH_TEST_DATABASE_URL?.trim();
  if (!url) {
    const instance = await PGlite.create();
    return { name: 'PGlite', config: { kind: 'pglite', instance }, dispose: () => instance.close() };
  }
  const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  return {
    name: 'PostgreSQL',
    config: { kind: 'postgres', url, schema },
    async dispose() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    },
  };
}

async function run(nodeCount: number): Promise<{ name: string; rate: number }> {
  const db = await database();
  const root = await mkdtemp(join(tmpdir(), 'extorch-multinode-bench-'));
  const config: OrchestratorConfig = {
    database: db.config,
    secretsKey: 'bench-secrets-passphrase',
    extensionsRoot: join(root, 'extensions'),
    dataRoot: join(root, 'data'),
    builtinExtensions: { Proxmox: standIn },
    timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: 0, nodeHeartbeatIntervalMs: 100 },
    policy: { perHostConcurrency: 64 },
  };
  const nodes: Orchestrator[] = [];
  try {
    for (let index = 0; index < nodeCount; index += 1) nodes.push(await createOrchestrator({ ...config, nodeName: `bench-${index}` }));
    const input = await provision(nodes[0]!);
    await deployOver(nodes, input, Math.min(50, DEPLOYS)); // warm-up
    return { name: db.name, rate: await deployOver(nodes, input, DEPLOYS) };
  } finally {
    for (const node of nodes) await node.close();
    await db.dispose();
    await rm(root, { recursive: true, force: true });
  }
}

const one = await run(1);
const two = await run(2);
process.stdout.write(`${one.name}, ${DEPLOYS} deploys, ${IN_FLIGHT} in flight, in-process stand-in extension\n`);
process.stdout.write(`  one node:  ${one.rate.toFixed(1)}/s\n`);
process.stdout.write(`  two nodes: ${two.rate.toFixed(1)}/s (ratio two/one ${(two.rate / one.rate).toFixed(2)})\n`);
