// A job's progress comes from its persisted steps: it moves while the job runs, reads the same through a second
// connection to the store (as another process would) and through the signed API, and is gone once finished.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/api/logger.ts';
import { createApiServer } from '../../src/api/server.ts';
import type { ApiHttpServer } from '../../src/api/http-server.ts';
import { jobProgress, type JobStep } from '../../src/orchestrator/job-progress.ts';
import { JobsServiceImpl } from '../../src/orchestrator/jobs.ts';
import { openDatabase } from '../../src/store/database.ts';
import { callSigned } from '../helpers/cloudstack-signing.ts';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, provision, type Infrastructure, type TestBed } from '../helpers/orchestrator.ts';
import { waitFor } from '../helpers/wait.ts';

const DEADLINE_MS = 30_000;

const at = '2026-01-01T00:00:00.000Z';
const step = (name: string, state: JobStep['state'], plan?: string[]): JobStep => ({ name, state, at, ...(plan ? { plan } : {}) });

describe('job progress from recorded steps', () => {
  test('share of the plan done, and the step started or next', () => {
    assert.deepEqual(jobProgress([]), { percent: 0, step: null });
    const plan = step('plan', 'planned', ['placement', 'prepare', 'create']);
    assert.deepEqual(jobProgress([plan]), { percent: 0, step: 'placement' });
    assert.deepEqual(jobProgress([plan, step('placement', 'done')]), { percent: 33, step: 'prepare' });
    assert.deepEqual(jobProgress([plan, step('placement', 'done'), step('prepare', 'started')]), { percent: 33, step: 'prepare' });
    assert.deepEqual(jobProgress([plan, step('placement', 'done'), step('prepare', 'done'), step('create', 'started')]), { percent: 66, step: 'create' });
    assert.deepEqual(jobProgress([plan, step('placement', 'done'), step('prepare', 'done'), step('create', 'done')]), { percent: 100, step: null });
  });

  test('a failed step stays the current one; steps outside the plan do not count', () => {
    const plan = step('plan', 'planned', ['stop', 'destroy']);
    assert.deepEqual(jobProgress([plan, step('stop', 'started'), step('stop', 'failed')]), { percent: 0, step: 'stop' });
    assert.deepEqual(jobProgress([plan, step('resume', 'done')]), { percent: 0, step: 'stop' });
  });

  test('a new plan (a resumed job) counts only the steps recorded after it', () => {
    const first = step('plan', 'planned', ['placement', 'create']);
    const again = step('plan', 'planned', ['placement', 'create']);
    const steps = [first, step('placement', 'done'), step('create', 'started'), step('resume', 'started'), again];
    assert.deepEqual(jobProgress(steps.slice(0, 4)), { percent: 50, step: 'resume' });
    assert.deepEqual(jobProgress(steps), { percent: 0, step: 'placement' });
  });

  test('without a plan there is no share to report, only the step running', () => {
    assert.deepEqual(jobProgress([step('create', 'started')]), { percent: 0, step: 'create' });
  });
});

for (const backend of testDatabases()) {
  describe(`progress of a running deploy on ${backend.name}`, () => {
    let bed: TestBed;
    let infra: Infrastructure;
    let dispose: () => Promise<void>;
    let server: ApiHttpServer;
    let url: string;
    let keys: { apiKey: string; secretKey: string };

    before(async () => {
      const created = await backend.create();
      dispose = created.dispose;
      bed = await createTestBed(created.config);
      infra = await provision(bed.orchestrator, bed.admin);
      keys = await bed.orchestrator.iam.registerUserKeys(bed.admin, bed.admin.userId);
      server = createApiServer({ orchestrator: bed.orchestrator, logger: createLogger({ level: 'silent' }) });
      url = await server.listen(0, '127.0.0.1');
    });
    after(async () => {
      await server?.close();
      await bed?.dispose();
      await dispose?.();
    });

    test('moves from placement through create to done, read from the store and through the signed API', async () => {
      const { orchestrator, admin } = bed;
      const startedMarker = join(bed.extension.stateDir, 'started-create');
      await rm(startedMarker, { force: true });
      await bed.extension.setBehaviour({ hold: { create: true } });
      try {
        const { job } = await orchestrator.instances.deploy(admin, {
          zoneId: infra.zoneId,
          templateId: infra.templateId,
          serviceOfferingId: infra.offeringId,
          networkIds: [infra.networkId],
          name: 'progress01',
        });
        await waitFor(() => existsSync(startedMarker), 'the extension create to start');
        // The `create` step is written just before the extension runs: wait until the store has it.
        await waitFor(async () => (await orchestrator.jobs.get(admin, job.id)).progress.step === 'create', 'the create step to be recorded');

        const own = await orchestrator.jobs.get(admin, job.id);
        assert.equal(own.status, 'pending');
        // placement and prepare done out of placement, prepare, create.
        assert.equal(own.progress.percent, 66);

        // A separate connection sees the same: the figure comes from the store, not from this process' memory.
        const raw = await openDatabase(bed.config.database);
        try {
          const elsewhere = await new JobsServiceImpl({ db: raw.db, nowIso: () => new Date().toISOString() }).get(admin, job.id);
          assert.deepEqual(elsewhere.progress, { percent: 66, step: 'create' });
        } finally {
          await raw.close();
        }

        const pending = await callSigned(url, keys, { command: 'queryAsyncJobResult', jobid: job.id });
        assert.equal(pending.status, 200, pending.text);
        const pendingBody = pending.json.queryasyncjobresultresponse!;
        assert.equal(pendingBody.jobstatus, 0);
        assert.ok(Number(pendingBody.jobprocstatus) > 0 && Number(pendingBody.jobprocstatus) < 100, pending.text);
        assert.equal(pendingBody.jobprocstatus, 66);
        assert.equal(pendingBody.jobprocstep, 'create');
      } finally {
        await bed.extension.setBehaviour({});
        await bed.extension.release('create');
      }
    });

    test('a finished job reports CloudStack values: jobprocstatus 0 and no step', async () => {
      const { orchestrator, admin } = bed;
      const [instance] = (await orchestrator.instances.list(admin, { name: 'progress01' })).items;
      assert.ok(instance);
      const pending = await orchestrator.jobs.list(admin, { status: 'pending' });
      for (const job of pending.items) await orchestrator.jobs.wait(admin, job.id, DEADLINE_MS);
      const [deploy] = (await orchestrator.jobs.list(admin, { keyword: 'deployVirtualMachine' })).items;
      assert.ok(deploy);
      assert.equal(deploy.status, 'succeeded', JSON.stringify(deploy.error));
      assert.deepEqual(deploy.progress, { percent: 100, step: null });
      const done = await callSigned(url, keys, { command: 'queryAsyncJobResult', jobid: deploy.id });
      const body = done.json.queryasyncjobresultresponse!;
      assert.equal(body.jobstatus, 1, done.text);
      assert.equal(body.jobprocstatus, 0);
      assert.equal('jobprocstep' in body, false);

      // A stop plans one step: nothing done while it runs, all done after.
      const stop = await orchestrator.instances.stop(admin, instance.id);
      const stopped = await orchestrator.jobs.wait(admin, stop.id, DEADLINE_MS);
      assert.equal(stopped.status, 'succeeded', JSON.stringify(stopped.error));
      assert.deepEqual(stopped.progress, { percent: 100, step: null });
    });
  });
}
