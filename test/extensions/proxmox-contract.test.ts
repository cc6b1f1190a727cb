import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { testUuid } from '../helpers/payloads.ts';
import {
  EmulatorHarness,
  instancePayload,
  propertyMap,
  removePayloadDirectory,
  runExecutable,
  spawnExecutable,
  startExecutable,
  withPreparedVmid,
  type ExecutableResult,
} from '../helpers/proxmox.ts';

/**
 * Contract tests: the bundled `extorch-proxmox` spawned exactly as CloudStack spawns it (payload file + argv,
 * no shell) against the Proxmox emulator over HTTPS. Every run must print one JSON document on stdout, keep
 * stderr empty, and leave no VM behind that it should not.
 */
describe('extorch-proxmox executable against the Proxmox emulator', () => {
  let harness: EmulatorHarness;
  const outputs: ExecutableResult[] = [];

  before(async () => {
    harness = await EmulatorHarness.start({ nodes: ['pve1', 'pve2'] });
  });
  after(async () => {
    await harness.close();
    await removePayloadDirectory();
  });
  beforeEach(() => harness.reset());

  async function run(action: string, payload: unknown, timeoutSeconds = 60): Promise<ExecutableResult> {
    const result = await runExecutable(action, payload, timeoutSeconds);
    outputs.push(result);
    assert.equal(result.stderr, '', `${action}: stderr must stay empty`);
    assert.equal(result.stdout.trim().split('\n').length, 1, `${action}: exactly one line on stdout`);
    assert.ok(!('unparsable' in result.json), `${action}: stdout must be JSON: ${result.stdout}`);
    return result;
  }

  async function succeed(action: string, payload: unknown): Promise<Record<string, unknown>> {
    const result = await run(action, payload);
    assert.equal(result.exitCode, 0, `${action} failed: ${result.stdout}`);
    return result.json;
  }

  async function fail(action: string, payload: unknown, timeoutSeconds = 60): Promise<string> {
    const result = await run(action, payload, timeoutSeconds);
    assert.equal(result.exitCode, 1, `${action} should fail: ${result.stdout}`);
    assert.equal(result.json['status'], 'error');
    return String(result.json['error']);
  }

  /** prepare + create as CloudStack does on a first start; returns the payload with the merged VMID hint. */
  async function deploy(payload: ReturnType<typeof instancePayload>): Promise<ReturnType<typeof instancePayload>> {
    const prepared = await succeed('prepare', payload);
    const vmid = (prepared['details'] as Record<string, string>)['proxmox_vmid']!;
    assert.match(vmid, /^\d+$/);
    const merged = withPreparedVmid(payload, vmid);
    assert.deepEqual(await succeed('create', merged), { status: 'success', message: 'Instance created' });
    return merged;
  }

  function hostOnly(node = 'pve1'): Record<string, unknown> {
    return { externaldetails: { host: harness.hostDetails(node) } };
  }

  it('deploys from a template and runs every action with the reference outputs', async () => {
    const uuid = testUuid();
    const payload = await deploy(
      instancePayload(harness, {
        uuid,
        virtualmachine: { template_type: 'template', template_id: '9000', vm_name: 'web01' },
        nics: [{ mac: '02:01:00:cc:00:01', vlan: 1577 }],
      }),
    );
    const vm = await harness.vmTaggedFor(uuid);
    assert.ok(vm, 'the VM carries the ownership tag');
    assert.equal(vm.node, 'pve1');
    assert.equal(vm.name, 'web01');
    assert.equal(vm.status, 'running');
    assert.match(String(vm.config['description'] ?? vm.description), new RegExp(`cloudstack-vm-uuid: ${uuid}`));
    assert.deepEqual(propertyMap(vm.config['net0']), { virtio: '02:01:00:CC:00:01', bridge: 'vmbr1', tag: '1577', firewall: '0' });
    assert.equal(vm.config['net1'], undefined);
    assert.equal(Number(vm.config['cores']), 1);
    assert.equal(Number(vm.config['memory']), 512);

    assert.deepEqual(await succeed('status', payload), { status: 'success', power_state: 'poweron' });
    const statuses = await succeed('statuses', hostOnly());
    assert.equal((statuses['power_state'] as Record<string, string>)['web01'], 'poweron');
    assert.ok(!('ubuntu-24.04-template' in (statuses['power_state'] as object)), 'templates are not reported');

    assert.deepEqual(await succeed('stop', payload), { status: 'success', message: 'Instance stopped' });
    assert.deepEqual(await succeed('status', payload), { status: 'success', power_state: 'poweroff' });
    assert.deepEqual(await succeed('start', payload), { status: 'success', message: 'Instance started' });
    assert.deepEqual(await succeed('start', payload), { status: 'success', message: 'Instance started' }, 'start is idempotent');
    assert.deepEqual(await succeed('reboot', payload), { status: 'success', message: 'Instance rebooted' });

    const consoleAnswer = await succeed('getconsole', payload);
    assert.equal(consoleAnswer['message'], 'Console retrieved');
    const consoleInfo = consoleAnswer['console'] as Record<string, unknown>;
    assert.equal(consoleInfo['protocol'], 'vnc');
    assert.equal(consoleInfo['passwordonetimeuseonly'], true);
    assert.match(String(consoleInfo['port']), /^\d+$/);
    assert.ok(String(consoleInfo['host']).length > 0 && String(consoleInfo['password']).length > 0);

    const snapshotPayload = (parameters: Record<string, unknown>) => ({ ...payload, action: 'CreateSnapshot', parameters });
    assert.deepEqual(await succeed('CreateSnapshot', snapshotPayload({ snap_name: 'before-upgrade', snap_description: 'pre & post', snap_save_memory: true })), {
      status: 'success',
      message: 'Instance Snapshot created',
    });
    const listed = await succeed('ListSnapshots', payload);
    assert.equal(listed['printmessage'], 'true');
    const rows = listed['message'] as Array<Record<string, unknown>>;
    const snapshot = rows.find((row) => row['name'] === 'before-upgrade');
    assert.ok(snapshot, JSON.stringify(rows));
    assert.equal(snapshot['description'], 'pre & post');
    assert.match(String(snapshot['snaptime']), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.deepEqual(await succeed('RestoreSnapshot', snapshotPayload({ snap_name: 'before-upgrade' })), { status: 'success', message: 'Instance Snapshot restored' });
    assert.deepEqual(await succeed('status', payload), { status: 'success', power_state: 'poweron' }, 'a running VM stays running');
    assert.deepEqual(await succeed('DeleteSnapshot', snapshotPayload({ snap_name: 'before-upgrade' })), { status: 'success', message: 'Instance Snapshot deleted' });
    const after = (await succeed('listsnapshots', payload))['message'] as Array<Record<string, unknown>>;
    assert.ok(!after.some((row) => row['name'] === 'before-upgrade'));

    assert.deepEqual(await succeed('delete', payload), { status: 'success', message: 'Instance deleted' });
    assert.equal(await harness.vmTaggedFor(uuid), undefined);
    assert.deepEqual(await succeed('delete', payload), { status: 'success', message: 'Instance deleted' }, 'delete is idempotent');
    assert.deepEqual(await succeed('stop', payload), { status: 'success', message: 'Instance stopped' }, 'stop of a missing VM succeeds');
    assert.match(await fail('status', payload), /not found: no VM carries the tag cloudstack-/);
    assert.match(await fail('start', payload), /not found/);
  });

  it('deploys from an ISO with three NICs, tagging only VLAN networks, numbering them without gaps', async () => {
    const uuid = testUuid();
    await deploy(
      instancePayload(harness, {
        uuid,
        cpus: 2,
        ramBytes: 2 * 1024 ** 3,
        virtualmachine: { template_type: 'iso', iso_path: 'local:iso/ubuntu-24.04-live-server-amd64.iso', disk_size_gb: '32' },
        nics: [{ vlan: 100 }, { vlan: 'untagged' }, { vlan: null }],
      }),
    );
    const vm = await harness.vmTaggedFor(uuid);
    assert.ok(vm);
    assert.equal(vm.status, 'running');
    assert.match(String(vm.config['ide2']), /^local:iso\/ubuntu-24\.04-live-server-amd64\.iso,media=cdrom/);
    assert.match(String(vm.config['scsi0']), /local-lvm/);
    assert.equal(vm.config['ostype'], 'l26');
    assert.equal(Number(vm.config['cores']), 2);
    assert.equal(Number(vm.config['memory']), 2048);
    assert.deepEqual(propertyMap(vm.config['net0']), { virtio: '02:01:00:CC:00:01', bridge: 'vmbr1', tag: '100', firewall: '0' });
    assert.deepEqual(propertyMap(vm.config['net1']), { virtio: '02:01:00:CC:00:02', bridge: 'vmbr1', firewall: '0' }, 'vlan://untagged: no tag');
    assert.deepEqual(propertyMap(vm.config['net2']), { virtio: '02:01:00:CC:00:03', bridge: 'vmbr1', firewall: '0' }, 'no broadcast URI: no tag');
    assert.equal(vm.config['net3'], undefined);
  });

  it('deploys a full clone without NICs, removing the template NIC', async () => {
    const uuid = testUuid();
    await deploy(
      instancePayload(harness, {
        uuid,
        nics: [],
        host: { network_bridge: '' },
        virtualmachine: { template_type: 'template', template_id: '9000', is_full_clone: 'true', storage: 'local-lvm' },
      }),
    );
    const vm = await harness.vmTaggedFor(uuid);
    assert.ok(vm);
    assert.equal(vm.status, 'running');
    assert.ok(!Object.keys(vm.config).some((key) => /^net\d+$/.test(key)), JSON.stringify(vm.config));
  });

  it('clones a template of another node onto the host node', async () => {
    const uuid = testUuid();
    const payload = await deploy(instancePayload(harness, { uuid, node: 'pve2', nics: [{ vlan: 5 }] }));
    const vm = await harness.vmTaggedFor(uuid);
    assert.equal(vm?.node, 'pve2');
    assert.equal(vm?.status, 'running');
    assert.deepEqual(await succeed('status', payload), { status: 'success', power_state: 'poweron' });
  });

  it('re-allocates when the prepared VMID was taken meanwhile, and leaves the other VM alone', async () => {
    const uuid = testUuid();
    const payload = instancePayload(harness, { uuid });
    const prepared = await succeed('prepare', payload);
    const hint = Number((prepared['details'] as Record<string, string>)['proxmox_vmid']);
    await harness.addVm({ node: 'pve1', vmid: hint, name: 'someone-else', status: 'running', tags: 'cloudstack-00000000-0000-4000-8000-000000000000' });
    const merged = withPreparedVmid(payload, String(hint));
    assert.deepEqual(await succeed('create', merged), { status: 'success', message: 'Instance created' });
    const ours = await harness.vmTaggedFor(uuid);
    assert.ok(ours && ours.vmid !== hint);
    // Every later action follows the tag, not the stale hint.
    assert.deepEqual(await succeed('stop', merged), { status: 'success', message: 'Instance stopped' });
    assert.deepEqual(await succeed('delete', merged), { status: 'success', message: 'Instance deleted' });
    const foreign = await harness.vm(hint);
    assert.equal(foreign?.name, 'someone-else');
    assert.equal(foreign?.status, 'running');
  });

  it('follows a VM that HA moved to another node', async () => {
    const uuid = testUuid();
    const payload = await deploy(instancePayload(harness, { uuid, virtualmachine: { template_id: '9000', vm_name: 'moving' } }));
    const vm = await harness.vmTaggedFor(uuid);
    await harness.migrate(vm!.vmid, 'pve2');
    assert.deepEqual(await succeed('status', payload), { status: 'success', power_state: 'poweron' });
    assert.ok(!('moving' in ((await succeed('statuses', hostOnly('pve1')))['power_state'] as object)));
    assert.equal(((await succeed('statuses', hostOnly('pve2')))['power_state'] as Record<string, string>)['moving'], 'poweron');
    await succeed('stop', payload);
    assert.equal((await harness.vmTaggedFor(uuid))?.status, 'stopped');
  });

  it('never acts on an untagged VM that merely has the instance name at the hinted VMID', async () => {
    const uuid = testUuid();
    await harness.addVm({ node: 'pve1', vmid: 4242, name: 'legacy01', status: 'running' });
    const payload = withPreparedVmid(instancePayload(harness, { uuid, virtualmachine: { template_id: '9000', vm_name: 'legacy01' } }), '4242');
    assert.match(await fail('delete', payload), /VM 4242 on node pve1 is named 'legacy01' but does not carry the tag cloudstack-/);
    assert.equal((await harness.vm(4242))?.status, 'running');
  });

  it('refuses to guess when two VMs carry the instance tag', async () => {
    const uuid = testUuid();
    for (const vmid of [4300, 4301]) await harness.addVm({ node: 'pve1', vmid, name: 'twin', status: 'running', tags: `cloudstack-${uuid}` });
    const payload = instancePayload(harness, { uuid });
    assert.equal(
      await fail('delete', payload),
      `More than one Proxmox VM carries the tag cloudstack-${uuid} (4300 on pve1, 4301 on pve1); remove the extra ones`,
    );
    assert.equal((await harness.guests()).length, 2);
  });

  describe('bad input and failures: documented error, nothing left behind', () => {
    async function assertNoGuests(): Promise<void> {
      assert.deepEqual((await harness.guests()).map((vm) => `${vm.vmid}@${vm.node}`), []);
    }

    it('missing connection fields', async () => {
      const payload = instancePayload(harness, { host: { url: '', secret: '', node: '' } });
      assert.equal(await fail('create', payload), 'Missing required fields: url secret node');
      await assertNoGuests();
    });

    it('bad VM and snapshot names', async () => {
      assert.equal(
        await fail('create', instancePayload(harness, { virtualmachine: { template_id: '9000', vm_name: 'web_01' } })),
        "Invalid VM name 'web_01'. Only alphanumeric characters and dashes (-) are allowed.",
      );
      assert.equal(
        await fail('createsnapshot', { ...instancePayload(harness), parameters: { snap_name: 'a/b' } }),
        "Invalid Snapshot name 'a/b'. Only alphanumeric characters and dashes (-) are allowed.",
      );
      await assertNoGuests();
    });

    it('invalid JSON, a non-object payload, a missing file and missing arguments', async () => {
      assert.equal(await fail('create', '{"externaldetails": '), 'Invalid JSON in file');
      assert.equal(await fail('create', '[]'), 'Invalid JSON input');
      const missing = await spawnExecutable(['status', '/nonexistent/payload.json', '30']);
      assert.equal(missing.exitCode, 1);
      assert.deepEqual(missing.json, { status: 'error', error: 'JSON file not found: /nonexistent/payload.json' });
      const usage = await spawnExecutable([]);
      assert.equal(usage.exitCode, 1);
      assert.equal(usage.json['error'], 'Usage: extorch-proxmox <action> <payload-file> [timeout-seconds]');
      assert.equal(usage.stderr, '');
      await assertNoGuests();
    });

    it('unreachable host', async () => {
      const port = await closedPort();
      const error = await fail('status', instancePayload(harness, { host: { url: `127.0.0.1:${port}` } }));
      assert.equal(error, `Connection refused by 127.0.0.1:${port}`);
    });

    it('TLS verification on against the self-signed emulator fails clearly', async () => {
      const error = await fail('create', instancePayload(harness, { host: { verify_tls_certificate: 'true' } }));
      assert.match(error, /^TLS certificate verification failed for 127\.0\.0\.1:\d+ \(\w+\); install a trusted certificate or set verify_tls_certificate=false/);
      await assertNoGuests();
    });

    it('TLS verification stays on when the cluster CA is given in tls_ca_certificate', async () => {
      const pem = harness.emulator.certificatePem;
      const payload = instancePayload(harness, { uuid: testUuid(), host: { verify_tls_certificate: 'true', tls_ca_certificate: pem } });
      assert.deepEqual((await succeed('prepare', payload))['details'], { proxmox_vmid: '100' });
      assert.equal(
        await fail('prepare', instancePayload(harness, { host: { tls_ca_certificate: 'not a certificate' } })),
        'Invalid tls_ca_certificate: expected PEM certificates (-----BEGIN CERTIFICATE----- …)',
      );
    });

    it('a failing task: the created VM is removed and the task error reported', async () => {
      await harness.configure({ failTasks: { qmstart: 'start failed: QEMU exited with code 1' } });
      const uuid = testUuid();
      const payload = withPreparedVmid(instancePayload(harness, { uuid }), '100');
      assert.equal(await fail('create', payload), 'Task qmstart of VM 100 failed with exit status: start failed: QEMU exited with code 1');
      await assertNoGuests();
    });

    it('a failing clone task reports the reason and leaves nothing', async () => {
      await harness.configure({ failTasks: { qmclone: 'clone failed: out of space' } });
      assert.match(await fail('create', instancePayload(harness)), /^Task qmclone of VM 9000 failed with exit status: clone failed: out of space/);
      await assertNoGuests();
    });

    it('an API error carries Proxmox’s reason phrase', async () => {
      await harness.addFault({ method: 'PUT', path: '/config$', status: 500, message: "VM is locked (backup)", times: 1 });
      const error = await fail('create', instancePayload(harness, { uuid: testUuid() }));
      assert.match(error, /^PUT \/nodes\/pve1\/qemu\/\d+\/config: 500 VM is locked \(backup\)$/);
      await assertNoGuests();
    });

    it('storage lock timeout between two full clones: the loser fails cleanly, the winner is kept', async () => {
      await harness.configure({ fullCloneDurationMs: 1_500, storageLockTimeoutMs: 200 });
      const payloads = [testUuid(), testUuid()].map((uuid) =>
        instancePayload(harness, { uuid, virtualmachine: { template_id: '9000', is_full_clone: 'true', storage: 'local-lvm' } }),
      );
      const results = await Promise.all(payloads.map((payload) => runExecutable('create', payload, 60)));
      outputs.push(...results);
      const failed = results.filter((result) => result.exitCode !== 0);
      assert.equal(failed.length, 1, results.map((result) => result.stdout).join('\n'));
      assert.match(String(failed[0]!.json['error']), /lock/i);
      const guests = await harness.guests();
      assert.equal(guests.length, 1);
      assert.ok(guests[0]!.tags?.includes('cloudstack-'));
    });

    it('a dropped keep-alive connection on a GET is retried once; a dropped clone POST is not repeated', async () => {
      const uuid = testUuid();
      const payload = await deploy(instancePayload(harness, { uuid }));
      await harness.addFault({ method: 'GET', path: '/cluster/resources$', drop: true, times: 1 });
      assert.deepEqual(await succeed('status', payload), { status: 'success', power_state: 'poweron' });
      await harness.addFault({ method: 'POST', path: '/clone$', drop: true, times: 1 });
      const error = await fail('create', instancePayload(harness, { uuid: testUuid() }));
      assert.match(error, /^Connection to 127\.0\.0\.1:\d+ was closed before an answer$/);
      assert.deepEqual((await harness.guests()).map((vm) => vm.vmid), [(await harness.vmTaggedFor(uuid))!.vmid]);
    });

    it('a wrong token secret: the 401 reason is reported, the secret is not', async () => {
      const wrong = 'd1e2a3d4-0000-4000-8000-00000000beef';
      const result = await run('status', instancePayload(harness, { host: { secret: wrong } }));
      assert.equal(result.exitCode, 1);
      assert.match(String(result.json['error']), /^GET \/cluster\/resources: 401 /);
      assert.ok(!result.stdout.includes(wrong));
    });

    it('timeout while a clone is still running: the clone task is stopped and nothing is left', async () => {
      await harness.configure({ taskDurationMs: 4_000 });
      const started = Date.now();
      const error = await fail('create', instancePayload(harness, { uuid: testUuid() }), 3);
      // The 2.7 s deadline starts once the process runs; a loaded machine adds up to a second of Node start-up.
      assert.ok(Date.now() - started < 4_000, `took ${Date.now() - started} ms`);
      // Normally 'Timed out waiting for task qmclone of VM 9000 to finish'; a very slow machine may time out earlier.
      assert.match(error, /^Timed out/);
      assert.doesNotMatch(error, /cleanup incomplete/);
      await assertNoGuests();
    });

    it('killed by CloudStack mid-clone: the next create of the instance removes the leftover', async () => {
      await harness.configure({ taskDurationMs: 1_500 });
      const uuid = testUuid();
      const payload = instancePayload(harness, { uuid, virtualmachine: { template_id: '9000', vm_name: 'slow01' } });
      const { child, result } = await startExecutable('create', payload, 600);
      await waitFor(async () => (await harness.guests()).some((vm) => vm.lock === 'clone' || vm.config['lock'] === 'clone'));
      child.kill('SIGKILL'); // what CloudStack's destroyForcibly does when its wait expires
      assert.equal((await result).exitCode, null);
      // The clone finishes after its invoker died: an untagged VM with our name and description is left.
      await waitFor(async () => (await harness.guests()).some((vm) => vm.name === 'slow01'));
      const leftovers = await harness.guests();
      assert.equal(leftovers.length, 1);
      assert.equal(leftovers[0]!.name, 'slow01');
      assert.equal(leftovers[0]!.tags ?? '', '');
      await harness.configure({ taskDurationMs: 0 });
      assert.deepEqual(await succeed('create', payload), { status: 'success', message: 'Instance created' });
      const guests = await harness.guests();
      assert.equal(guests.length, 1);
      // The one VM left is the new, tagged one (the leftover was untagged).
      assert.equal((await harness.vmTaggedFor(uuid))?.vmid, guests[0]!.vmid);
      assert.equal(guests[0]!.status, 'running');
    });

    it('timeout expiry: the invocation ends within its timeout and removes what it made', async () => {
      await harness.addFault({ method: 'POST', path: '/status/start$', latencyMs: 8_000, times: 1 });
      const started = Date.now();
      const error = await fail('create', instancePayload(harness, { uuid: testUuid() }), 3);
      // The 2.7 s deadline starts once the process runs; a loaded machine adds up to a second of Node start-up.
      assert.ok(Date.now() - started < 4_000, `took ${Date.now() - started} ms`);
      assert.match(error, /Timed out/);
      await assertNoGuests();
    });
  });

  it('never prints the token secret, whatever happened', () => {
    assert.ok(outputs.length > 20);
    for (const output of outputs) {
      assert.ok(!output.stdout.includes(harness.emulator.secret), output.stdout);
      assert.ok(!output.stderr.includes(harness.emulator.secret), output.stderr);
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
