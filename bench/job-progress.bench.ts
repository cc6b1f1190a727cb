// What deriving a job's progress from its persisted steps costs a job listing. A page of 200 deploy jobs, each with
// a plan and the steps the lifecycle records, read through `JobsServiceImpl.list` (rows → jobs with their
// progress) against the same page selected raw from the store (the baseline): once for pending jobs (steps parsed,
// progress derived), once for succeeded ones (progress known without parsing). SQLite file.
// Usage: node --import tsx bench/job-progress.bench.ts [jobs-per-status] [rounds]
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Caller } from '../src/orchestrator/caller.ts';
import { JobsServiceImpl } from '../src/orchestrator/jobs.ts';
import { openDatabase } from '../src/store/database.ts';

const JOBS = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 201);
const PAGE_SIZE = 200;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timed(action: () => unknown): () => Promise<number> {
  return async () => {
    const started = process.hrtime.bigint();
    await action();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
}

const dir = await mkdtemp(join(tmpdir(), 'extorch-bench-'));
const store = await openDatabase({ kind: 'sqlite', file: join(dir, 'extorch.db') });
try {
  const jobs = new JobsServiceImpl({ db: store.db, nowIso: () => new Date().toISOString() });
  const admin: Caller = {
    userId: randomUUID(),
    userName: 'admin',
    accountId: randomUUID(),
    accountName: 'admin',
    accountType: 'ADMIN',
    domainId: randomUUID(),
    domainPath: '/',
    roleId: randomUUID(),
    roleName: 'Root Admin',
    roleType: 'Admin',
  };
  // Pending jobs stay in `create` (their work never ends); this process exits without waiting for them.
  const never = new Promise<never>(() => undefined);
  for (const status of ['succeeded', 'pending'] as const) {
    for (let index = 0; index < JOBS; index += 1) {
      await jobs.submitResumable('deployVirtualMachine', admin, { type: 'VirtualMachine', id: randomUUID() }, { operation: 'deploy' }, async (recorder) => {
        const host = { hostId: randomUUID() };
        recorder.plan(['placement', 'prepare', 'create']);
        await recorder.step({ name: 'placement', state: 'done', handle: host });
        await recorder.step({ name: 'prepare', state: 'started', handle: host });
        await recorder.step({ name: 'prepare', state: 'done' });
        await recorder.step({ name: 'create', state: 'started', handle: { ...host, instanceName: `i-2-${index}-VM` } });
        if (status === 'pending') await never;
        await recorder.step({ name: 'create', state: 'done' });
      });
    }
  }
  const settled = async () => (await store.db.selectFrom('jobs').select('id').where('status', '=', 'succeeded').execute()).length === JOBS;
  while (!(await settled())) await new Promise((resolve) => setTimeout(resolve, 20));
  const pendingSteps = await store.db.selectFrom('jobs').select('steps').where('status', '=', 'pending').executeTakeFirstOrThrow();
  console.log(`${JOBS} succeeded and ${JOBS} pending deploy jobs (pending steps JSON ${pendingSteps.steps.length} bytes), page of ${PAGE_SIZE}, median of ${ROUNDS}`);

  for (const status of ['pending', 'succeeded'] as const) {
    const list = timed(() => jobs.list(admin, { status, page: 1, pageSize: PAGE_SIZE }));
    const raw = timed(() => store.db.selectFrom('jobs').selectAll().where('status', '=', status).orderBy('id', 'desc').limit(PAGE_SIZE).execute());
    const times = { list: [] as number[], raw: [] as number[] };
    // Interleaved, so that load on a shared machine hits both alike.
    for (let round = 0; round < ROUNDS; round += 1) {
      times.list.push(await list());
      times.raw.push(await raw());
    }
    const [listed, selected] = [median(times.list), median(times.raw)];
    console.log(`${status}: jobs.list ${listed.toFixed(2)} ms, raw select ${selected.toFixed(2)} ms, ratio ${(listed / selected).toFixed(2)}`);
  }
} finally {
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
