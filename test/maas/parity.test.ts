import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Deadline } from '../../src/contract/deadline.ts';
import { parsePayload } from '../../src/contract/payload.ts';
import { maasExtension } from '../../src/extensions/maas/index.ts';
import { createPayload } from '../helpers/payloads.ts';
import { hostDetails, MaasHarness } from './harness.ts';

/** The orchestrator runs the extension in-process; CloudStack spawns it. Both must answer the same. */
describe('MAAS extension: in-process and executable answers are identical', () => {
  let harness: MaasHarness;
  before(async () => {
    harness = await MaasHarness.start({ machines: 3 });
  });
  after(() => harness.close());

  it('for status, statuses, getconsole and errors', async () => {
    const base = createPayload({ host: hostDetails(harness.emulator) });
    const prepared = await harness.invoke('prepare', base);
    const systemId = (prepared.json.details as Record<string, string>)['External:maas_system_id']!;
    const withMachine = createPayload({ host: hostDetails(harness.emulator), virtualmachine: { maas_system_id: systemId } });
    const cases: Array<[string, unknown]> = [
      ['status', withMachine],
      ['statuses', { externaldetails: { host: hostDetails(harness.emulator) } }],
      ['getconsole', withMachine],
      ['STATUS', withMachine],
      ['start', base],
      ['frobnicate', base],
      ['status', createPayload({ host: hostDetails(harness.emulator, { apikey: 'bad' }) })],
      ['status', createPayload({ host: hostDetails(harness.emulator), virtualmachine: { maas_system_id: 'nope42' } })],
    ];
    for (const [action, payload] of cases) {
      const deadline = Deadline.after(30_000);
      const inProcess = await maasExtension.run(action, parsePayload(payload), { deadline });
      deadline.dispose();
      const spawned = await harness.invoke(action, payload);
      assert.deepEqual(spawned.json, inProcess.output, action);
      assert.equal(spawned.code, inProcess.success ? 0 : 1, action);
    }
  });
});
