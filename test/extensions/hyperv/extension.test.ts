import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { Deadline } from '../../../src/contract/deadline.ts';
import { parsePayload } from '../../../src/contract/payload.ts';
import { createHyperVHost } from '../../../src/emulators/hyperv/host-state.ts';
import type { HyperVHost } from '../../../src/emulators/hyperv/host-state.ts';
import { runPowerShell } from '../../../src/emulators/hyperv/powershell/index.ts';
import { alignMemory, internalNameOf } from '../../../src/extensions/hyperv/config.ts';
import { createHyperVExtension } from '../../../src/extensions/hyperv/index.ts';
import { interpreterSessions } from '../../helpers/hyperv-interpreter-session.ts';
import type { RecordedSessions } from '../../helpers/hyperv-interpreter-session.ts';
import { createPayload } from '../../helpers/payloads.ts';

const UUID = '126f4562-1f0f-4313-875e-6150cabeb72f';
const VM_NAME = `i-2-45-VM-${UUID}`;
const HOST_DETAILS = {
  url: 'hv1.example.test', username: 'Administrator', password: 'secret-Passw0rd', network_bridge: 'ExternalSwitch',
  vhd_path: 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks', vm_path: 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V',
};
const TEMPLATE_VM = { template_type: 'template', generation: '2', template_path: 'C:\\Templates\\ubuntu-24.04.vhdx' };
const ISO_VM = { template_type: 'ISO', generation: '1', iso_path: 'C:\\ISO\\ubuntu-24.04-live-server-amd64.iso', vhd_size_gb: '40' };

describe('Hyper-V extension (scripts run in the emulator interpreter)', () => {
  let host: HyperVHost;
  let recorded: RecordedSessions;
  const run = async (action: string, options: Parameters<typeof createPayload>[0] = {}, extra: Record<string, unknown> = {}) => {
    const extension = createHyperVExtension({ sessionFactory: recorded.factory });
    const payload = parsePayload({ ...createPayload({ host: HOST_DETAILS, uuid: UUID, ...options }), ...extra });
    return extension.run(action, payload, { deadline: Deadline.after(30_000) });
  };
  const vm = () => host.vms.find((candidate) => candidate.name === VM_NAME);

  beforeEach(() => {
    host = createHyperVHost();
    recorded = interpreterSessions(host);
  });

  it('creates a generation 2 VM from a template with two NICs in one session and one script', async () => {
    const result = await run('create', { virtualmachine: TEMPLATE_VM, cpus: 2, ramBytes: 2 * 1024 ** 3 });
    assert.deepEqual(result, { success: true, output: { status: 'success', message: 'Instance created' } });
    const created = vm()!;
    assert.equal(created.state, 'Running');
    assert.equal(created.generation, 2);
    assert.equal(created.secureBoot, false);
    assert.equal(created.processorCount, 2);
    assert.equal(created.memoryStartupBytes, 2 * 1024 ** 3);
    assert.match(created.notes, new RegExp(UUID));
    assert.deepEqual(created.networkAdapters.map((adapter) => [adapter.name, adapter.macAddress, adapter.switchName, adapter.vlanMode, adapter.accessVlanId]), [
      ['NIC1', '020100CC0001', 'ExternalSwitch', 'Access', 1577],
      ['NIC2', '020100CC0002', 'ExternalSwitch', 'Access', 1578],
    ]);
    assert.deepEqual(created.hardDrives.map((drive) => drive.path), [`${HOST_DETAILS.vhd_path}\\${VM_NAME}.vhdx`]);
    assert.equal(recorded.sessions.length, 1);
    assert.equal(recorded.sessions[0]!.scripts.length, 1);
    assert.ok(recorded.sessions[0]!.closed);
  });

  it('creates a generation 1 VM from an ISO (upper-case type accepted) with a new disk, no NIC and rounded memory', async () => {
    const result = await run('create', { virtualmachine: ISO_VM, nics: [], ramBytes: 1_000_000_000 });
    assert.equal(result.success, true, JSON.stringify(result.output));
    const created = vm()!;
    assert.equal(created.generation, 1);
    assert.equal(created.secureBoot, false);
    assert.equal(created.memoryStartupBytes, alignMemory(1_000_000_000));
    assert.equal(created.memoryStartupBytes % (2 * 1024 * 1024), 0);
    assert.ok(created.memoryStartupBytes >= 1_000_000_000);
    assert.deepEqual(created.networkAdapters, []);
    assert.equal(created.dvdDrives[0]?.path, ISO_VM.iso_path);
    assert.equal(host.files[`${HOST_DETAILS.vhd_path}\\${VM_NAME}.vhdx`.toLowerCase()]?.sizeBytes, 40 * 1024 ** 3);
  });

  it('untagged networks get no VLAN', async () => {
    await run('create', { virtualmachine: TEMPLATE_VM, nics: [{ mac: '02:00:00:00:00:0a', vlan: null }, { mac: '02:00:00:00:00:0b', vlan: 'untagged' }] });
    assert.deepEqual(vm()!.networkAdapters.map((adapter) => adapter.vlanMode), ['Untagged', 'Untagged']);
  });

  it('a failure half-way removes the VM and the copied disk and reports the original error', async () => {
    const result = await run('create', { virtualmachine: TEMPLATE_VM, cpus: 64 });
    assert.equal(result.success, false);
    assert.match(String(result.output.error), /virtual processors/);
    assert.equal(vm(), undefined);
    assert.equal(host.files[`${HOST_DETAILS.vhd_path}\\${VM_NAME}.vhdx`.toLowerCase()], undefined);
    assert.equal(recorded.sessions.length, 1);
    assert.equal(recorded.sessions[0]!.scripts.length, 2);
  });

  it('a New-VM failure after the template copy removes the copied disk', async () => {
    const result = await run('create', { virtualmachine: TEMPLATE_VM, ramBytes: 20 * 1024 ** 4 });
    assert.match(String(result.output.error), /memory/);
    assert.equal(host.vms.length, 0);
    assert.equal(host.files[`${HOST_DETAILS.vhd_path}\\${VM_NAME}.vhdx`.toLowerCase()], undefined);
    assert.ok(recorded.sessions[0]!.commands[1]!.includes('Remove-Item'), 'the undo script removed the disk');
  });

  it('a missing template fails before anything is made', async () => {
    const result = await run('create', { virtualmachine: { ...TEMPLATE_VM, template_path: 'C:\\Templates\\missing.vhdx' } });
    assert.equal(result.output.error, "Template file 'C:\\Templates\\missing.vhdx' not found on the Hyper-V host");
    assert.equal(host.vms.length, 0);
    assert.ok(!recorded.sessions[0]!.commands[0]!.includes('Copy-Item'));
  });

  it('refuses to create over an existing VM of the same name and leaves it alone', async () => {
    await run('create', { virtualmachine: TEMPLATE_VM });
    const result = await run('create', { virtualmachine: TEMPLATE_VM });
    assert.match(String(result.output.error), /already exists/);
    assert.equal(host.vms.length, 1);
    assert.equal(vm()!.state, 'Running');
  });

  it('validates input before connecting', async () => {
    const cases: Array<[Parameters<typeof createPayload>[0], RegExp]> = [
      [{ host: { ...HOST_DETAILS, url: '' }, virtualmachine: TEMPLATE_VM }, /Missing required field in JSON: 'url'/],
      [{ host: { ...HOST_DETAILS, network_bridge: '' }, virtualmachine: TEMPLATE_VM }, /'network_bridge'/],
      [{ virtualmachine: { ...TEMPLATE_VM, template_path: '' } }, /Missing required field in JSON: template_path/],
      [{ virtualmachine: { ...ISO_VM, vhd_size_gb: 'lots' } }, /Invalid vhd_size_gb/],
      [{ virtualmachine: { ...TEMPLATE_VM, generation: '3' } }, /Invalid generation/],
      [{ virtualmachine: { ...TEMPLATE_VM, template_path: 'C:\\T\\$(Stop-Computer).vhdx' } }, /Invalid template_path/],
      [{ virtualmachine: TEMPLATE_VM, nics: [{ mac: "02:00'; Remove-VM *", vlan: 5 }] }, /Invalid MAC address/],
      [{ virtualmachine: TEMPLATE_VM, internalName: "i-2-45-VM'; Remove-VM *" }, /Invalid instance name/],
    ];
    for (const [options, pattern] of cases) {
      const result = await run('create', { host: HOST_DETAILS, ...options });
      assert.equal(result.success, false);
      assert.match(String(result.output.error), pattern);
    }
    assert.equal(recorded.sessions.length, 0);
  });

  it('network_switch is accepted when network_bridge is absent', async () => {
    const { network_bridge: _unused, ...rest } = HOST_DETAILS;
    const result = await run('create', { host: { ...rest, network_switch: 'ExternalSwitch' }, virtualmachine: TEMPLATE_VM });
    assert.equal(result.success, true, JSON.stringify(result.output));
  });

  it('runs the lifecycle with the reference messages and power states', async () => {
    await run('create', { virtualmachine: TEMPLATE_VM });
    const expect = async (action: string, output: Record<string, unknown>) => assert.deepEqual((await run(action)).output, output, action);
    await expect('status', { status: 'success', power_state: 'poweron' });
    await expect('stop', { status: 'success', message: 'Instance stopped' });
    await expect('status', { status: 'success', power_state: 'poweroff' });
    await expect('stop', { status: 'success', message: 'Instance stopped' });
    await expect('start', { status: 'success', message: 'Instance started' });
    await expect('start', { status: 'success', message: 'Instance started' });
    await expect('reboot', { status: 'success', message: 'Instance rebooted' });
    await expect('Suspend', { status: 'success', message: 'Instance suspended' });
    await expect('status', { status: 'success', power_state: 'unknown' });
    await expect('Resume', { status: 'success', message: 'Instance resumed' });
    await expect('statuses', { status: 'success', power_state: { 'i-2-45-VM': 'poweron' } });
    await expect('delete', { status: 'success', message: 'Instance deleted' });
    assert.equal(host.vms.length, 0);
    assert.equal(host.files[`${HOST_DETAILS.vhd_path}\\${VM_NAME}.vhdx`.toLowerCase()], undefined, 'delete removes the disk create made');
    await expect('delete', { status: 'success', message: 'Instance deleted' });
    await expect('stop', { status: 'success', message: 'Instance stopped' });
    assert.deepEqual((await run('status')).output, { status: 'error', error: `Instance '${VM_NAME}' not found on the Hyper-V host` });
    assert.equal((await run('start')).success, false);
    assert.ok(recorded.sessions.every((session) => session.scripts.length === 1 && session.closed));
  });

  it('statuses of an empty host is an empty map', async () => {
    assert.deepEqual((await run('statuses')).output, { status: 'success', power_state: {} });
  });

  it('statuses reports every VM of the host, mapped back to internal names', async () => {
    await run('create', { virtualmachine: TEMPLATE_VM });
    await runPowerShell(host, "New-VM -Name 'foreign' -NoVHD | Out-Null");
    assert.deepEqual((await run('statuses')).output, { status: 'success', power_state: { 'i-2-45-VM': 'poweron', foreign: 'poweroff' } });
    assert.equal(internalNameOf(`r-7-VM-${UUID}`), 'r-7-VM');
  });

  it('snapshots: empty list, create, list, restore, delete, with the reference messages', async () => {
    await run('create', { virtualmachine: TEMPLATE_VM });
    const snap = (name: unknown) => ({ parameters: { snapshot_name: name } });
    assert.deepEqual((await run('ListSnapshots')).output, { status: 'success', printmessage: 'true', message: [] });
    assert.deepEqual((await run('CreateSnapshot', {}, snap('before-upgrade'))).output, { status: 'success', message: "Snapshot 'before-upgrade' created" });
    const listed = (await run('listsnapshots')).output as { message: Array<{ Name: string; CreationTime: string }> };
    assert.equal(listed.message.length, 1);
    assert.equal(listed.message[0]!.Name, 'before-upgrade');
    assert.match(listed.message[0]!.CreationTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.match(String((await run('createsnapshot', {}, snap('before-upgrade'))).output.error), /already exists/);
    assert.deepEqual((await run('RestoreSnapshot', {}, snap('before-upgrade'))).output, { status: 'success', message: "Snapshot 'before-upgrade' restored" });
    assert.deepEqual((await run('DeleteSnapshot', {}, snap('before-upgrade'))).output, { status: 'success', message: "Snapshot 'before-upgrade' deleted" });
    assert.deepEqual((await run('deletesnapshot', {}, snap('before-upgrade'))).output, { status: 'error', error: "Snapshot 'before-upgrade' not found" });
    assert.equal((await run('createsnapshot', {}, snap('$(Stop-Computer)'))).output.error, "Invalid Snapshot name '$(Stop-Computer)'. Only alphanumeric characters and dashes (-) are allowed.");
    assert.equal((await run('createsnapshot', {}, snap(''))).output.error, 'Missing required field in JSON: snapshot_name');
    assert.equal((await run('createsnapshot')).output.error, "'snapshot_name'");
  });

  it('getconsole is not supported; unknown actions are invalid; secrets never appear in errors', async () => {
    assert.deepEqual((await run('getconsole')).output, { status: 'error', error: 'Operation not supported' });
    assert.deepEqual((await run('prepare')).output, { status: 'error', error: 'Invalid action' });
    const result = await run('create', { host: { ...HOST_DETAILS, vhd_path: `C:\\${HOST_DETAILS.password}*` }, virtualmachine: TEMPLATE_VM });
    assert.ok(!JSON.stringify(result.output).includes(HOST_DETAILS.password));
  });

  it('when the connection fails after the host ran create, removes only what carries this invocation\'s tag', async () => {
    // The first script runs on the host, then the transport "fails" before the answer arrives.
    let calls = 0;
    const flaky = createHyperVExtension({
      sessionFactory: (connection) => {
        const inner = recorded.factory(connection);
        return {
          async run(script, signal) {
            const output = await inner.run(script, signal);
            if (++calls === 1) throw new Error('Request to WinRM at hv1:5986 failed: socket hang up');
            return output;
          },
          close: () => inner.close(),
        };
      },
    });
    const payload = parsePayload(createPayload({ host: HOST_DETAILS, uuid: UUID, virtualmachine: TEMPLATE_VM }));
    const result = await flaky.run('create', payload, { deadline: Deadline.after(30_000) });
    assert.deepEqual(result.output, { status: 'error', error: 'Request to WinRM at hv1:5986 failed: socket hang up' });
    assert.equal(vm(), undefined);
    assert.equal(host.files[`${HOST_DETAILS.vhd_path}\\${VM_NAME}.vhdx`.toLowerCase()], undefined);
    assert.equal(calls, 2);
  });

  it('after a lost connection, a same-named VM without this invocation\'s tag is left alone', async () => {
    await runPowerShell(host, `New-VM -Name '${VM_NAME}' -NoVHD | Out-Null`);
    const failing = createHyperVExtension({
      sessionFactory: (connection) => {
        const inner = recorded.factory(connection);
        let first = true;
        return {
          async run(script, signal) {
            const output = await inner.run(script, signal);
            if (first) {
              first = false;
              throw new Error('connection reset');
            }
            return output;
          },
          close: () => inner.close(),
        };
      },
    });
    const payload = parsePayload(createPayload({ host: HOST_DETAILS, uuid: UUID, virtualmachine: TEMPLATE_VM }));
    assert.equal((await failing.run('create', payload, { deadline: Deadline.after(30_000) })).success, false);
    assert.equal(host.vms.length, 1, 'the foreign VM survives');
  });

  it('finds VMs the reference created under the bare internal name, and deletes them with their disk', async () => {
    const disk = `${HOST_DETAILS.vhd_path}\\i-2-45-VM.vhdx`;
    await runPowerShell(host, `Copy-Item 'C:\\Templates\\ubuntu-24.04.vhdx' '${disk}'; New-VM -Name "i-2-45-VM" -MemoryStartupBytes 512.0MB -Generation 1 -VHDPath "${disk}" | Out-Null; Start-VM -Name "i-2-45-VM"`);
    assert.deepEqual((await run('status')).output, { status: 'success', power_state: 'poweron' });
    assert.deepEqual((await run('stop')).output, { status: 'success', message: 'Instance stopped' });
    assert.deepEqual((await run('CreateSnapshot', {}, { parameters: { snapshot_name: 'legacy' } })).output, { status: 'success', message: "Snapshot 'legacy' created" });
    assert.deepEqual((await run('delete')).output, { status: 'success', message: 'Instance deleted' });
    assert.equal(host.vms.length, 0);
    assert.equal(host.files[disk.toLowerCase()], undefined);
  });

  it('prefers the VM named <internal name>-<uuid> over a legacy one', async () => {
    await runPowerShell(host, "New-VM -Name 'i-2-45-VM' -NoVHD | Out-Null");
    await run('create', { virtualmachine: TEMPLATE_VM });
    await run('stop');
    assert.equal(vm()!.state, 'Off');
    await run('start');
    assert.equal(vm()!.state, 'Running');
    assert.equal(host.vms.find((candidate) => candidate.name === 'i-2-45-VM')!.state, 'Off');
    assert.deepEqual((await run('statuses')).output, { status: 'success', power_state: { 'i-2-45-VM': 'poweron' } });
  });

  it('a script that hangs is abandoned at the deadline and the answer comes promptly', async () => {
    const hanging = createHyperVExtension({
      sessionFactory: () => ({
        run: (_script, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
        close: async () => undefined,
      }),
    });
    const payload = parsePayload(createPayload({ host: HOST_DETAILS, uuid: UUID, virtualmachine: TEMPLATE_VM }));
    const started = Date.now();
    // The deadline's timer is unref'd (a real invocation has its socket keeping the process alive).
    const keepAlive = setInterval(() => undefined, 50);
    const result = await hanging.run('create', payload, { deadline: Deadline.after(400) }).finally(() => clearInterval(keepAlive));
    assert.equal(result.success, false);
    assert.match(String(result.output.error), /Timed out/);
    assert.ok(Date.now() - started < 1_500, `${Date.now() - started} ms`);
  });
});
