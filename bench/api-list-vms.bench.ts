// listVirtualMachines: one page of 500 out of N instances (default 25,000), median latency over the signed
// HTTP API, side by side with the same page read straight from the orchestrator (the baseline), so the ratio
// is the API layer's cost (signing, parameter binding, mapping, JSON). Usage:
//   node --import tsx bench/api-list-vms.bench.ts [instances] [rounds]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiServer } from '../src/api/server.ts';
import { createLogger } from '../src/api/logger.ts';
import { createMetrics } from '../src/metrics/registry.ts';
import { createOrchestrator } from '../src/orchestrator/index.ts';
import { callSigned } from '../test/helpers/cloudstack-signing.ts';
import { stubProxmoxExtension } from '../test/helpers/extorch-api.ts';

const INSTANCES = Number(process.argv[2] ?? 25_000);
const ROUNDS = Number(process.argv[3] ?? 30);
const PAGE_SIZE = 500;
const SEED_CONCURRENCY = 16;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dir = await mkdtemp(join(tmpdir(), 'extorch-bench-'));
const orchestrator = await createOrchestrator({
  database: { kind: 'sqlite', file: join(dir, 'extorch.db') },
  secretsKey: 'bench-secrets-key',
  extensionsRoot: join(dir, 'extensions'),
  dataRoot: join(dir, 'data'),
  builtinExtensions: { Proxmox: stubProxmoxExtension([]) },
  timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: 0 },
});
try {
  const admin = await orchestrator.iam.systemAdmin();
  const keys = await orchestrator.iam.registerUserKeys(admin, admin.userId);
  const proxmox = (await orchestrator.extensions.listExtensions(admin, { name: 'Proxmox' })).items[0]!;
  await orchestrator.extensions.updateExtension(admin, proxmox.id, { state: 'Enabled' });
  const zone = await orchestrator.infrastructure.createZone(admin, { name: 'z', dns1: '8.8.8.8', internalDns1: '10.0.0.2' });
  const pod = await orchestrator.infrastructure.createPod(admin, { name: 'p', zoneId: zone.id });
  const cluster = await orchestrator.infrastructure.addCluster(admin, { name: 'c', zoneId: zone.id, podId: pod.id, hypervisor: 'External', extensionId: proxmox.id });
  await orchestrator.infrastructure.addHost(admin, { zoneId: zone.id, podId: pod.id, clusterId: cluster.id, hypervisor: 'External', url: 'https://pve.invalid', externalDetails: { url: 'https://pve.invalid:8006' } });
  const offering = await orchestrator.infrastructure.createServiceOffering(admin, { name: 'o', displayText: 'o', cpuNumber: 1, cpuSpeed: 1000, memory: 512 });
  const networkOffering = await orchestrator.infrastructure.createNetworkOffering(admin, { name: 'l2', displayText: 'l2', guestIpType: 'L2' });
  const network = await orchestrator.infrastructure.createNetwork(admin, { name: 'n', zoneId: zone.id, networkOfferingId: networkOffering.id, vlan: 100, gateway: '10.0.0.1', netmask: '255.255.0.0' });
  const template = await orchestrator.templates.registerTemplate(admin, { name: 't', displayText: 't', format: 'QCOW2', hypervisor: 'External', url: 'http://x.invalid', zoneId: zone.id, extensionId: proxmox.id });

  const seedStarted = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: SEED_CONCURRENCY }, async () => {
      while (next < INSTANCES) {
        next += 1;
        await orchestrator.instances.deploy(admin, { zoneId: zone.id, templateId: template.id, serviceOfferingId: offering.id, networkIds: [network.id], startVm: false });
      }
    }),
  );
  const seedSeconds = (Date.now() - seedStarted) / 1000;

  const server = createApiServer({ orchestrator, logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }) });
  const url = await server.listen(0, '127.0.0.1');
  const lastPage = String(Math.max(1, Math.floor(INSTANCES / PAGE_SIZE)));
  const apiTimes: number[] = [];
  const directTimes: number[] = [];
  let bytes = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    let started = process.hrtime.bigint();
    const response = await callSigned(url, keys, { command: 'listVirtualMachines', listall: 'true', page: lastPage, pagesize: String(PAGE_SIZE) });
    apiTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (response.status !== 200) throw new Error(response.text);
    bytes = response.text.length;
    started = process.hrtime.bigint();
    await orchestrator.instances.list(admin, { listAll: true, page: Number(lastPage), pageSize: PAGE_SIZE });
    directTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await server.close();
  const api = median(apiTimes);
  const direct = median(directTimes);
  console.log(`instances seeded: ${INSTANCES} in ${seedSeconds.toFixed(1)} s (${(INSTANCES / seedSeconds).toFixed(0)}/s, deploy without start)`);
  console.log(`listVirtualMachines page ${lastPage} of ${PAGE_SIZE}: median ${api.toFixed(1)} ms over HTTP (${(bytes / 1024).toFixed(0)} KiB JSON), ${direct.toFixed(1)} ms orchestrator.instances.list; ratio ${(api / direct).toFixed(2)}`);
} finally {
  await orchestrator.close();
  await rm(dir, { recursive: true, force: true });
}
