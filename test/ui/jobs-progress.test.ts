// Live job progress in the web console: real headless Chromium on the built console, served by the API over a
// real orchestrator whose (executable test) extension holds `create` until the test releases it. The deploy
// wizard and the Jobs page show the running job's percentage and step; once it is done the job leaves the
// running list and the page stops polling.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { findConsoleRoot } from '../../src/api/console-static.ts';
import type { ApiHttpServer } from '../../src/api/http-server.ts';
import { createLogger } from '../../src/api/logger.ts';
import { createApiServer } from '../../src/api/server.ts';
import { deployProgressMessage, JOB_REFRESH_MS, jobPollDelay, progressLabel, progressPercent } from '../../ui/src/api/job-progress.ts';
import { launchChromium, screenshot, type Browser } from '../helpers/browser.ts';
import { testDatabases } from '../helpers/databases.ts';
import { createTestBed, provision, type Infrastructure, type TestBed } from '../helpers/orchestrator.ts';

const UI_TIMEOUT_MS = 20_000;
const ADMIN_PASSWORD = 'jobs-progress-password';

describe('job progress wording (no browser)', () => {
  test('percent is clamped and rounded; the step follows it when the server names one', () => {
    assert.equal(progressPercent({ jobstatus: 0, jobprocstatus: 66 }), 66);
    assert.equal(progressPercent({ jobstatus: 0 }), 0);
    assert.equal(progressPercent({ jobstatus: 0, jobprocstatus: 250 }), 100);
    assert.equal(progressPercent({ jobstatus: 0, jobprocstatus: -3 }), 0);
    assert.equal(progressPercent({ jobstatus: 0, jobprocstatus: Number.NaN }), 0);
    assert.equal(progressLabel({ jobstatus: 0, jobprocstatus: 66, jobprocstep: 'create' }), '66% · create');
    assert.equal(progressLabel({ jobstatus: 0, jobprocstatus: 10 }), '10%');
    assert.equal(deployProgressMessage({ jobstatus: 0, jobprocstatus: 33, jobprocstep: 'prepare' }), 'Deploying… 33% · prepare');
    assert.equal(deployProgressMessage({ jobstatus: 1, jobprocstatus: 0 }), 'Deploying…');
  });

  test('the Jobs page polls only while a job is pending', () => {
    assert.equal(jobPollDelay([{ jobstatus: 1 }, { jobstatus: 0 }], 2000), 2000);
    assert.equal(jobPollDelay([{ jobstatus: 1 }, { jobstatus: 2 }], 2000), 0);
    assert.equal(jobPollDelay([], 2000), 0);
  });
});

describe('live job progress in the web console (Chromium)', { timeout: 90_000 }, () => {
  let bed: TestBed;
  let infra: Infrastructure;
  let disposeDatabase: () => Promise<void>;
  let server: ApiHttpServer;
  let ui: string;
  let browser: Browser;

  before(async () => {
    const consoleRoot = findConsoleRoot();
    if (!consoleRoot || !existsSync(join(consoleRoot, 'index.html'))) throw new Error('The console is not built: run `npm run build` first');
    const created = await testDatabases()[0]!.create();
    disposeDatabase = created.dispose;
    bed = await createTestBed(created.config, { adminPassword: ADMIN_PASSWORD });
    infra = await provision(bed.orchestrator, bed.admin);
    server = createApiServer({ orchestrator: bed.orchestrator, logger: createLogger({ level: 'silent' }), consoleRoot });
    ui = (await server.listen(0, '127.0.0.1')).replace(/client\/api$/, '');
    browser = await launchChromium();
  });
  after(async () => {
    await bed?.extension.setBehaviour({});
    await browser?.close();
    await server?.close();
    await bed?.dispose();
    await disposeDatabase?.();
  });

  async function loggedIn(): Promise<Page> {
    const page = await browser.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await page.goto(ui);
    const form = page.locator('[data-testid=login-form]');
    await form.locator('[name=username]').fill('admin');
    await form.locator('[name=password]').fill(ADMIN_PASSWORD);
    await form.locator('[data-testid=submit]').click();
    await page.locator('[data-testid=whoami]').waitFor();
    return page;
  }

  async function open(page: Page, hash: string): Promise<void> {
    await page.evaluate((value) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = value;
    }, hash);
  }

  test('a held deploy shows its percentage and step in the wizard and on the Jobs page, then leaves the running jobs', async () => {
    await bed.extension.setBehaviour({ hold: { create: true } });
    const wizard = await loggedIn();
    await open(wizard, '#/instances');
    await wizard.locator('[data-testid=deploy-instance]').click();
    const dialog = '[data-testid=deploy-dialog]';
    await wizard.locator(`${dialog} [name=templateid]`).waitFor();
    await wizard.locator(`${dialog} [name=zoneid]`).selectOption({ label: 'zone1' });
    await wizard.locator(`${dialog} [name=templateid]`).selectOption(infra.templateId);
    await wizard.locator(`${dialog} [name=serviceofferingid]`).selectOption(infra.offeringId);
    await wizard.locator(`${dialog} [name=networkids]`).selectOption(infra.networkId);
    await wizard.locator(`${dialog} [name=displayname]`).fill('held-web');
    await wizard.locator(`${dialog} [data-testid=submit]`).click();
    // placement and prepare are done, create is held: two of three planned steps.
    await wizard.locator(`${dialog} .progress`, { hasText: 'Deploying… 66% · create' }).waitFor();
    await screenshot(wizard, 'jobs-progress-wizard');

    const jobs = await loggedIn();
    const polls: string[] = [];
    jobs.on('request', (request) => {
      if (request.url().includes('command=listAsyncJobs')) polls.push(request.url());
    });
    await open(jobs, '#/jobs');
    const running = jobs.locator('[data-testid=running-jobs] tr[data-row]');
    await running.first().waitFor();
    assert.equal(await running.count(), 1);
    const bar = running.first().locator('progress');
    const value = await bar.evaluate((element) => (element as unknown as { value: number }).value);
    assert.ok(value > 0 && value < 100, `progress bar at ${value}`);
    assert.equal(value, 66);
    assert.equal(await running.first().locator('[data-testid=job-step]').textContent(), '66% · create');
    assert.match((await running.first().locator('[data-col=cmd]').textContent()) ?? '', /deployVirtualMachine/);
    await screenshot(jobs, 'jobs-progress-running');
    const pollsWhileRunning = polls.length;
    // While the job runs, the page keeps asking.
    await jobs.waitForRequest((request) => request.url().includes('command=listAsyncJobs'), { timeout: JOB_REFRESH_MS * 3 });
    assert.ok(polls.length > pollsWhileRunning);

    await bed.extension.setBehaviour({});
    await bed.extension.release('create');
    await jobs.locator('[data-testid=running-jobs] td.empty', { hasText: 'No job is running.' }).waitFor();
    await jobs.locator('[data-testid=all-jobs] tr[data-row] .badge', { hasText: 'Succeeded' }).first().waitFor();
    await wizard.locator('[data-page=instance-detail] h1', { hasText: 'held-web' }).waitFor();
    await screenshot(jobs, 'jobs-progress-done');

    // Nothing runs any more: the page stops polling (two poll intervals without a listAsyncJobs request).
    const pollsWhenDone = polls.length;
    await new Promise((resolve) => setTimeout(resolve, JOB_REFRESH_MS * 2 + 500));
    assert.equal(polls.length, pollsWhenDone, 'no listAsyncJobs poll once no job is pending');
    // Refresh asks again on demand.
    await Promise.all([jobs.waitForRequest((request) => request.url().includes('command=listAsyncJobs')), jobs.locator('[data-testid=refresh-jobs]').click()]);
  });
});
