/**
 * Cost of the Proxmox extension in-process versus as the spawned executable (`status`, `statuses`), and the
 * executable's end-to-end `status` and cold start versus a bare `node -e ''` spawned the same way. All runs
 * happen in this one process against one emulator, interleaved, and report medians.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HttpClientPool } from '../src/clients/http/pool.ts';
import { Deadline } from '../src/contract/deadline.ts';
import { parsePayload } from '../src/contract/payload.ts';
import { createProxmoxExtension } from '../src/extensions/proxmox/index.ts';
import { createPayload, testUuid } from '../test/helpers/payloads.ts';
import { EmulatorHarness } from '../test/helpers/proxmox.ts';

const EXECUTABLE = resolve('dist/extorch-proxmox.js');
const SPAWN_RUNS = 20;
const IN_PROCESS_RUNS = 300;
/** In-process calls before measuring: both sides (extension and emulator) need a few hundred to be JIT-compiled. */
const WARM_UP_RUNS = 300;
const SEEDED_VMS = 30;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function timeSpawn(command: string, args: readonly string[]): Promise<{ ms: number; code: number | null; stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ ms: performance.now() - started, code, stdout }));
  });
}

const harness = await EmulatorHarness.start({ nodes: ['pve1'] });
const dir = await mkdtemp(join(tmpdir(), 'extorch-bench-'));
const connections = new HttpClientPool();
const extension = createProxmoxExtension({ connections });

async function runInProcess(action: string, payload: unknown): Promise<number> {
  const deadline = Deadline.after(60_000);
  const started = performance.now();
  const result = await extension.run(action, parsePayload(payload), { deadline });
  const elapsed = performance.now() - started;
  deadline.dispose();
  if (!result.success) throw new Error(`${action} failed in-process: ${JSON.stringify(result.output)}`);
  return elapsed;
}

try {
  const host = harness.hostDetails('pve1');
  // One instance deployed through the extension, plus foreign VMs so that `statuses` has a realistic list.
  const uuid = testUuid();
  const instance = createPayload({ uuid, host, virtualmachine: { template_type: 'template', template_id: '9000' }, nics: [{ vlan: 100 }] });
  await runInProcess('create', instance);
  for (let index = 0; index < SEEDED_VMS; index += 1) {
    await harness.addVm({ node: 'pve1', vmid: 2000 + index, name: `seed-${index}`, status: index % 2 === 0 ? 'running' : 'stopped' });
  }
  const statusFile = join(dir, 'status.json');
  await writeFile(statusFile, JSON.stringify(instance), { mode: 0o600 });
  const statusesPayload = createPayload({ host });
  const statusesFile = join(dir, 'statuses.json');
  await writeFile(statusesFile, JSON.stringify({ externaldetails: { host } }), { mode: 0o600 });
  const coldFile = join(dir, 'cold.json');
  await writeFile(coldFile, '{}', { mode: 0o600 });

  // Warm-up: JIT, connection pool, disk cache.
  for (let i = 0; i < WARM_UP_RUNS; i += 1) {
    await runInProcess('status', instance);
    await runInProcess('statuses', statusesPayload);
  }
  await timeSpawn(EXECUTABLE, ['status', statusFile, '60']);
  await timeSpawn(process.execPath, ['-e', '']);

  const inProcess = { status: [] as number[], statuses: [] as number[] };
  for (let i = 0; i < IN_PROCESS_RUNS; i += 1) {
    inProcess.status.push(await runInProcess('status', instance));
    inProcess.statuses.push(await runInProcess('statuses', statusesPayload));
  }
  const spawned = { status: [] as number[], statuses: [] as number[], bare: [] as number[], cold: [] as number[] };
  for (let i = 0; i < SPAWN_RUNS; i += 1) {
    const status = await timeSpawn(EXECUTABLE, ['status', statusFile, '60']);
    if (status.code !== 0) throw new Error(`spawned status failed: ${status.stdout}`);
    spawned.status.push(status.ms);
    const statuses = await timeSpawn(EXECUTABLE, ['statuses', statusesFile, '60']);
    if (statuses.code !== 0) throw new Error(`spawned statuses failed: ${statuses.stdout}`);
    spawned.statuses.push(statuses.ms);
    spawned.bare.push((await timeSpawn(process.execPath, ['-e', ''])).ms);
    // Cold start without network: the payload lacks connection details, so it answers at once (exit 1).
    spawned.cold.push((await timeSpawn(EXECUTABLE, ['status', coldFile, '60'])).ms);
  }

  const m = {
    inStatus: median(inProcess.status),
    inStatuses: median(inProcess.statuses),
    spStatus: median(spawned.status),
    spStatuses: median(spawned.statuses),
    bare: median(spawned.bare),
    cold: median(spawned.cold),
  };
  const rows: Array<[string, string, string]> = [
    ['status: in-process', `${m.inStatus.toFixed(2)} ms`, ''],
    ['status: spawned executable', `${m.spStatus.toFixed(1)} ms`, `${(m.spStatus / m.inStatus).toFixed(0)}× in-process (target ≥ 50×)`],
    ['statuses: in-process', `${m.inStatuses.toFixed(2)} ms`, ''],
    ['statuses: spawned executable', `${m.spStatuses.toFixed(1)} ms`, `${(m.spStatuses / m.inStatuses).toFixed(0)}× in-process`],
    ["bare `node -e ''`", `${m.bare.toFixed(1)} ms`, ''],
    ['executable status end-to-end', `${m.spStatus.toFixed(1)} ms`, `${(m.spStatus / m.bare).toFixed(2)}× bare node (target ≤ 3×)`],
    ['executable cold start (no network)', `${m.cold.toFixed(1)} ms`, `${(m.cold / m.bare).toFixed(2)}× bare node`],
  ];
  console.log(`Proxmox extension, medians (in-process n=${IN_PROCESS_RUNS}, spawned n=${SPAWN_RUNS}), Node ${process.version}`);
  for (const [what, value, ratio] of rows) console.log(`${what.padEnd(38)} ${value.padStart(11)}  ${ratio}`);
} finally {
  connections.closeAll();
  await rm(dir, { recursive: true, force: true });
  await harness.close();
}
