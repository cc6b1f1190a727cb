// The `getconsole` output rules of extension-contract.md §5.6, with CloudStack's messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConsoleOutput } from '../../src/orchestrator/lifecycle/console.ts';

describe('getconsole output', () => {
  it('reads a direct url and a VNC target (port as string or number)', () => {
    assert.deepEqual(parseConsoleOutput('{"console":{"url":"https://maas/MAAS/r/machine/abc/summary","protocol":"direct"}}'), {
      protocol: 'direct',
      url: 'https://maas/MAAS/r/machine/abc/summary',
      passwordOneTimeUseOnly: false,
    });
    const vnc = parseConsoleOutput('{"console":{"host":"10.0.0.5","port":"5901","password":"PVEVNC:x","passwordonetimeuseonly":true,"protocol":"vnc"}}');
    assert.deepEqual(vnc, { protocol: 'vnc', host: '10.0.0.5', port: 5901, password: 'PVEVNC:x', passwordOneTimeUseOnly: true });
    assert.equal(parseConsoleOutput('{"console":{"host":"h","port":5902}}').port, 5902);
  });

  it('refuses what CloudStack refuses, with its messages', () => {
    const cases: Array<[string, string]> = [
      ['not json', 'Failed to parse output'],
      ['[1]', 'Failed to parse output'],
      ['{"status":"success"}', 'Missing console object in output'],
      ['{"console":"vnc"}', 'Missing console object in output'],
      ['{"console":{"host":"h"}}', 'Missing required fields in output'],
      ['{"console":{"port":5900}}', 'Missing required fields in output'],
      ['{"console":{"protocol":"direct"}}', 'Missing required fields in output'],
      ['{"console":{"host":"h","port":"59x0"}}', 'Failed to parse output'],
    ];
    for (const [output, message] of cases) assert.throws(() => parseConsoleOutput(output), { message }, output);
  });
});
