import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../../src/contract/deadline.ts';
import { deadlineBudgetMs, invokeFromArgv, parseTimeoutSeconds } from '../../src/contract/executable.ts';
import { defineExtension, ExtensionError } from '../../src/contract/extension.ts';
import { readDetail } from '../../src/contract/details.ts';

const echo = defineExtension({
  name: 'echo',
  defaultTimeoutSeconds: 600,
  validate(action, payload) {
    if (action !== 'noop' && !readDetail(payload, 'url', ['host'])) throw new ExtensionError('Missing required fields: url');
  },
  handlers: {
    noop: async () => ({ status: 'success' }),
    hello: async (payload) => ({ status: 'success', message: `hello ${payload.virtualmachinename ?? '?'}` }),
    leak: async (payload) => {
      throw new Error(`boom with ${payload.externaldetails?.host?.secret}`);
    },
    budget: async (_payload, { deadline }) => ({ status: 'success', remaining: deadline.remainingMs() }),
    slow: async (_payload, { deadline }) => {
      await sleep(60_000, deadline.signal);
      return { status: 'success' };
    },
  },
});

describe('extension executable runner', () => {
  let dir: string;
  let payloadFile: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'extorch-contract-'));
    payloadFile = join(dir, 'payload.json');
    await writeFile(payloadFile, JSON.stringify({ virtualmachinename: 'i-2-3-VM', externaldetails: { host: { url: 'x', secret: 'topsecret-value' } } }));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('dispatches action names case-insensitively', async () => {
    const result = await invokeFromArgv(echo, ['HeLLo', payloadFile, '30']);
    assert.deepEqual(result, { success: true, output: { status: 'success', message: 'hello i-2-3-VM' } });
  });

  it('answers usage, missing file, invalid JSON and unknown actions with the error document', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{not json');
    const list = join(dir, 'list.json');
    await writeFile(list, '[1,2]');
    const cases: Array<[string[], string]> = [
      [[], 'Usage: extorch-echo <action> <payload-file> [timeout-seconds]'],
      [['hello'], 'Usage: extorch-echo <action> <payload-file> [timeout-seconds]'],
      [['hello', join(dir, 'nope.json')], `JSON file not found: ${join(dir, 'nope.json')}`],
      [['hello', bad], 'Invalid JSON in file'],
      [['hello', list], 'Invalid JSON input'],
      [['frobnicate', payloadFile], 'Invalid action'],
    ];
    for (const [argv, message] of cases) {
      const result = await invokeFromArgv(echo, argv);
      assert.deepEqual(result, { success: false, output: { status: 'error', error: message } }, argv.join(' '));
    }
  });

  it('runs shared validation before the handler', async () => {
    const noUrl = join(dir, 'nourl.json');
    await writeFile(noUrl, '{}');
    assert.equal((await invokeFromArgv(echo, ['hello', noUrl])).output.error, 'Missing required fields: url');
    assert.equal((await invokeFromArgv(echo, ['noop', noUrl])).success, true);
  });

  it('never lets a secret of the payload reach the output', async () => {
    const result = await invokeFromArgv(echo, ['leak', payloadFile]);
    assert.equal(result.success, false);
    assert.equal(result.output.error, 'boom with ******');
  });

  it('derives one deadline from the timeout argument, with a margin before the kill', async () => {
    assert.equal(parseTimeoutSeconds('30', 600), 30);
    for (const raw of [undefined, '', '0', '-5', 'abc', '1.5']) assert.equal(parseTimeoutSeconds(raw, 600), 600);
    assert.equal(deadlineBudgetMs(30), 27_000);
    assert.equal(deadlineBudgetMs(600), 595_000);
    const remaining = Number((await invokeFromArgv(echo, ['budget', payloadFile, '30'])).output.remaining);
    assert.ok(remaining > 25_000 && remaining <= 27_000, String(remaining));
  });

  it('takes the time already spent (the executable\'s start-up) out of the deadline', async () => {
    const remaining = Number((await invokeFromArgv(echo, ['budget', payloadFile, '30'], undefined, 4_000)).output.remaining);
    assert.ok(remaining > 21_000 && remaining <= 23_000, String(remaining));
  });

  it('fails with a timeout message when the deadline passes', async () => {
    const result = await invokeFromArgv(echo, ['slow', payloadFile, '1']);
    assert.equal(result.success, false);
    assert.match(String(result.output.error), /^Timed out after 1s/);
  });
});
