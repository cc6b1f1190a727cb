// listVirtualMachines: one page of 500 out of N instances (default 25,000), median latency over the signed
// HTTP API (request signed, response parsed by the client), side by side with the same page read straight from
// the orchestrator (the baseline), so the ratio is the API layer's cost (signing, parameter binding, mapping,
// JSON, transfer). Client and server share this process, so its CPU time per call is printed too: on a machine
// shared with other work it varies much less than the wall-clock latency. Instances are bulk-inserted (Running, one NIC each); SQLite, and PostgreSQL in a fresh schema
// when EXTORCH_TEST_DATABASE_URL is set. Usage:
//   node --import tsx bench/api-list-vms.bench.ts [instances] [rounds]
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer } from '../src/api/server.ts';
import { createLogger } from '../src/api/logger.ts';
import { createMetrics } from '../src/metrics/registry.ts';
import { createOrchestrator } from '../src/orchestrator/index.ts';
import type { DatabaseConfig } from '../src/store/config.ts';
import { callSigned } from '../test/helpers/cloudstack-signing.ts';
import { testDatabases } from '../test/helpers/databases.ts';
import { stubProxmoxExtension } from '../test/helpers/extorch-api.ts';
import { insertInstances } from '../test/helpers/bulk-instances.ts';

const INSTANCES = Number(process.argv[2] ?? 25_000);
const ROUNDS = Number(process.argv[3] ?? 30);
const PAGE_SIZE = 500;
const HOSTS = 10;
const WARM_UP_ROUNDS = 3;
const SECRETS = 'bench-secrets-key';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(name: string, database: DatabaseConfig): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'extorch-bench-'));
  const orchestrator = await createOrchestrator({
    database,
    secretsKey: SECRETS,
    extensionsRoot: join(dir, 'extensions'),
    dataRoot: join(dir, 'data'),
    builtinExtensions: { Proxmox: stubProxmoxExtension([]) },
    timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: 0 },
  });
  try {
    const admin = await orchestrator.iam.systemAdmin();
    const keys = await orchestrator.iam.registerUserKeys(admin, admin.userId);
    const { infrastructure, extensions, templates } = orchestrator;
    const proxmox = (await extensions.listExtensions(admin, { name: 'Proxmox' })).items[0]!;
    await extensions.updateExtension(admin, proxmox.id, { state: 'Enabled' });
    const zone = await infrastructure.createZone(admin, { name: 'z', dns1: '8.8.8.8', internalDns1: '10.0.0.2' });
    const pod = await infrastructure.createPod(admin, { name: 'p', zoneId: zone.id });
    const cluster = await infrastructure.addCluster(admin, { name: 'c', zoneId: zone.id, podId: pod.id, hypervisor: 'External', extensionId: proxmox.id });
    for (let i = 0; i < HOSTS; i += 1) {
      await infrastructure.addHost(admin, { zoneId: zone.id, podId: pod.id, clusterId: cluster.id, hypervisor: 'External', url: `https://pve${i}.invalid`, externalDetails: { url: `https://pve${i}.invalid:8006` } });
    }
    await infrastructure.createServiceOffering(admin, { name: 'o', displayText: 'o', cpuNumber: 1, cpuSpeed: 1000, memory: 512 });
    const networkOffering = await infrastructure.createNetworkOffering(admin, { name: 'iso', displayText: 'iso', guestIpType: 'Isolated' });
    const network = await infrastructure.createNetwork(admin, { name: 'n', zoneId: zone.id, networkOfferingId: networkOffering.id, vlan: 100, gateway: '10.0.0.1', netmask: '255.255.0.0' });
    await templates.registerTemplate(admin, { name: 't', displayText: 't', format: 'QCOW2', hypervisor: 'External', url: 'http://x.invalid', zoneId: zone.id, extensionId: proxmox.id });

    const seedStarted = performance.now();
    await insertInstances(database, INSTANCES, { secretsKey: SECRETS, networkId: network.id });
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const server = createApiServer({ orchestrator, logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }) });
    const url = await server.listen(0, '127.0.0.1');
    // The last page: the largest OFFSET, the worst case for the page query.
    const lastPage = Math.max(1, Math.floor(INSTANCES / PAGE_SIZE));
    const apiTimes: number[] = [];
    const directTimes: number[] = [];
    const apiCpu: number[] = [];
    const directCpu: number[] = [];
    const ownTimes: number[] = [];
    const cpuMs = (since: NodeJS.CpuUsage) => {
      const used = process.cpuUsage(since);
      return (used.user + used.system) / 1000;
    };
    let bytes = 0;
    for (let round = -WARM_UP_ROUNDS; round < ROUNDS; round += 1) {
      let cpu = process.cpuUsage();
      let started = performance.now();
      const response = await callSigned(url, keys, { command: 'listVirtualMachines', listall: 'true', page: String(lastPage), pagesize: String(PAGE_SIZE) });
      const apiMs = performance.now() - started;
      const apiCpuMs = cpuMs(cpu);
      if (response.status !== 200) throw new Error(response.text);
      const listed = response.json.listvirtualmachinesresponse as { count?: number; virtualmachine?: unknown[] } | undefined;
      if (listed?.count !== INSTANCES || listed.virtualmachine?.length !== Math.min(PAGE_SIZE, INSTANCES)) throw new Error(`unexpected page: count ${listed?.count}`);
      bytes = response.text.length;
      cpu = process.cpuUsage();
      started = performance.now();
      await orchestrator.instances.list(admin, { listAll: true, page: lastPage, pageSize: PAGE_SIZE });
      const directMs = performance.now() - started;
      const directCpuMs = cpuMs(cpu);
      // The same page scoped to one owner (no listall: the caller's own account, as for every user).
      started = performance.now();
      const own = await callSigned(url, keys, { command: 'listVirtualMachines', page: String(lastPage), pagesize: String(PAGE_SIZE) });
      const ownMs = performance.now() - started;
      if ((own.json.listvirtualmachinesresponse as { count?: number } | undefined)?.count !== INSTANCES) throw new Error(own.text.slice(0, 200));
      if (round < 0) continue;
      ownTimes.push(ownMs);
      apiTimes.push(apiMs);
      directTimes.push(directMs);
      apiCpu.push(apiCpuMs);
      directCpu.push(directCpuMs);
    }
    await server.close();
    const api = median(apiTimes);
    const direct = median(directTimes);
    const load = loadavg().map((value) => value.toFixed(1)).join(' ');
    console.log(`[${name}] ${INSTANCES} instances bulk-inserted in ${seedSeconds.toFixed(1)} s`);
    console.log(
      `[${name}] listVirtualMachines page ${lastPage} of ${PAGE_SIZE}: median ${api.toFixed(1)} ms over HTTP (${(bytes / 1024).toFixed(0)} KiB JSON), ` +
        `${direct.toFixed(1)} ms orchestrator.instances.list; ratio ${(api / direct).toFixed(2)} (median of ${ROUNDS}; load average ${load})`,
    );
    console.log(`[${name}] the same page for the caller's own account (no listall): median ${median(ownTimes).toFixed(1)} ms over HTTP`);
    console.log(`[${name}] CPU time of this process per call: ${median(apiCpu).toFixed(1)} ms over HTTP (client and server), ${median(directCpu).toFixed(1)} ms orchestrator.instances.list`);
  } finally {
    await orchestrator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

for (const database of testDatabases().filter((candidate) => candidate.name !== 'pglite')) {
  const { config, dispose } = await database.create();
  try {
    await measure(database.name, config);
  } finally {
    await dispose();
  }
}
