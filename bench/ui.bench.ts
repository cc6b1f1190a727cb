// The console's production bundle size, and the time to interactive of the Instances page with 1,000
// instances, measured in real headless Chromium against the in-process sandbox (real orchestrator on SQLite,
// real Proxmox extension and emulator). Baseline, measured side by side in the same browser: the Templates page
// (the same shell and session with a one-row list). Run: `npm run build && npm run bench -- ui`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/browser.ts';
import { SANDBOX_ADMIN, startConsoleSandbox } from '../test/helpers/console-sandbox.ts';

const INSTANCES = 1000;
/** Instances started on the emulator (the rest are deployed stopped): both states show in the list. */
const STARTED = 100;
const DEPLOY_CONCURRENCY = 20;
const ROUNDS = 7;
const ASSETS = 'ui/dist/assets';

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function bundleSizes(): void {
  let raw = 0;
  let gzip = 0;
  let brotli = 0;
  console.log('| asset | raw | gzip | brotli |\n|---|---|---|---|');
  for (const name of readdirSync(ASSETS).sort()) {
    const content = readFileSync(join(ASSETS, name));
    const sizes = [statSync(join(ASSETS, name)).size, gzipSync(content, { level: 9 }).length, brotliCompressSync(content).length] as const;
    raw += sizes[0];
    gzip += sizes[1];
    brotli += sizes[2];
    console.log(`| ${name.replace(/-[\w-]{8}\./, '.')} | ${kb(sizes[0])} | ${kb(sizes[1])} | ${kb(sizes[2])} |`);
  }
  console.log(`| **total** | ${kb(raw)} | ${kb(gzip)} | ${kb(brotli)} |\n`);
}

/**
 * Reloads the page on `hash` and returns milliseconds from navigation start until `rows` table rows are
 * rendered and the main thread is idle again (the first idle callback after the rows appear): the page can
 * then take a click.
 */
async function timeToInteractive(page: Page, hash: string, table: string, rows: number): Promise<{ tti: number; rendered: number; api: number }> {
  await page.goto(`about:blank`);
  await page.goto(`${baseUrl}${hash}`);
  await page.waitForFunction(({ selector, count }) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll(selector).length >= count, { selector: `[data-testid=${table}] tbody tr[data-row]`, count: rows }, { timeout: 60_000, polling: 'raf' });
  return page.evaluate(
    () =>
      new Promise<{ tti: number; rendered: number; api: number }>((resolve) => {
        const scope = globalThis as unknown as {
          performance: { now(): number; getEntriesByType(type: string): Array<{ name: string; duration: number }> };
          requestIdleCallback(callback: () => void): void;
        };
        const rendered = scope.performance.now();
        // The list request's own time (server + transfer), to separate it from parsing and rendering.
        const api = Math.max(0, ...scope.performance.getEntriesByType('resource').filter((entry) => /command=list(VirtualMachines|Templates)/.test(entry.name)).map((entry) => entry.duration));
        scope.requestIdleCallback(() => resolve({ tti: scope.performance.now(), rendered, api }));
      }),
  );
}

let baseUrl = '';

async function main(): Promise<void> {
  console.log('## Production bundle (ui/dist/assets)\n');
  bundleSizes();

  const sandbox = await startConsoleSandbox();
  baseUrl = sandbox.ui;
  const { orchestrator, admin, proxmox, seeded } = sandbox;
  try {
    const extension = (await orchestrator.extensions.listExtensions(admin, { name: 'Proxmox' })).items[0];
    if (!extension) throw new Error('Proxmox extension not seeded');
    await orchestrator.extensions.updateExtension(admin, extension.id, { state: 'Enabled' });
    const cluster = await orchestrator.infrastructure.addCluster(admin, { name: 'bench', zoneId: seeded.zoneId, podId: seeded.podId, hypervisor: 'External', extensionId: extension.id });
    await orchestrator.infrastructure.addHost(admin, {
      zoneId: seeded.zoneId,
      podId: seeded.podId,
      clusterId: cluster.id,
      hypervisor: 'External',
      url: proxmox.url,
      externalDetails: { url: proxmox.url, user: proxmox.user, token: proxmox.token, secret: proxmox.secret, node: 'pve1', network_bridge: 'vmbr0', verify_tls_certificate: 'false' },
    });
    const template = await orchestrator.templates.registerTemplate(admin, {
      name: 'ubuntu',
      displayText: 'ubuntu',
      format: 'External',
      hypervisor: 'External',
      url: 'http://external.invalid/template',
      zoneId: seeded.zoneId,
      extensionId: extension.id,
      externalDetails: { template_type: 'template', template_id: '9000' },
      isPublic: true,
    });
    const seedStarted = Date.now();
    for (let next = 0; next < INSTANCES; next += DEPLOY_CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(DEPLOY_CONCURRENCY, INSTANCES - next) }, async (_, offset) => {
          const index = next + offset;
          const { job } = await orchestrator.instances.deploy(admin, {
            zoneId: seeded.zoneId,
            templateId: template.id,
            serviceOfferingId: seeded.offeringId,
            networkIds: [seeded.networkId],
            name: `vm-${String(index).padStart(4, '0')}`,
            startVm: index < STARTED,
          });
          await orchestrator.jobs.wait(admin, job.id);
        }),
      );
    }
    console.log(`Seeded ${INSTANCES} instances (${STARTED} started on the Proxmox emulator) in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s.\n`);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(baseUrl);
      const form = page.locator('[data-testid=login-form]');
      await form.locator('[name=username]').fill(SANDBOX_ADMIN.username);
      await form.locator('[name=password]').fill(SANDBOX_ADMIN.password);
      await form.locator('[data-testid=submit]').click();
      await page.locator('[data-testid=whoami]').waitFor();

      const setPageSize = (size: number) => page.evaluate((value) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('extorch.instances.pagesize', String(value)), size);
      const samples = { baseline: [] as number[], page50: [] as number[], page50Api: [] as number[], all: [] as number[], allRendered: [] as number[], allApi: [] as number[] };
      // Warm-up: caches, JIT, the server's first queries.
      await setPageSize(50);
      await timeToInteractive(page, '#/instances', 'instances-table', 50);
      for (let round = 0; round < ROUNDS; round += 1) {
        samples.baseline.push((await timeToInteractive(page, '#/templates', 'templates-table', 1)).tti);
        await setPageSize(50);
        const page50 = await timeToInteractive(page, '#/instances', 'instances-table', 50);
        samples.page50.push(page50.tti);
        samples.page50Api.push(page50.api);
        await setPageSize(-1);
        const all = await timeToInteractive(page, '#/instances', 'instances-table', INSTANCES);
        samples.all.push(all.tti);
        samples.allRendered.push(all.rendered);
        samples.allApi.push(all.api);
      }
      const baseline = median(samples.baseline);
      console.log(`## Time to interactive, Chromium ${browser.browser.version()}, median of ${ROUNDS} (interleaved)\n`);
      console.log('| page | TTI | of which the list request | ratio to baseline |\n|---|---|---|---|');
      console.log(`| Templates, 1 row (baseline) | ${baseline.toFixed(0)} ms | | ×1.00 |`);
      console.log(`| Instances, 1,000 instances, default page of 50 | ${median(samples.page50).toFixed(0)} ms | ${median(samples.page50Api).toFixed(0)} ms | ×${(median(samples.page50) / baseline).toFixed(2)} |`);
      console.log(`| Instances, all 1,000 rows on one page | ${median(samples.all).toFixed(0)} ms (rows on screen at ${median(samples.allRendered).toFixed(0)} ms) | ${median(samples.allApi).toFixed(0)} ms | ×${(median(samples.all) / baseline).toFixed(2)} |`);
    } finally {
      await browser.close();
    }
  } finally {
    await sandbox.close();
  }
}

await main();
