// The API server serves the built console at `/` while /client/api keeps working (ADR 0080).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/api/logger.ts';
import { createApiServer } from '../../src/api/server.ts';
import type { ApiHttpServer } from '../../src/api/http-server.ts';
import { createMetrics } from '../../src/metrics/registry.ts';
import { createOrchestrator, type Orchestrator } from '../../src/orchestrator/index.ts';

describe('console served by the API server', () => {
  let dir: string;
  let orchestrator: Orchestrator;
  let server: ApiHttpServer;
  let base: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'extorch-console-serving-'));
    const consoleRoot = join(dir, 'console');
    await mkdir(join(consoleRoot, 'assets'), { recursive: true });
    await writeFile(join(consoleRoot, 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(consoleRoot, 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, 'secret.txt'), 'outside the console root');
    orchestrator = await createOrchestrator({
      database: { kind: 'sqlite', file: join(dir, 'extorch.db') },
      secretsKey: 'serving-test',
      extensionsRoot: join(dir, 'extensions'),
      dataRoot: join(dir, 'data'),
      timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: 0 },
    });
    server = createApiServer({ orchestrator, logger: createLogger({ level: 'silent' }), metrics: createMetrics({ defaultMetrics: false }), consoleRoot });
    base = (await server.listen(0, '127.0.0.1')).replace(/client\/api$/, '');
  });

  after(async () => {
    await server.close();
    await orchestrator.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('index.html at / is revalidated on every load; hashed assets are cached for good', async () => {
    const index = await fetch(base);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(await index.text(), /id="root"/);
    const asset = await fetch(`${base}assets/index-abc123.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('cache-control') ?? '', /max-age=31536000, immutable/);
  });

  test('the API and its errors are unchanged next to the console', async () => {
    const answer = await fetch(`${base}client/api?command=listZones&response=json`);
    assert.equal(answer.status, 401);
    assert.equal(typeof ((await answer.json()) as { listzonesresponse?: { errorcode?: number } }).listzonesresponse?.errorcode, 'number');
    const login = await fetch(`${base}client/api`, { method: 'POST', body: new URLSearchParams({ command: 'login', username: 'admin', password: 'password', response: 'json' }) });
    assert.equal(login.status, 200);
    assert.equal((await fetch(`${base}metrics`)).status, 200);
  });

  test('only files inside the console root are served', async () => {
    assert.equal((await fetch(`${base}missing.js`)).status, 404);
    assert.equal((await fetch(`${base}..%2fsecret.txt`)).status, 404);
    assert.equal((await fetch(`${base}assets/..%2f..%2fsecret.txt`)).status, 404);
  });
});
