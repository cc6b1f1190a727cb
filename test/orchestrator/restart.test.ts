import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Orchestrator } from '../../src/orchestrator/orchestrator.ts';
import { openDatabase } from '../../src/store/database.ts';
import { testDatabases } from '../helpers/databases.ts';
import { crashDuringCreate } from '../helpers/crash.ts';
import { createTestBed, provision, type TestBed } from '../helpers/orchestrator.ts';

const DEADLINE_MS = 60_000;

async function assertSettled(orchestrator: Orchestrator, bed: TestBed, ids: { instanceId: string; jobId: string; genericJobId: string }) {
  const job = await orchestrator.jobs.wait(bed.admin, ids.jobId, DEADLINE_MS);
  assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
  const generic = await orchestrator.jobs.get(bed.admin, ids.genericJobId);
  assert.equal(generic.status, 'failed');
  assert.match(generic.error?.message ?? '', /interrupted by a restart/);
  assert.equal((await orchestrator.jobs.list(bed.admin, { status: 'pending' })).count, 0, 'no job stuck pending');
  const instance = await orchestrator.instances.get(bed.admin, ids.instanceId);
  assert.equal(instance.state, 'Running');
}

for (const backend of testDatabases().filter((database) => database.name !== 'pglite')) {
  // PGlite is in-process only: another process cannot open the same database.
  describe(`restart after a crash mid-job on ${backend.name}`, () => {
    test('killed during create, external VM absent: the resumed job re-runs prepare+create and ends Running', async () => {
      const created = await backend.create();
      const bed = await createTestBed(created.config);
      try {
        const infra = await provision(bed.orchestrator, bed.admin);
        await bed.orchestrator.close();
        await bed.extension.setBehaviour({ sleep: { create: 30_000 } });
        const ids = await crashDuringCreate(bed, infra);
        await bed.extension.setBehaviour({});
        const reopened = await bed.reopen();
        await assertSettled(reopened, bed, ids);
        const actions = (await bed.extension.calls()).filter((call) => call.payload.virtualmachineid === ids.instanceId).map((call) => call.action);
        assert.deepEqual(actions, ['prepare', 'create', 'status', 'prepare', 'create']);
      } finally {
        await bed.dispose();
        await created.dispose();
      }
    });

    test('killed during create, external VM already running: the resumed job confirms it without a second create', async () => {
      const created = await backend.create();
      const bed = await createTestBed(created.config);
      try {
        const infra = await provision(bed.orchestrator, bed.admin);
        await bed.orchestrator.close();
        await bed.extension.setBehaviour({ sleep: { create: 30_000 } });
        const ids = await crashDuringCreate(bed, infra);
        await bed.extension.setBehaviour({});
        const instanceName = (await bed.extension.calls()).find((call) => call.action === 'create')?.payload.virtualmachinename as string;
        await bed.extension.setPower(instanceName, 'poweron');
        const reopened = await bed.reopen();
        await assertSettled(reopened, bed, ids);
        const actions = (await bed.extension.calls()).filter((call) => call.payload.virtualmachineid === ids.instanceId).map((call) => call.action);
        assert.deepEqual(actions, ['prepare', 'create', 'status']);
        const instance = await reopened.instances.get(bed.admin, ids.instanceId);
        assert.equal(instance.details.deployvm, undefined);
      } finally {
        await bed.dispose();
        await created.dispose();
      }
    });
  });
}

for (const backend of testDatabases()) {
  describe(`settling instances left mid-transition on ${backend.name}`, () => {
    test('instances found Starting/Stopping without a job are settled from their reported power state', async () => {
      const created = await backend.create();
      const bed = await createTestBed(created.config);
      try {
        const infra = await provision(bed.orchestrator, bed.admin);
        const ids: string[] = [];
        for (let i = 0; i < 2; i += 1) {
          const { instance, job } = await bed.orchestrator.instances.deploy(bed.admin, { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [infra.networkId] });
          assert.equal((await bed.orchestrator.jobs.wait(bed.admin, job.id)).status, 'succeeded');
          ids.push(instance.id);
        }
        const [running, stopped] = ids as [string, string];
        const stoppedName = (await bed.orchestrator.instances.get(bed.admin, stopped)).instanceName;
        await bed.orchestrator.close();
        // What a crash between two writes leaves behind: transitional states and no job.
        const raw = await openDatabase(bed.config.database);
        await raw.db.updateTable('instances').set({ state: 'Starting' }).where('uuid', '=', running).execute();
        await raw.db.updateTable('instances').set({ state: 'Stopping' }).where('uuid', '=', stopped).execute();
        await raw.close();
        await bed.extension.setPower(stoppedName, 'poweroff');
        const reopened = await bed.reopen();
        assert.equal((await reopened.instances.get(bed.admin, running)).state, 'Running');
        const settled = await reopened.instances.get(bed.admin, stopped);
        assert.equal(settled.state, 'Stopped');
        assert.equal(settled.powerState, 'PowerOff');
        const events = await reopened.events.list(bed.admin, { type: 'VM.STATE.RECONCILED' });
        assert.equal(events.count, 2);
      } finally {
        await bed.dispose();
        await created.dispose();
      }
    });
  });
}
