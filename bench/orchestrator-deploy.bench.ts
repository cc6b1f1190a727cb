// Orchestrator figures with the real in-built Proxmox extension against the Proxmox emulator (issue 5 §5):
//  1. deploy N instances across 10 emulated Proxmox nodes (zero task time): instances/s and peak RSS of the
//     orchestrator process, on SQLite and on PostgreSQL (a real server when reachable, else PGlite);
//  2. the same deploys with the in-built Proxmox extension run as the bundled executable (argv contract)
//     versus in-process: ratio;
//  3. one power-sync sweep over the deployed instances with the real extension: `statuses` versus the
//     per-instance `status` fallback (ratio);
//  4. one power-sync sweep over 10,000 instances on 20 emulated nodes (seeded, not deployed): `statuses` versus
//     the `status` fallback, the latter timed over a sample of hosts and extrapolated unless asked for whole.
// The emulator runs in its own process (`extorch emulate proxmox`), and each of the four parts (SQLite,
// PostgreSQL, executable vs in-process, sweep) runs in a fresh process of its own, so each RSS is that run's alone.
// Usage: npm run build && node --import tsx bench/orchestrator-deploy.bench.ts [--deploys 1000] [--executable-deploys 100]
//        [--concurrency 32] [--sweep 0] [--sweep-instances 10000] [--sweep-hosts 20] [--sweep-fallback-hosts 20]
//        [--only sqlite|postgres|executable|sweep]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { Extension } from '../src/contract/extension.ts';
import { proxmoxExtension } from '../src/extensions/proxmox/index.ts';
import { ownershipTag } from '../src/extensions/proxmox/ownership.ts';
import { createOrchestrator, type Caller, type Orchestrator } from '../src/orchestrator/index.ts';
import { builtinExtensions, installBundledExecutables } from '../src/runtime/builtins.ts';
import type { DatabaseConfig } from '../src/store/config.ts';
import { insertInstances, type InsertedInstance } from '../test/helpers/bulk-instances.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const PARTS = ['sqlite', 'postgres', 'executable', 'sweep'] as const;
type Part = (typeof PARTS)[number];
const onlyIndex = args.indexOf('--only');
const ONLY = onlyIndex >= 0 ? (args[onlyIndex + 1] as Part) : undefined;
if (ONLY !== undefined && !PARTS.includes(ONLY)) throw new Error(`--only takes one of ${PARTS.join(', ')}`);
const DEPLOYS = option('deploys', 1000);
const EXECUTABLE_DEPLOYS = option('executable-deploys', 100);
/** Part 4: instances seeded into the store and the emulator, the nodes they are spread over, and how many of those
 * nodes the `status` fallback is timed on (all by default: about 10 s; fewer to sample it and extrapolate). */
const SWEEP_INSTANCES = option('sweep-instances', 10_000);
const SWEEP_HOSTS = option('sweep-hosts', 20);
const SWEEP_FALLBACK_HOSTS = Math.min(option('sweep-fallback-hosts', SWEEP_HOSTS), SWEEP_HOSTS);
const NODES = Array.from({ length: ONLY === 'sweep' ? SWEEP_HOSTS : 10 }, (_, i) => `pve${i + 1}`);
/**
 * Deploys in flight at once. In-process invocations hold the VMIDs they hand out (src/extensions/proxmox/vmids.ts),
 * so concurrent clones no longer collide and concurrency hides the latency of each deploy's requests.
 */
const CONCURRENT_DEPLOYS = option('concurrency', 32);
/** `--sweep 0` leaves out the power-sync sweeps (e.g. to profile deploys alone). */
const SWEEP = option('sweep', 1) !== 0;
const SECRETS_KEY = 'bench-secrets-passphrase';
const POSTGRES_URL = process.env.EXTORCH_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let peakRss = 0;
// Every 50 ms: finer sampling cost a few per cent of the CPU being measured.
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
sampler.unref();

/** Without `--only`: every part in a fresh process of its own (so no run inherits another's heap), then the summary. */
if (ONLY === undefined) {
  // The parts run from an esbuild bundle of this script under plain node, as `dist/extorch.js` runs in production:
  // under tsx, its transpiler and the unbundled modules add about 95 MB to the RSS being measured.
  const bundle = join('.extorch', 'bench', 'orchestrator-deploy.mjs');
  await build({ entryPoints: [fileURLToPath(import.meta.url)], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bundle, logLevel: 'warning' });
  const summary: string[] = [];
  for (const part of SWEEP ? PARTS : PARTS.filter((part) => part !== 'sweep')) {
    const child = spawn(process.execPath, [bundle, ...args, '--only', part], { stdio: ['ignore', 'pipe', 'inherit'] });
    for await (const line of createInterface({ input: child.stdout })) {
      console.log(line);
      if (line.startsWith('[')) summary.push(line);
    }
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
    if (code !== 0) throw new Error(`bench part ${part} exited with ${code}`);
  }
  console.log('\nSummary');
  for (const line of summary) console.log(line);
  process.exit(0);
}

interface EmulatorInfo {
  url: string;
  user: string;
  token: string;
  secret: string;
  nodes: string[];
}

/** CPU time (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

async function startEmulatorProcess(): Promise<{ info: EmulatorInfo; pid: number; stop(): Promise<void> }> {
  // EXTORCH_BENCH_EMULATOR_NODE_ARGS (e.g. `--cpu-prof`) profiles the emulator's side of the run.
  const nodeArgs = (process.env.EXTORCH_BENCH_EMULATOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'dist/extorch.js', 'emulate', 'proxmox', '--port', '0', '--task-ms', '0', '--nodes', NODES.join(',')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  if (first.done) throw new Error('the Proxmox emulator did not start');
  return {
    info: JSON.parse(first.value as string) as EmulatorInfo,
    pid: child.pid!,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function control(info: EmulatorInfo, method: string, path: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    const req = request(new URL(`/_emulator/${path}`, info.url), { method, headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve(body ? (JSON.parse(body) as unknown) : undefined) : reject(new Error(`${path}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Back to the initial cluster (template on pve1, shared storage), between runs. */
async function resetEmulator(info: EmulatorInfo): Promise<void> {
  await control(info, 'POST', 'reset');
}

/** Proxmox API requests served so far (the emulator's own counters), to report requests per deploy. */
async function requestCount(info: EmulatorInfo): Promise<{ total: number; byRoute: Record<string, number> }> {
  return (await control(info, 'GET', 'requests')) as { total: number; byRoute: Record<string, number> };
}

/** The real extension with `statuses` refused, so power sync falls back to per-instance `status`. */
function withoutStatuses(extension: Extension): Extension {
  return {
    name: extension.name,
    actions: extension.actions.filter((action) => action !== 'statuses'),
    defaultTimeoutSeconds: extension.defaultTimeoutSeconds,
    run: (action, payload, options) =>
      action.toLowerCase() === 'statuses' ? Promise.resolve({ success: false, output: { status: 'error', error: 'Invalid action' } }) : extension.run(action, payload, options),
  };
}

interface Database {
  readonly name: string;
  make(): Promise<{ config: DatabaseConfig; dispose(): Promise<void> }>;
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const sqlite: Database = {
  name: 'sqlite',
  async make() {
    const dir = await mkdtemp(join(tmpdir(), 'extorch-bench-db-'));
    return { config: { kind: 'sqlite', file: join(dir, 'extorch.db') }, dispose: () => rm(dir, { recursive: true, force: true }) };
  },
};
const postgres: Database = (await postgresReachable())
  ? {
      name: 'postgresql (server)',
      async make() {
        const schema = `bench_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
        return {
          config: { kind: 'postgres', url: POSTGRES_URL, schema },
          async dispose() {
            const client = new pg.Client({ connectionString: POSTGRES_URL });
            await client.connect();
            await client.query(`drop schema if exists "${schema}" cascade`);
            await client.end();
          },
        };
      },
    }
  : {
      name: 'postgresql (PGlite, no server reachable)',
      async make() {
        const instance = await PGlite.create();
        return { config: { kind: 'pglite', instance }, dispose: () => instance.close() };
      },
    };

interface Bed {
  orchestrator: Orchestrator;
  admin: Caller;
  zoneId: string;
  templateId: string;
  offeringId: string;
  networkId: string;
  close(): Promise<void>;
}

async function setUp(database: DatabaseConfig, emulator: EmulatorInfo, mode: 'in-process' | 'executable' | 'no-statuses', root: string, provision: boolean): Promise<Bed> {
  const extensionsRoot = join(root, 'extensions');
  if (mode === 'executable') await installBundledExecutables(extensionsRoot, ['Proxmox']);
  const builtins = mode === 'executable' ? builtinExtensions({ asExecutable: ['Proxmox'] }) : mode === 'no-statuses' ? { ...builtinExtensions(), Proxmox: withoutStatuses(proxmoxExtension) } : builtinExtensions();
  const orchestrator = await createOrchestrator({
    database,
    secretsKey: SECRETS_KEY,
    extensionsRoot,
    dataRoot: join(root, 'data'),
    builtinExtensions: builtins,
    timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: 0 },
  });
  const admin = await orchestrator.iam.systemAdmin();
  if (!provision) return { orchestrator, admin, zoneId: '', templateId: '', offeringId: '', networkId: '', close: () => orchestrator.close() };
  const { infrastructure, templates, extensions } = orchestrator;
  const extension = (await extensions.listExtensions(admin, { name: 'Proxmox' })).items[0]!;
  await extensions.updateExtension(admin, extension.id, { state: 'Enabled' });
  const zone = await infrastructure.createZone(admin, { name: 'bench', dns1: '8.8.8.8', internalDns1: '10.0.0.2' });
  const pod = await infrastructure.createPod(admin, { name: 'pod', zoneId: zone.id });
  const cluster = await infrastructure.addCluster(admin, { name: 'proxmox', zoneId: zone.id, podId: pod.id, hypervisor: 'External', extensionId: extension.id });
  for (const node of emulator.nodes) {
    await infrastructure.addHost(admin, {
      zoneId: zone.id,
      podId: pod.id,
      clusterId: cluster.id,
      hypervisor: 'External',
      // Host URLs are unique per host; every node is reached through the one emulated API endpoint.
      url: `${emulator.url}/${node}`,
      name: node,
      // The emulator runs in another process: its self-signed certificate is not at hand here.
      externalDetails: { url: emulator.url, user: emulator.user, token: emulator.token, secret: emulator.secret, node, network_bridge: 'vmbr0', verify_tls_certificate: 'false' },
    });
  }
  const offering = await infrastructure.createServiceOffering(admin, { name: 'tiny', displayText: 'tiny', cpuNumber: 1, cpuSpeed: 1000, memory: 512 });
  const networkOffering = await infrastructure.createNetworkOffering(admin, { name: 'vlan', displayText: 'vlan', guestIpType: 'Isolated', specifyVlan: true });
  const network = await infrastructure.createNetwork(admin, { name: 'net', zoneId: zone.id, networkOfferingId: networkOffering.id, vlan: 100, gateway: '10.10.0.1', netmask: '255.255.192.0' });
  const template = await templates.registerTemplate(admin, { name: 'ubuntu', displayText: 'ubuntu', format: 'External', hypervisor: 'External', url: 'http://unused.invalid', zoneId: zone.id, extensionId: extension.id, externalDetails: { template_type: 'template', template_id: '9000' } });
  return { orchestrator, admin, zoneId: zone.id, templateId: template.id, offeringId: offering.id, networkId: network.id, close: () => orchestrator.close() };
}

/** Deploys until `count` succeeded; failures (VMID collisions past the extension's retries) are counted, not fatal. */
const failures: string[] = [];
async function deployMany(bed: Bed, count: number): Promise<number> {
  const started = performance.now();
  let succeeded = 0;
  let launched = 0;
  const worker = async () => {
    while (launched < count + failures.length && failures.length < count) {
      launched += 1;
      const { job } = await bed.orchestrator.instances.deploy(bed.admin, { zoneId: bed.zoneId, templateId: bed.templateId, serviceOfferingId: bed.offeringId, networkIds: [bed.networkId] });
      const done = await bed.orchestrator.jobs.wait(bed.admin, job.id, 300_000);
      if (done.status === 'succeeded') succeeded += 1;
      else failures.push(JSON.stringify(done.error));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_DEPLOYS }, worker));
  return succeeded / ((performance.now() - started) / 1000);
}

/** Result lines start with `[`: the parent process collects them into its summary. */
const report = (line: string) => console.log(line);

/** One power-sync sweep (of the given hosts at once, as `syncAll` sweeps all): seconds, instances reported, how many PowerOn. */
async function timeSweep(orchestrator: Orchestrator, hostIds?: readonly string[]) {
  const started = performance.now();
  const reports = hostIds ? await Promise.all(hostIds.map((hostId) => orchestrator.powerSync.syncHost(hostId))) : await orchestrator.powerSync.syncAll();
  const seconds = (performance.now() - started) / 1000;
  const states = reports.flatMap((r) => Object.values(r.states));
  return { seconds, instances: states.length, poweredOn: states.filter((state) => state === 'PowerOn').length, methods: [...new Set(reports.map((r) => r.method))].join(',') };
}

/** VMIDs of the seeded VMs: from 100000 up, clear of the template (9000) and of what `nextid` hands out. */
const SWEEP_FIRST_VMID = 100_000;

/**
 * Gives every seeded instance its running VM on its host's node, as a deploy would have left it: named after the
 * instance (what `statuses` reports by) and tagged with its UUID (what `status` finds it by).
 */
async function seedEmulatorVms(info: EmulatorInfo, instances: readonly InsertedInstance[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < instances.length) {
      const index = next++;
      const instance = instances[index]!;
      await control(info, 'POST', 'vms', { node: instance.hostName, vmid: SWEEP_FIRST_VMID + index, name: instance.name, status: 'running', tags: ownershipTag(instance.uuid) });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * Part 4: SWEEP_INSTANCES Running instances on SWEEP_HOSTS hosts, seeded straight into the store and the emulator
 * (deploying them takes minutes and is measured by the other parts), then power-sync sweeps with the real extension.
 */
async function sweepPart(info: EmulatorInfo, emulatorPid: number): Promise<void> {
  await resetEmulator(info);
  const made = await sqlite.make();
  const root = await mkdtemp(join(tmpdir(), 'extorch-bench-'));
  try {
    const bed = await setUp(made.config, info, 'in-process', root, true);
    let started = performance.now();
    // Each instance records its VMID as `prepare` would have (`proxmox_vmid`), so `status` looks there first.
    const instances = await insertInstances(made.config, SWEEP_INSTANCES, { secretsKey: SECRETS_KEY, networkId: bed.networkId, detailsOf: (n) => ({ proxmox_vmid: String(SWEEP_FIRST_VMID + n) }) });
    const storeSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    await seedEmulatorVms(info, instances);
    console.log(`  seeded ${SWEEP_INSTANCES} instances on ${SWEEP_HOSTS} hosts: store ${storeSeconds.toFixed(1)} s, emulator VMs ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const expectAllPoweredOn = (sweep: Awaited<ReturnType<typeof timeSweep>>, instances: number) => {
      if (sweep.instances !== instances || sweep.poweredOn !== instances) throw new Error(`sweep reported ${sweep.poweredOn} PowerOn of ${sweep.instances} instances, expected ${instances}`);
    };

    // statuses: the first sweep, then two more (the median of the three is reported).
    const requestsBefore = await requestCount(info);
    const cpuBefore = { orchestrator: process.cpuUsage(), emulator: processCpuMs(emulatorPid) };
    const bulk: Array<Awaited<ReturnType<typeof timeSweep>>> = [];
    for (let i = 0; i < 3; i += 1) bulk.push(await timeSweep(bed.orchestrator));
    const orchestratorCpu = process.cpuUsage(cpuBefore.orchestrator);
    const emulatorCpuMs = (processCpuMs(emulatorPid) ?? NaN) - (cpuBefore.emulator ?? NaN);
    const requests = ((await requestCount(info)).total - requestsBefore.total) / bulk.length;
    for (const sweep of bulk) expectAllPoweredOn(sweep, SWEEP_INSTANCES);
    await bed.close();
    const median = [...bulk].sort((a, b) => a.seconds - b.seconds)[1]!;
    report(
      `[sqlite] power-sync sweep of ${SWEEP_INSTANCES} instances on ${SWEEP_HOSTS} emulated nodes (real extension in-process, ${bulk[0]!.methods}): median ${median.seconds.toFixed(3)} s of 3 (${bulk.map((sweep) => sweep.seconds.toFixed(3)).join(', ')} s), ` +
        `${requests.toFixed(0)} Proxmox API requests per sweep; CPU per sweep: orchestrator process ${((orchestratorCpu.user + orchestratorCpu.system) / 1000 / bulk.length).toFixed(0)} ms, emulator ${(emulatorCpuMs / bulk.length).toFixed(0)} ms`,
    );

    // The status fallback over the hosts of the first SWEEP_FALLBACK_HOSTS nodes, swept at once.
    const fallbackBed = await setUp(made.config, info, 'no-statuses', root, false);
    const sampledNodes = new Set(NODES.slice(0, SWEEP_FALLBACK_HOSTS));
    const sampledHosts = (await fallbackBed.orchestrator.infrastructure.listHosts(fallbackBed.admin, { pageSize: 500 })).items.filter((host) => sampledNodes.has(host.name));
    const fallbackRequestsBefore = await requestCount(info);
    const fallbackCpuBefore = { orchestrator: process.cpuUsage(), emulator: processCpuMs(emulatorPid) };
    const fallback = await timeSweep(fallbackBed.orchestrator, SWEEP_FALLBACK_HOSTS === SWEEP_HOSTS ? undefined : sampledHosts.map((host) => host.id));
    const fallbackOrchestratorCpu = process.cpuUsage(fallbackCpuBefore.orchestrator);
    const fallbackEmulatorCpuMs = (processCpuMs(emulatorPid) ?? NaN) - (fallbackCpuBefore.emulator ?? NaN);
    const fallbackRequests = ((await requestCount(info)).total - fallbackRequestsBefore.total) / fallback.instances;
    const fallbackCpu = `CPU per instance: orchestrator process ${((fallbackOrchestratorCpu.user + fallbackOrchestratorCpu.system) / 1000 / fallback.instances).toFixed(1)} ms, emulator ${(fallbackEmulatorCpuMs / fallback.instances).toFixed(1)} ms`;
    await fallbackBed.close();
    expectAllPoweredOn(fallback, instances.filter((instance) => instance.hostName !== null && sampledNodes.has(instance.hostName)).length);
    const perInstanceMs = (fallback.seconds * 1000) / fallback.instances;
    if (SWEEP_FALLBACK_HOSTS === SWEEP_HOSTS) {
      report(
        `[sqlite] ${fallback.methods} fallback over all ${fallback.instances} instances: ${fallback.seconds.toFixed(1)} s (${perInstanceMs.toFixed(1)} ms per instance, ${fallbackRequests.toFixed(1)} requests per instance; ${fallbackCpu}) → statuses is ${(fallback.seconds / median.seconds).toFixed(0)}× faster`,
      );
    } else {
      const extrapolated = (perInstanceMs * SWEEP_INSTANCES) / 1000;
      report(
        `[sqlite] ${fallback.methods} fallback timed on ${SWEEP_FALLBACK_HOSTS} of ${SWEEP_HOSTS} hosts (${fallback.instances} instances, ${SWEEP_INSTANCES} VMs in the cluster): ${fallback.seconds.toFixed(1)} s = ${perInstanceMs.toFixed(1)} ms per instance, ${fallbackRequests.toFixed(1)} requests per instance; ${fallbackCpu} ` +
          `→ EXTRAPOLATED full sweep of ${SWEEP_INSTANCES}: ${extrapolated.toFixed(0)} s → statuses is ~${(extrapolated / median.seconds).toFixed(0)}× faster (extrapolated)`,
      );
    }
  } finally {
    await made.dispose();
    await rm(root, { recursive: true, force: true });
  }
}

const emulator = await startEmulatorProcess();
try {
  for (const database of ONLY === 'sqlite' ? [sqlite] : ONLY === 'postgres' ? [postgres] : []) {
    await resetEmulator(emulator.info);
    const made = await database.make();
    const root = await mkdtemp(join(tmpdir(), 'extorch-bench-'));
    try {
      const bed = await setUp(made.config, emulator.info, 'in-process', root, true);
      global.gc?.();
      peakRss = process.memoryUsage().rss;
      const requestsBefore = await requestCount(emulator.info);
      const cpuBefore = { orchestrator: process.cpuUsage(), emulator: processCpuMs(emulator.pid) };
      const rate = await deployMany(bed, DEPLOYS);
      const orchestratorCpu = process.cpuUsage(cpuBefore.orchestrator);
      const emulatorCpuMs = (processCpuMs(emulator.pid) ?? NaN) - (cpuBefore.emulator ?? NaN);
      const requestsAfter = await requestCount(emulator.info);
      const perDeploy = (requestsAfter.total - requestsBefore.total) / DEPLOYS;
      report(`[${database.name}] deploy ${DEPLOYS} instances on 10 emulated Proxmox nodes (real extension in-process, zero task time, ${CONCURRENT_DEPLOYS} in flight): ${rate.toFixed(1)} instances/s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB, ${perDeploy.toFixed(1)} Proxmox API requests per deploy`);
      // CPU per deploy does not depend on what else runs on the machine, unlike the rate.
      const orchestratorMs = (orchestratorCpu.user + orchestratorCpu.system) / 1000 / DEPLOYS;
      report(
        `[${database.name}] CPU per deploy: orchestrator process (orchestrator, store, extension) ${orchestratorMs.toFixed(2)} ms, emulator ${(emulatorCpuMs / DEPLOYS).toFixed(2)} ms; ${availableParallelism()} cores → at most ${((availableParallelism() * 1000) / (orchestratorMs + emulatorCpuMs / DEPLOYS)).toFixed(0)} deploys/s if CPU-bound`,
      );
      if (database === sqlite) {
        const routes = Object.entries(requestsAfter.byRoute).map(([route, count]) => [route, (count - (requestsBefore.byRoute[route] ?? 0)) / DEPLOYS] as const).filter(([, count]) => count > 0).sort((a, b) => b[1] - a[1]);
        console.log(`  requests per deploy by route: ${routes.map(([route, count]) => `${route} ${count.toFixed(2)}`).join('; ')}`);
      }

      // Power sync over what was just deployed, with the real extension: statuses, then the status fallback.
      if (SWEEP) {
        const bulk = await timeSweep(bed.orchestrator);
        await bed.close();
        const fallbackBed = await setUp(made.config, emulator.info, 'no-statuses', root, false);
        const fallback = await timeSweep(fallbackBed.orchestrator);
        await fallbackBed.close();
        report(
          `[${database.name}] power-sync sweep of ${bulk.instances} instances on 10 nodes (real extension): ${bulk.methods} ${bulk.seconds.toFixed(3)} s vs ${fallback.methods} fallback ${fallback.seconds.toFixed(3)} s (${fallback.instances} instances) → ${(fallback.seconds / bulk.seconds).toFixed(1)}×`,
        );
      } else {
        await bed.close();
      }
    } finally {
      await made.dispose();
      await rm(root, { recursive: true, force: true });
    }
  }

  // In-process versus the bundled executable, same database kind (SQLite), same emulator, same count.
  const rates: Record<string, number> = {};
  for (const mode of ONLY === 'executable' ? (['in-process', 'executable'] as const) : []) {
    await resetEmulator(emulator.info);
    const made = await sqlite.make();
    const root = await mkdtemp(join(tmpdir(), 'extorch-bench-'));
    try {
      const bed = await setUp(made.config, emulator.info, mode, root, true);
      rates[mode] = await deployMany(bed, EXECUTABLE_DEPLOYS);
      await bed.close();
    } finally {
      await made.dispose();
      await rm(root, { recursive: true, force: true });
    }
  }
  if (ONLY === 'sweep') await sweepPart(emulator.info, emulator.pid);
  if (ONLY === 'executable') {
    report(
      `[sqlite] deploy ${EXECUTABLE_DEPLOYS}: in-built Proxmox as bundled executable ${rates.executable!.toFixed(1)}/s vs in-process ${rates['in-process']!.toFixed(1)}/s → in-process is ${(rates['in-process']! / rates.executable!).toFixed(1)}× faster`,
    );
  }
} finally {
  await emulator.stop();
}
if (failures.length > 0) report(`[${ONLY}] ${failures.length} deploys failed (retried with new instances), e.g. ${failures[0]}`);
