import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { WinRmClient } from '../../../src/clients/winrm/index.ts';
import { startHyperVEmulator } from '../../../src/emulators/hyperv/index.ts';

let directory: string;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'extorch-hyperv-'));
});

after(async () => {
  await rm(directory, { recursive: true, force: true });
});

function clientFor(info: { url: string; username: string; password: string }, ca?: string): WinRmClient {
  return new WinRmClient({ url: new URL(info.url), username: info.username, password: info.password, verifyTls: ca !== undefined, ...(ca ? { ca } : {}) });
}

describe('startHyperVEmulator', () => {
  it('serves the Hyper-V host over WinRM with the interpreter, and reports what CloudStack needs', async () => {
    const emulator = await startHyperVEmulator({ switchName: 'LabSwitch' });
    try {
      const info = emulator.readyInfo();
      assert.match(info.url, /^https:\/\/127\.0\.0\.1:\d+\/wsman$/);
      assert.equal(info.network_bridge, 'LabSwitch');
      for (const key of ['vhd_path', 'vm_path', 'template_path', 'iso_path'] as const) assert.match(info[key], /^C:\\/);
      const client = clientFor(info, emulator.certificatePem);
      const shell = await client.openShell();
      const templateExists = await shell.runPowerShell(`Test-Path -Path '${info.template_path.replace(/'/g, "''")}'`);
      assert.equal(templateExists.stdout.trim(), 'True');
      assert.equal((await shell.runPowerShell('(Get-VMSwitch).Name')).stdout, 'LabSwitch\r\n');
      const missing = await shell.runPowerShell("Get-VM -Name 'ghost'");
      assert.equal(missing.exitCode, 1);
      assert.deepEqual(missing.errors, ['Hyper-V was unable to find a virtual machine with name "ghost".']);
      assert.match(missing.stderr, /^Get-VM : Hyper-V was unable.*\n\s+\+ CategoryInfo\s+: InvalidArgument: \(ghost:String\) \[Get-VM\], VirtualizationException/);
      await shell.close();
      await client.close();
    } finally {
      await emulator.close();
    }
  });

  it('keeps the host in --state FILE across restarts', async () => {
    const stateFile = join(directory, 'hyperv-state.json');
    const first = await startHyperVEmulator({ stateFile });
    const client = clientFor(first);
    const shell = await client.openShell();
    const created = await shell.runPowerShell("New-VM -Name 'kept' -MemoryStartupBytes 1GB -Generation 1 -NoVHD | Out-Null");
    assert.equal(created.exitCode, 0, created.stderr);
    await shell.close();
    await client.close();
    await first.close();

    const second = await startHyperVEmulator({ stateFile });
    try {
      assert.deepEqual(second.host.vms.map((vm) => vm.name), ['kept']);
      await fetchControl(second.url, 'POST', '/_emulator/reset');
      assert.deepEqual(second.host.vms, [], 'reset gives a fresh host');
    } finally {
      await second.close();
    }
  });
});

async function fetchControl(url: string, method: string, path: string): Promise<number> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/\/wsman$/, path), { method, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('extorch emulate hyperv', () => {
  it('prints one ready line, serves WinRM, and saves its state on SIGTERM', async () => {
    const cli = join(process.cwd(), 'dist', 'extorch.js');
    assert.ok(existsSync(cli), 'run `npm run build` first (npm test does)');
    const stateFile = join(directory, 'cli-state.json');
    const child = spawn(process.execPath, [cli, 'emulate', 'hyperv', '--port', '0', '--state', stateFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', () => reject(new Error(`emulator exited early: ${stderr}`)));
      });
      const info = JSON.parse(line) as Record<string, string>;
      assert.deepEqual(Object.keys(info).sort(), ['iso_path', 'network_bridge', 'password', 'template_path', 'url', 'username', 'vhd_path', 'vm_path']);
      const client = clientFor({ url: info['url']!, username: info['username']!, password: info['password']! });
      const shell = await client.openShell();
      assert.equal((await shell.runPowerShell("New-VM -Name 'from-cli' -NoVHD | Select-Object -ExpandProperty Name")).stdout, 'from-cli\r\n');
      await shell.close();
      await client.close();
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { vms: Array<{ name: string }> };
    assert.deepEqual(saved.vms.map((vm) => vm.name), ['from-cli']);
  });

  it('rejects a bad port with a clear error', async () => {
    const cli = join(process.cwd(), 'dist', 'extorch.js');
    const child = spawn(process.execPath, [cli, 'emulate', 'hyperv', '--port', 'http'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(stderr, /Invalid port 'http'/);
  });
});
