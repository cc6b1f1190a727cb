/**
 * MAAS benchmarks against the emulator (zero step times, so only orchestration overhead is measured):
 *  1. a full deploy cycle prepare → create → delete, in-process and through the spawned executable;
 *  2. `statuses` over 1,000 machines versus 1,000 `status` calls (CloudStack's per-VM fallback), as a ratio.
 * Run: npm run build && node --import tsx bench/maas.bench.ts   (MAAS_BENCH_SPAWNED_STATUS=N to change the
 * number of spawned `status` processes; default 1000).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MaasClient, parseMaasApiKey, parseMaasEndpoint } from '../src/clients/maas/index.ts';
import { Deadline } from '../src/contract/deadline.ts';
import type { ExtensionResult } from '../src/contract/extension.ts';
import { parsePayload, type Payload } from '../src/contract/payload.ts';
import { startMaasEmulator } from '../src/emulators/maas/index.ts';
import { maasExtension } from '../src/extensions/maas/index.ts';
import { createPayload } from '../test/helpers/payloads.ts';

const EXECUTABLE = resolve('dist/extorch-maas.js');
const CYCLES = 20;
const FLEET = 1_000;
const SPAWNED_STATUS = Number(process.env.MAAS_BENCH_SPAWNED_STATUS ?? FLEET);

const dir = await mkdtemp(join(tmpdir(), 'maas-bench-'));
let fileCounter = 0;

async function runInProcess(action: string, payload: Payload): Promise<ExtensionResult> {
  const deadline = Deadline.after(60_000);
  try {
    const result = await maasExtension.run(action, payload, { deadline });
    if (!result.success) throw new Error(`${action}: ${JSON.stringify(result.output)}`);
    return result;
  } finally {
    deadline.dispose();
  }
}

async function runSpawned(action: string, payload: unknown): Promise<Record<string, unknown>> {
  const file = join(dir, `p${(fileCounter += 1)}.json`);
  await writeFile(file, JSON.stringify(payload));
  return new Promise((resolvePromise, reject) => {
    execFile(EXECUTABLE, [action, file, '600'], (error, stdout) => (error ? reject(new Error(`${action}: ${stdout}`)) : resolvePromise(JSON.parse(stdout) as Record<string, unknown>)));
  });
}

function withPrepareAnswer(base: ReturnType<typeof createPayload>, details: Record<string, string>): ReturnType<typeof createPayload> {
  const vm = base['cloudstack.vm.details'] as { details: Record<string, string> };
  const external = Object.fromEntries(Object.entries(details).map(([k, v]) => [k.replace(/^External:/, ''), v]));
  return { ...base, externaldetails: { ...(base.externaldetails as object), virtualmachine: external }, 'cloudstack.vm.details': { ...base['cloudstack.vm.details'], details: { ...vm.details, ...details } } };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

// ---- 1. deploy cycle ----
{
  const emulator = await startMaasEmulator({ port: 0, machines: 4, stepMs: 0 });
  const host = { endpoint: emulator.endpoint, apikey: emulator.apikey };
  const inProcess: number[] = [];
  const spawned: number[] = [];
  for (let i = 0; i < CYCLES; i += 1) {
    const base = createPayload({ host, internalName: `i-2-${i}-VM`, virtualmachine: { erase: 'false' } });
    let started = performance.now();
    const prepared = await runInProcess('prepare', parsePayload(base));
    const deployed = parsePayload(withPrepareAnswer(base, prepared.output.details as Record<string, string>));
    await runInProcess('create', deployed);
    await runInProcess('delete', deployed);
    inProcess.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 5)); // let the release finish (zero step time)

    started = performance.now();
    const preparedOut = await runSpawned('prepare', base);
    const deployedPayload = withPrepareAnswer(base, preparedOut.details as Record<string, string>);
    await runSpawned('create', deployedPayload);
    await runSpawned('delete', deployedPayload);
    spawned.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 5));
  }
  console.log(`deploy cycle prepare→create→delete, zero step times, median of ${CYCLES}:`);
  console.log(`  in-process (orchestration only): ${fmt(median(inProcess))}`);
  console.log(`  spawned executable (3 processes): ${fmt(median(spawned))}  (${(median(spawned) / median(inProcess)).toFixed(1)}× in-process: process start-up)`);
  await emulator.close();
}

// ---- 2. statuses vs status over 1,000 machines ----
{
  const emulator = await startMaasEmulator({ port: 0, machines: FLEET, stepMs: 0 });
  const host = { endpoint: emulator.endpoint, apikey: emulator.apikey };
  const client = new MaasClient({ site: parseMaasEndpoint(emulator.endpoint), apiKey: parseMaasApiKey(emulator.apikey) });
  const setup = Deadline.after(600_000);
  const ids: string[] = [];
  for (let i = 0; i < FLEET; i += 1) ids.push((await client.allocate({}, setup)).system_id);
  for (const id of ids) await client.powerOn(id, setup);
  setup.dispose();
  client.close();

  const statusesPayload = parsePayload({ externaldetails: { host } });
  const perVm = ids.map((id, i) => createPayload({ host, internalName: `i-2-${i}-VM`, virtualmachine: { maas_system_id: id } }));

  let started = performance.now();
  const bulk = await runInProcess('statuses', statusesPayload);
  const bulkInProcess = performance.now() - started;
  if (Object.keys(bulk.output.power_state as object).length !== FLEET) throw new Error('statuses did not cover the fleet');
  started = performance.now();
  for (const payload of perVm) await runInProcess('status', parsePayload(payload));
  const singleInProcess = performance.now() - started;

  started = performance.now();
  const bulkOut = await runSpawned('statuses', { externaldetails: { host } });
  const bulkSpawned = performance.now() - started;
  if (Object.keys(bulkOut.power_state as object).length !== FLEET) throw new Error('spawned statuses did not cover the fleet');
  started = performance.now();
  for (const payload of perVm.slice(0, SPAWNED_STATUS)) await runSpawned('status', payload);
  const singleSpawnedMeasured = performance.now() - started;
  const singleSpawned = (singleSpawnedMeasured * FLEET) / SPAWNED_STATUS;

  console.log(`power report over ${FLEET} machines:`);
  console.log(`  in-process: 1 statuses ${fmt(bulkInProcess)} vs ${FLEET} status ${fmt(singleInProcess)} → ${(singleInProcess / bulkInProcess).toFixed(0)}×`);
  console.log(
    `  spawned as CloudStack does: 1 statuses ${fmt(bulkSpawned)} vs ${FLEET} status ${fmt(singleSpawned)}${SPAWNED_STATUS < FLEET ? ` (extrapolated from ${SPAWNED_STATUS})` : ''} → ${(singleSpawned / bulkSpawned).toFixed(0)}×  (target ≥ 100×)`,
  );
  await emulator.close();
}

await rm(dir, { recursive: true, force: true });
