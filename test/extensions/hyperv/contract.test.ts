/**
 * Contract tests: the bundled `dist/extorch-hyperv.js` spawned exactly as CloudStack does
 * (`<entry> <action> <payload-file> <timeout>`) against the WinRM/Hyper-V emulator over HTTPS + NTLM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runPowerShell } from '../../../src/emulators/hyperv/powershell/index.ts';
import { startTestHyperV } from '../../helpers/hyperv-emulator.ts';
import type { TestHyperV } from '../../helpers/hyperv-emulator.ts';
import { createPayload, testUuid } from '../../helpers/payloads.ts';

const ENTRY = join(process.cwd(), 'dist', 'extorch-hyperv.js');

interface Invocation {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

describe('extorch-hyperv executable against the Hyper-V emulator', () => {
  let emulator: TestHyperV;
  let dir: string;
  let fileCounter = 0;

  before(async () => {
    emulator = await startTestHyperV();
    dir = await mkdtemp(join(tmpdir(), 'extorch-hyperv-'));
  });
  after(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function invoke(action: string, payload: unknown, timeoutSeconds = 60): Promise<Invocation> {
    const file = join(dir, `${++fileCounter}.json`);
    await writeFile(file, JSON.stringify(payload));
    const child = spawn(process.execPath, [ENTRY, action, file, String(timeoutSeconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '', 'nothing on stderr (CloudStack merges it into the output)');
    assert.equal(stdout.trim().split('\n').length, 1, `exactly one line on stdout: ${stdout}`);
    return { code, stdout, stderr, json: JSON.parse(stdout) as Record<string, unknown> };
  }

  function vmPayload(uuid: string, options: Parameters<typeof createPayload>[0] = {}, extra: Record<string, unknown> = {}) {
    return { ...createPayload({ host: emulator.hostDetails(), uuid, ...options }), ...extra };
  }

  const templateVm = (generation: string) => ({ template_type: 'template', generation, template_path: emulator.host.defaults.templatePath });
  const isoVm = (generation: string) => ({ template_type: 'iso', generation, iso_path: emulator.host.defaults.isoPath, vhd_size_gb: '20' });
  const vmsNamed = (uuid: string) => emulator.host.vms.filter((vm) => vm.name.endsWith(uuid));
  const diskOf = (uuid: string) => Object.values(emulator.host.files).filter((file) => file.path.includes(uuid));
  const nics = (count: number) => Array.from({ length: count }, (_, index) => ({ mac: `02:01:00:cc:01:${String(index + 10)}`, vlan: 100 + index }));

  it('runs every action on a generation 2 template VM with three NICs', async () => {
    const uuid = testUuid();
    const payload = vmPayload(uuid, { virtualmachine: templateVm('2'), nics: nics(3), cpus: 2, ramBytes: 1024 ** 3 });
    const created = await invoke('create', payload);
    assert.deepEqual(created.json, { status: 'success', message: 'Instance created' });
    assert.equal(created.code, 0);
    const [vm] = vmsNamed(uuid);
    assert.equal(vm?.name, `i-2-45-VM-${uuid}`);
    assert.equal(vm?.state, 'Running');
    assert.equal(vm?.secureBoot, false);
    assert.deepEqual(vm?.networkAdapters.map((adapter) => [adapter.name, adapter.vlanMode, adapter.accessVlanId]), [['NIC1', 'Access', 100], ['NIC2', 'Access', 101], ['NIC3', 'Access', 102]]);

    const steps: Array<[string, Record<string, unknown>, Record<string, unknown>?]> = [
      ['status', { status: 'success', power_state: 'poweron' }],
      ['stop', { status: 'success', message: 'Instance stopped' }],
      ['status', { status: 'success', power_state: 'poweroff' }],
      ['start', { status: 'success', message: 'Instance started' }],
      ['reboot', { status: 'success', message: 'Instance rebooted' }],
      ['Suspend', { status: 'success', message: 'Instance suspended' }],
      ['Resume', { status: 'success', message: 'Instance resumed' }],
      ['ListSnapshots', { status: 'success', printmessage: 'true', message: [] }],
      ['CreateSnapshot', { status: 'success', message: "Snapshot 'snap-1' created" }, { action: 'CreateSnapshot', parameters: { snapshot_name: 'snap-1' } }],
      ['RestoreSnapshot', { status: 'success', message: "Snapshot 'snap-1' restored" }, { action: 'RestoreSnapshot', parameters: { snapshot_name: 'snap-1' } }],
      ['DeleteSnapshot', { status: 'success', message: "Snapshot 'snap-1' deleted" }, { action: 'DeleteSnapshot', parameters: { snapshot_name: 'snap-1' } }],
    ];
    for (const [action, expected, extra] of steps) {
      const result = await invoke(action, { ...payload, ...(extra ?? {}) });
      assert.deepEqual(result.json, expected, action);
      assert.equal(result.code, 0, action);
    }
    await invoke('CreateSnapshot', { ...payload, parameters: { snapshot_name: 'snap-2' } });
    const listed = await invoke('listsnapshots', payload);
    assert.deepEqual((listed.json.message as Array<{ Name: string }>).map((entry) => entry.Name), ['snap-2']);

    const statuses = await invoke('statuses', { externaldetails: { host: emulator.hostDetails() } });
    assert.equal((statuses.json.power_state as Record<string, string>)['i-2-45-VM'], 'poweroff');

    const consoleResult = await invoke('getconsole', payload);
    assert.deepEqual(consoleResult.json, { status: 'error', error: 'Operation not supported' });
    assert.equal(consoleResult.code, 1);

    assert.deepEqual((await invoke('delete', payload)).json, { status: 'success', message: 'Instance deleted' });
    assert.deepEqual(vmsNamed(uuid), []);
    assert.deepEqual(diskOf(uuid), [], 'delete removes the disk create made');
  });

  for (const [label, virtualmachine, nicCount] of [
    ['generation 1 template, no NIC', () => templateVm('1'), 0],
    ['generation 1 ISO, one NIC', () => isoVm('1'), 1],
    ['generation 2 ISO, three NICs', () => isoVm('2'), 3],
  ] as const) {
    it(`creates and deletes a ${label}`, async () => {
      const uuid = testUuid();
      const payload = vmPayload(uuid, { virtualmachine: virtualmachine(), nics: nics(nicCount) });
      const created = await invoke('create', payload);
      assert.deepEqual(created.json, { status: 'success', message: 'Instance created' });
      const [vm] = vmsNamed(uuid);
      assert.equal(vm?.networkAdapters.length, nicCount);
      assert.equal(vm?.generation, Number(virtualmachine().generation));
      if (virtualmachine().template_type === 'iso') assert.ok(vm?.dvdDrives.some((drive) => drive.path === emulator.host.defaults.isoPath));
      assert.equal(diskOf(uuid).length, 1);
      await invoke('delete', payload);
      assert.deepEqual(vmsNamed(uuid), []);
      assert.deepEqual(diskOf(uuid), []);
    });
  }

  it('runs concurrent invocations (as CloudStack does) without interference', async () => {
    const uuids = [testUuid(), testUuid(), testUuid()];
    const results = await Promise.all(uuids.map((uuid, index) => invoke('create', vmPayload(uuid, { virtualmachine: index === 1 ? isoVm('2') : templateVm('1'), nics: nics(index) }))));
    assert.deepEqual(results.map((result) => result.json), uuids.map(() => ({ status: 'success', message: 'Instance created' })));
    for (const uuid of uuids) assert.equal(vmsNamed(uuid)[0]?.state, 'Running');
    await Promise.all(uuids.map((uuid) => invoke('delete', vmPayload(uuid))));
    for (const uuid of uuids) {
      assert.deepEqual(vmsNamed(uuid), []);
      assert.deepEqual(diskOf(uuid), []);
    }
  });

  it('fails cleanly on bad input and leaves no VM or disk behind', async () => {
    const uuid = testUuid();
    const noUrl = await invoke('create', vmPayload(uuid, { host: { ...emulator.hostDetails(), url: '' }, virtualmachine: templateVm('1') }));
    assert.deepEqual(noUrl.json, { status: 'error', error: "Missing required field in JSON: 'url'" });
    assert.equal(noUrl.code, 1);

    const wrongPassword = await invoke('status', vmPayload(uuid, { host: { ...emulator.hostDetails(), password: 'Wrong-Passw0rd' } }));
    assert.equal(wrongPassword.code, 1);
    assert.match(String(wrongPassword.json.error), /rejected the credentials of 'Administrator'/);
    assert.ok(!wrongPassword.stdout.includes('Wrong-Passw0rd'));

    const missingTemplate = await invoke('create', vmPayload(uuid, { virtualmachine: { ...templateVm('2'), template_path: 'C:\\Templates\\nope.vhdx' } }));
    assert.equal(missingTemplate.json.error, "Template file 'C:\\Templates\\nope.vhdx' not found on the Hyper-V host");

    const hostileSnapshot = await invoke('CreateSnapshot', vmPayload(uuid, {}, { parameters: { snapshot_name: '"; Remove-VM * -Force; "' } }));
    assert.match(String(hostileSnapshot.json.error), /^Invalid Snapshot name/);

    const hostileName = await invoke('create', vmPayload(uuid, { virtualmachine: templateVm('2'), internalName: "x'; Remove-VM -Name * -Force; '" }));
    assert.match(String(hostileName.json.error), /^Invalid instance name/);

    await runPowerShell(emulator.host, "New-VM -Name 'victim' -NoVHD | Out-Null");
    const hostileSwitch = await invoke('create', vmPayload(uuid, { host: { ...emulator.hostDetails(), network_bridge: "x'; Remove-VM -Name victim -Force #" }, virtualmachine: templateVm('2') }));
    assert.equal(hostileSwitch.json.error, "Network switch 'x'; Remove-VM -Name victim -Force #' not found on the Hyper-V host");
    assert.equal(emulator.host.vms.filter((vm) => vm.name === 'victim').length, 1);

    const tooManyCpus = await invoke('create', vmPayload(uuid, { virtualmachine: templateVm('2'), cpus: 64 }));
    assert.match(String(tooManyCpus.json.error), /virtual processors/);

    assert.deepEqual(vmsNamed(uuid), []);
    assert.deepEqual(diskOf(uuid), []);
  });

  it('create with two NICs uses one shell and at most 12 HTTP requests after the NTLM handshake', async () => {
    const uuid = testUuid();
    const before = structuredClone(emulator.counters());
    await invoke('create', vmPayload(uuid, { virtualmachine: templateVm('2'), nics: nics(2) }));
    const afterCounters = emulator.counters();
    const operations = Object.values(afterCounters.byOperation).reduce((a, b) => a + b, 0) - Object.values(before.byOperation).reduce((a, b) => a + b, 0);
    assert.ok(operations <= 12, `${operations} WS-Man requests`);
    assert.equal((afterCounters.byOperation.Create ?? 0) - (before.byOperation.Create ?? 0), 1, 'one shell');
    await invoke('delete', vmPayload(uuid));
  });

  it('answers before CloudStack\'s timeout when the host is too slow, and leaves nothing behind', async () => {
    const uuid = testUuid();
    emulator.faults.add({ path: '^/wsman', latencyMs: 12_000 });
    try {
      const started = Date.now();
      const result = await invoke('create', vmPayload(uuid, { virtualmachine: templateVm('2') }), 10);
      assert.ok(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`);
      assert.equal(result.code, 1);
      assert.equal(result.json.status, 'error');
    } finally {
      emulator.faults.clear();
    }
    assert.deepEqual(vmsNamed(uuid), []);
    assert.deepEqual(diskOf(uuid), []);
  });
});
