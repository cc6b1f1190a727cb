import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defineExtension, ExtensionError } from '../../src/contract/extension.ts';
import { ExtensionRunner, type InvocationObservation } from '../../src/orchestrator/extensions/runner.ts';
import { writeTestExtension, TEST_EXTENSION_PATH } from '../helpers/test-extension.ts';

/** Alive = exists and is not a zombie (a killed orphan may linger unreaped under some init processes). */
async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return !/^State:\s+Z/m.test(status);
}

describe('extension runner: argv contract', () => {
  let root: string;
  let runner: ExtensionRunner;
  let script: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'extorch-runner-'));
    await writeTestExtension(join(root, 'ext'));
    script = join(root, 'ext', TEST_EXTENSION_PATH);
    runner = new ExtensionRunner(join(root, 'data'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  const entry = () => ({ kind: 'executable' as const, extensionName: 'testext', path: script });

  test('success gives trimmed output; unknown actions give CloudStack failure text', async () => {
    const ok = await runner.run(entry(), 'status', { virtualmachinename: 'vm1' }, 30);
    assert.equal(ok.success, true);
    assert.equal(ok.output, '{"status":"success","power_state":"poweroff"}');
    const bad = await runner.run(entry(), 'nosuchaction', {}, 30);
    assert.equal(bad.success, false);
    assert.equal(bad.output, 'Exit code: 1, Output: {"error":"Invalid action"}');
  });

  test('every finished invocation is reported to the observer (metrics), executables included', async () => {
    const seen: InvocationObservation[] = [];
    const observed = new ExtensionRunner(join(root, 'data'), (observation) => seen.push(observation));
    await observed.run(entry(), 'STATUS', { virtualmachinename: 'vm1' }, 30);
    await observed.run(entry(), 'nosuchaction', {}, 30);
    assert.deepEqual(
      seen.map(({ extension, action, outcome }) => ({ extension, action, outcome })),
      [
        { extension: 'testext', action: 'status', outcome: 'success' },
        { extension: 'testext', action: 'nosuchaction', outcome: 'failure' },
      ],
    );
    for (const observation of seen) assert.ok(observation.seconds > 0 && observation.seconds < 30);
  });

  test('large stdout and stderr are drained concurrently (no pipe deadlock) and merged', async () => {
    const result = await runner.run(entry(), 'bigoutput', {}, 30);
    assert.equal(result.success, true);
    assert.equal(result.output.length, 400_000);
    assert.equal(result.output.replaceAll('x', '').replaceAll('y', ''), '');
  });

  test('timeout kills the whole process group and reports Timeout; payload removed', async () => {
    // A script that starts a long-running grandchild: the group kill must take both.
    const pidFile = join(root, 'grandchild.pid');
    const sleeper = join(root, 'ext', 'sleeper.sh');
    await writeFile(sleeper, `#!/bin/sh\nsleep 30 &\necho $! > ${pidFile}\nwait\n`);
    await chmod(sleeper, 0o755);
    const started = Date.now();
    const result = await runner.run({ kind: 'executable', extensionName: 'sleeper', path: sleeper }, 'create', { secret: 'x' }, 1);
    assert.equal(result.success, false);
    assert.equal(result.output, 'Timeout');
    assert.ok(Date.now() - started < 10_000);
    const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await isAlive(grandchild), false, 'the grandchild was killed with the group');
    assert.deepEqual(await readdir(join(root, 'data', 'sleeper')), []);
  });

  test('a missing or non-executable entry point is "not configured" and nothing is written', async () => {
    const plain = join(root, 'ext', 'plain.sh');
    await writeFile(plain, '#!/bin/sh\necho hi\n');
    await chmod(plain, 0o644);
    for (const path of [plain, join(root, 'ext', 'missing.sh')]) {
      const result = await runner.run({ kind: 'executable', extensionName: 'plain', path }, 'start', {}, 5);
      assert.equal(result.success, false);
      assert.equal(result.output, 'Extension: plain not configured');
    }
    assert.equal(existsSync(join(root, 'data', 'plain')), false);
  });
});

describe('extension runner: in-process', () => {
  const runner = new ExtensionRunner(tmpdir());
  const seen: unknown[] = [];
  const extension = defineExtension({
    name: 'Inproc',
    defaultTimeoutSeconds: 30,
    handlers: {
      async status(payload) {
        seen.push(payload);
        return { status: 'success', power_state: 'poweron' };
      },
      async create() {
        throw new ExtensionError('cannot create');
      },
      async slow(_payload, { deadline }) {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        deadline.throwIfExpired();
        return {};
      },
    },
  });
  const entry = { kind: 'in-process' as const, extensionName: 'Inproc', extension };

  test('same payload object as the file would carry; failures and timeouts in CloudStack terms', async () => {
    const payload = { virtualmachinename: 'i-2-3-VM', externaldetails: { host: { url: 'u' } }, 'cloudstack.vm.details': { cpus: 1, details: { a: 'b' } } };
    const ok = await runner.run(entry, 'STATUS', payload, 5);
    assert.equal(ok.success, true);
    assert.equal(ok.output, '{"status":"success","power_state":"poweron"}');
    assert.deepEqual(seen[0], payload);
    assert.notEqual(seen[0], payload, 'a copy, as read from a file');
    const failed = await runner.run(entry, 'create', payload, 5);
    assert.equal(failed.output, 'Exit code: 1, Output: {"status":"error","error":"cannot create"}');
    const started = Date.now();
    const timedOut = await runner.run(entry, 'slow', payload, 1);
    assert.equal(timedOut.output, 'Timeout');
    assert.ok(Date.now() - started < 3_000);
  });
});
