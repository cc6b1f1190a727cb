import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FaultInjector } from '../../../src/emulators/shared/faults.ts';
import { listen, sendJson } from '../../../src/emulators/shared/server.ts';
import type { RunningServer } from '../../../src/emulators/shared/server.ts';

/** The fault injector every emulator shares, behind a real loopback HTTP server. */
describe('emulator fault injection: error rates', () => {
  const faults = new FaultInjector();
  let server: RunningServer;

  before(async () => {
    server = await listen(async (req, res) => {
      if (await faults.apply(req, res, (response, status, message) => sendJson(response, status, { message }, message))) return;
      sendJson(res, 200, { ok: true });
    }, { port: 0 });
  });
  after(() => server.close());
  beforeEach(() => faults.clear());

  async function statuses(count: number): Promise<number[]> {
    const answers: number[] = [];
    for (let index = 0; index < count; index += 1) answers.push((await fetch(`${server.url}/api/thing`)).status);
    return answers;
  }

  it('fails a matching request when the draw falls below errorRate, and lets the others through', async () => {
    const draws = [0.1, 0.9, 0.29, 0.3, 0.7];
    faults.random = () => draws.shift() ?? 1;
    faults.add({ path: '^/api/', status: 503, message: 'Injected outage', errorRate: 0.3 });
    assert.deepEqual(await statuses(5), [503, 200, 503, 200, 200]);
  });

  it('fails every matching request without errorRate, and none with errorRate 0', async () => {
    faults.random = Math.random;
    faults.add({ path: '^/api/', status: 500, errorRate: 0, times: 3 });
    assert.deepEqual(await statuses(3), [200, 200, 200]);
    faults.add({ path: '^/api/', status: 502, times: 2 });
    assert.deepEqual(await statuses(3), [502, 502, 200]);
  });
});
