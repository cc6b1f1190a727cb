import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startEmulator } from './helpers.ts';
import type { TestApi } from './helpers.ts';

const run = promisify(execFile);

/**
 * Debian's python3-proxmoxer (a third-party client, installed by .ci/run) against the emulator, unchanged:
 * token auth, listing, creating and starting a VM, waiting on the task like its users do.
 */
const SCRIPT = String.raw`
import json, os, sys, time
from proxmoxer import ProxmoxAPI
from proxmoxer.core import ResourceException
host, port = os.environ["PVE_HOST"], os.environ["PVE_PORT"]
pve = ProxmoxAPI(host, port=port, user="root@pam", token_name="extorch", token_value=os.environ["PVE_SECRET"], verify_ssl=False)
out = {"nodes": [n["node"] for n in pve.nodes.get()]}
out["vms"] = sorted(vm["vmid"] for vm in pve.nodes("pve1").qemu.get())
vmid = int(pve.cluster.nextid.get())
upid = pve.nodes("pve1").qemu.post(vmid=vmid, name="from-proxmoxer", memory=1024, cores=1, net0="virtio,bridge=vmbr0", scsi0="local-lvm:4")
def wait(upid):
    while True:
        status = pve.nodes("pve1").tasks(upid).status.get()
        if status["status"] == "stopped":
            return status["exitstatus"]
        time.sleep(0.02)
out["create"] = wait(upid)
out["start"] = wait(pve.nodes("pve1").qemu(vmid).status.start.post())
out["status"] = pve.nodes("pve1").qemu(vmid).status.current.get()["status"]
try:
    pve.nodes("pve1").qemu(vmid).status.reboot.post()
    pve.nodes("pve1").qemu(4242).config.get()
except ResourceException as error:
    out["error"] = {"code": error.status_code, "content": error.content}
try:
    pve.nodes("pve1").qemu.post(vmid=50, start="true")
except ResourceException as error:
    out["invalid"] = {"code": error.status_code, "content": error.content, "errors": error.errors}
out["vmid"] = vmid
print(json.dumps(out))
`;

describe('proxmox emulator with the third-party client python3-proxmoxer', () => {
  let api: TestApi;
  let stop: () => Promise<void>;
  before(async () => {
    ({ api, stop } = await startEmulator({ nodes: ['pve1', 'pve2'], password: 'emulated-root-password' }));
  });
  after(() => stop());

  it('lists nodes and VMs, creates and starts a VM, and reads an error', async () => {
    const url = new URL(api.emulator.url);
    const { stdout } = await run('/usr/bin/python3', ['-c', SCRIPT], {
      env: { PATH: process.env.PATH ?? '', PVE_HOST: url.hostname, PVE_PORT: url.port, PVE_SECRET: api.emulator.secret },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout) as Record<string, unknown>;
    assert.deepEqual(result.nodes, ['pve1', 'pve2']);
    assert.deepEqual(result.vms, [9000]);
    assert.equal(result.vmid, 100);
    assert.equal(result.create, 'OK');
    assert.equal(result.start, 'OK');
    assert.equal(result.status, 'running');
    // proxmoxer reports the reason phrase as the error content: the message must be there.
    assert.deepEqual(result.error, { code: 500, content: "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist" });
    // proxmoxer 1.2 looks for `errors` inside `data` (null on errors), so it sees none; the status line carries the text.
    assert.deepEqual(result.invalid, { code: 400, content: 'Parameter verification failed.', errors: null });
    const config = (await api.ok('GET', '/nodes/pve1/qemu/100/config')) as Record<string, unknown>;
    assert.equal(config.name, 'from-proxmoxer');
    assert.match(String(config.scsi0), /^local-lvm:vm-100-disk-0,size=4G$/);
  });

  it('logs in with a password ticket and writes with the CSRF token', async () => {
    const url = new URL(api.emulator.url);
    const script = String.raw`
import json, os, time
from proxmoxer import ProxmoxAPI
pve = ProxmoxAPI(os.environ["PVE_HOST"], port=os.environ["PVE_PORT"], user="root@pam", password=os.environ["PVE_PASSWORD"], verify_ssl=False)
upid = pve.nodes("pve2").qemu.post(vmid=4321, name="ticket-vm")
while pve.nodes("pve2").tasks(upid).status.get()["status"] != "stopped":
    time.sleep(0.02)
print(json.dumps({"exit": pve.nodes("pve2").tasks(upid).status.get()["exitstatus"], "user": pve.nodes("pve2").tasks(upid).status.get()["user"]}))
`;
    const { stdout } = await run('/usr/bin/python3', ['-c', script], {
      env: { PATH: process.env.PATH ?? '', PVE_HOST: url.hostname, PVE_PORT: url.port, PVE_PASSWORD: api.emulator.password },
      timeout: 60_000,
    });
    assert.deepEqual(JSON.parse(stdout), { exit: 'OK', user: 'root@pam' });
    assert.equal(((await api.ok('GET', '/nodes/pve2/qemu/4321/config')) as Record<string, unknown>).name, 'ticket-vm');
  });
});
