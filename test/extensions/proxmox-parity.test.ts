import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpClientPool } from '../../src/clients/http/pool.ts';
import { Deadline } from '../../src/contract/deadline.ts';
import type { ExtensionResult } from '../../src/contract/extension.ts';
import { parsePayload } from '../../src/contract/payload.ts';
import { createProxmoxExtension } from '../../src/extensions/proxmox/index.ts';
import { testUuid } from '../helpers/payloads.ts';
import { EmulatorHarness, instancePayload, removePayloadDirectory, runExecutable } from '../helpers/proxmox.ts';

/** The same extension object answers identically in-process (orchestrator) and as the spawned executable. */
describe('Proxmox extension: in-process and executable give the same answers', () => {
  let harness: EmulatorHarness;
  const connections = new HttpClientPool();
  const extension = createProxmoxExtension({ connections });

  before(async () => {
    harness = await EmulatorHarness.start({ nodes: ['pve1'] });
  });
  after(async () => {
    connections.closeAll();
    await harness.close();
    await removePayloadDirectory();
  });

  async function inProcess(action: string, payload: unknown): Promise<ExtensionResult> {
    const deadline = Deadline.after(30_000);
    try {
      return await extension.run(action, parsePayload(payload), { deadline });
    } finally {
      deadline.dispose();
    }
  }

  it('for reads, errors and host-level actions', async () => {
    const payload = instancePayload(harness, { uuid: testUuid(), virtualmachine: { template_id: '9000', vm_name: 'parity01' } });
    assert.equal((await inProcess('create', payload)).success, true);
    const snapshot = { ...payload, parameters: { snap_name: 'p1' } };
    assert.equal((await inProcess('createsnapshot', snapshot)).success, true);
    const cases: Array<[string, unknown]> = [
      ['status', payload],
      ['statuses', { externaldetails: { host: harness.hostDetails() } }],
      ['ListSnapshots', payload],
      ['status', instancePayload(harness, { uuid: testUuid() })],
      ['create', instancePayload(harness, { virtualmachine: { template_id: '9000', vm_name: 'bad name' } })],
      ['reboot', instancePayload(harness, { host: { node: '' } })],
      ['suspend', payload],
    ];
    for (const [action, input] of cases) {
      const local = await inProcess(action, input);
      const spawned = await runExecutable(action, input);
      assert.deepEqual(spawned.json, local.output, action);
      assert.equal(spawned.exitCode, local.success ? 0 : 1, action);
    }
  });
});
