// `jobprocstatus` (and extorch's `jobprocstep`) over real HTTP while a deploy is held inside the extension's
// `create`: pending jobs report their progress in queryAsyncJobResult and listAsyncJobs, finished ones keep
// CloudStack's 0, other accounts see nothing of it, and bad job ids are refused naming the parameter.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiHttpServer } from '../../src/api/http-server.ts';
import { createLogger } from '../../src/api/logger.ts';
import { createApiServer } from '../../src/api/server.ts';
import { callSigned } from '../helpers/cloudstack-signing.ts';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, provision, type Infrastructure, type TestBed } from '../helpers/orchestrator.ts';

type Json = Record<string, unknown>;
type Keys = { apiKey: string; secretKey: string };

const DEADLINE_MS = 30_000;

describe('job progress in the CloudStack API', () => {
  let bed: TestBed;
  let infra: Infrastructure;
  let dispose: () => Promise<void>;
  let server: ApiHttpServer;
  let url: string;
  let admin: Keys;
  let user: Keys;

  before(async () => {
    // The API is dialect-agnostic; the store tests cover the other databases.
    const created = await testDatabases()[0]!.create();
    dispose = created.dispose;
    bed = await createTestBed(created.config);
    infra = await provision(bed.orchestrator, bed.admin);
    admin = await bed.orchestrator.iam.registerUserKeys(bed.admin, bed.admin.userId);
    const account = await bed.orchestrator.iam.createAccount(bed.admin, { username: 'bob', password: 'builder-123', firstName: 'Bob', lastName: 'B', accountType: 'NORMAL' });
    user = await bed.orchestrator.iam.registerUserKeys(bed.admin, account.user.id);
    server = createApiServer({ orchestrator: bed.orchestrator, logger: createLogger({ level: 'silent' }) });
    url = await server.listen(0, '127.0.0.1');
  });
  after(async () => {
    await bed?.extension.setBehaviour({});
    await server?.close();
    await bed?.dispose();
    await dispose?.();
  });

  async function ok(command: string, params: Record<string, string> = {}, keys = admin): Promise<Json> {
    const result = await callSigned(url, keys, { command, ...params });
    assert.equal(result.status, 200, `${command}: ${result.text}`);
    return result.json[`${command.toLowerCase()}response`]!;
  }
  async function until(what: string, read: () => Promise<Json | undefined>): Promise<Json> {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const value = await read();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  let jobId = '';

  it('reports a held deploy as pending with its progress and step in both job commands', async () => {
    await bed.extension.setBehaviour({ hold: { create: true } });
    const accepted = await ok('deployVirtualMachine', { zoneid: infra.zoneId, templateid: infra.templateId, serviceofferingid: infra.offeringId, networkids: infra.networkId, name: 'held01' });
    jobId = String(accepted.jobid);
    const listed = await until('the job to reach create in listAsyncJobs', async () => {
      const jobs = ((await ok('listAsyncJobs', { listall: 'true' })).asyncjobs as Json[] | undefined) ?? [];
      return jobs.find((job) => job.jobid === jobId && job.jobprocstep === 'create');
    });
    assert.equal(listed.jobstatus, 0);
    assert.equal(listed.cmd, 'deployVirtualMachine');
    assert.equal(listed.jobprocstatus, 66, 'placement and prepare done out of three steps');
    const queried = await ok('queryAsyncJobResult', { jobid: jobId });
    assert.equal(queried.jobstatus, 0);
    assert.equal(queried.jobprocstatus, 66);
    assert.equal(queried.jobprocstep, 'create');
    assert.equal('jobresult' in queried, false);
  });

  it('shows nothing of another account\'s job and refuses bad job ids naming the parameter', async () => {
    assert.deepEqual(await ok('listAsyncJobs', {}, user), {});
    const foreign = await callSigned(url, user, { command: 'queryAsyncJobResult', jobid: jobId });
    assert.equal(foreign.status, 431, foreign.text);
    assert.equal(JSON.stringify(foreign.json).includes('jobprocstatus'), false);
    const malformed = await callSigned(url, admin, { command: 'queryAsyncJobResult', jobid: 'not-a-uuid' });
    assert.equal(malformed.status, 431, malformed.text);
    assert.match(String(malformed.json.queryasyncjobresultresponse!.errortext), /jobid/);
  });

  it('documents jobprocstep in listApis next to jobprocstatus', async () => {
    const apis = (await ok('listApis', { name: 'queryAsyncJobResult' })).api as Json[];
    const fields = (apis[0]!.response as Json[]).map((field) => field.name);
    assert.ok(fields.includes('jobprocstatus') && fields.includes('jobprocstep'), fields.join(','));
  });

  it('once released, the job succeeds and reports CloudStack\'s jobprocstatus 0 without a step', async () => {
    await bed.extension.setBehaviour({});
    await bed.extension.release('create');
    const done = await until('the job to finish', async () => {
      const job = await ok('queryAsyncJobResult', { jobid: jobId });
      return job.jobstatus === 0 ? undefined : job;
    });
    assert.equal(done.jobstatus, 1, JSON.stringify(done));
    assert.equal(done.jobprocstatus, 0);
    assert.equal('jobprocstep' in done, false);
    const listed = ((await ok('listAsyncJobs', { listall: 'true' })).asyncjobs as Json[]).find((job) => job.jobid === jobId);
    assert.equal(listed?.jobprocstatus, 0);
    assert.equal(listed !== undefined && 'jobprocstep' in listed, false);
  });
});
