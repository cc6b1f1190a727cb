import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { HttpClient } from '../../../src/clients/http/client.ts';

/** Spawns the bundled CLI and resolves with its JSON ready line. */
async function spawnEmulator(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; ready: Record<string, unknown>; stderr: () => string }> {
  const child = spawn(process.execPath, ['dist/extorch.js', 'emulate', 'proxmox', ...args], { stdio: 'pipe' });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise<string>((resolve) => lines.once('line', resolve)),
    once(child, 'exit').then(([code]) => {
      throw new Error(`emulator exited with ${code}: ${stderr}`);
    }),
  ]);
  return { child, ready: JSON.parse(first) as Record<string, unknown>, stderr: () => stderr };
}

describe('extorch emulate proxmox (CLI)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'extorch-cli-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints one ready line with the real port, serves the API, and saves state on SIGTERM', async () => {
    const stateFile = join(dir, 'state.json');
    // A long task time, so that the task is surely still running when the test looks at it.
    const { child, ready, stderr } = await spawnEmulator(['--port', '0', '--nodes', 'pve1,pve2', '--state', stateFile, '--task-ms', '1500']);
    try {
      assert.deepEqual(Object.keys(ready).sort(), ['nodes', 'secret', 'token', 'url', 'user']);
      assert.deepEqual(ready.nodes, ['pve1', 'pve2']);
      assert.equal(ready.user, 'root@pam');
      assert.equal(ready.token, 'extorch');
      const url = new URL(String(ready.url));
      assert.equal(url.hostname, '127.0.0.1');
      assert.notEqual(url.port, '0');
      assert.ok(Number(url.port) > 0);
      // The certificate is self-signed: this test opts out of verification explicitly.
      const http = new HttpClient({ baseUrl: url, verifyTls: false });
      const auth = { authorization: `PVEAPIToken=${ready.user}!${ready.token}=${ready.secret}` };
      const nodes = await http.request({ method: 'GET', path: '/api2/json/nodes', headers: auth, timeoutMs: 5000 });
      assert.equal(nodes.status, 200);
      const clone = await http.request({ method: 'POST', path: '/api2/json/nodes/pve1/qemu/9000/clone', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'newid=100&name=from-cli', timeoutMs: 5000 });
      const upid = (JSON.parse(clone.body.toString()) as { data: string }).data;
      const early = await http.request({ method: 'GET', path: `/api2/json/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`, headers: auth, timeoutMs: 5000 });
      assert.equal((JSON.parse(early.body.toString()) as { data: { status: string } }).data.status, 'running');
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const late = await http.request({ method: 'GET', path: `/api2/json/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`, headers: auth, timeoutMs: 5000 });
      assert.equal((JSON.parse(late.body.toString()) as { data: { exitstatus: string } }).data.exitstatus, 'OK');
      http.close();
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal(code, 0);
      assert.equal(stderr(), '');
      const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { cluster: { vms: Array<{ vmid: number; config: { name?: string } }> } };
      assert.equal(saved.cluster.vms.find((vm) => vm.vmid === 100)?.config.name, 'from-cli');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('reports a busy port, a bad node name and a foreign state file in one line', async () => {
    const { child: first, ready } = await spawnEmulator(['--port', '0']);
    try {
      const port = new URL(String(ready.url)).port;
      const cases: Array<[string[], RegExp]> = [
        [['--port', port], new RegExp(`^extorch: Cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use\\n$`)],
        [['--port', '0', '--nodes', 'pve1,bad.name'], /^extorch: Invalid node name 'bad\.name'\n$/],
        [['--port', '0', '--state', 'package.json'], /^extorch: State file package\.json is not an extorch Proxmox emulator state/],
      ];
      for (const [args, expected] of cases) {
        const child = spawn(process.execPath, ['dist/extorch.js', 'emulate', 'proxmox', ...args], { stdio: 'pipe' });
        let stderr = '';
        let stdout = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        const [code] = await once(child, 'exit');
        assert.equal(code, 1);
        assert.equal(stdout, '');
        assert.match(stderr, expected);
      }
    } finally {
      first.kill('SIGTERM');
      await once(first, 'exit');
    }
  });

  it('documents its defaults: port 8006, node pve1, 300 ms tasks', async () => {
    const child = spawn(process.execPath, ['dist/extorch.js', 'emulate', 'proxmox', '--help'], { stdio: 'pipe' });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    assert.match(stdout, /--port <port> .*\(default: 8006\)/);
    assert.match(stdout, /--nodes <names> .*\(default: "pve1"\)/);
    assert.match(stdout, /--task-ms <ms> .*\(default: 300\)/);
  });

  it('rejects an invalid port', async () => {
    const child = spawn(process.execPath, ['dist/extorch.js', 'emulate', 'proxmox', '--port', '70000'], { stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    assert.notEqual(code, 0);
    assert.match(stderr, /Invalid port '70000'/);
  });
});
