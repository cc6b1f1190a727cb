// `extorch serve`: configuration from a file and the environment (bad settings refused by name, never by
// value), and the bundled command serving the API, /metrics and JSON logs with secrets redacted.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadServeConfig } from '../../src/runtime/config.ts';

describe('extorch serve configuration', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'extorch-serve-config-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  it('uses defaults, reads the file, and lets the environment override it', async () => {
    const file = join(directory, 'extorch.json');
    await writeFile(file, JSON.stringify({ port: 9090, secretsKey: 'file-secrets-key-0123456789', databaseUrl: '/var/lib/extorch/extorch.db', powerSyncIntervalSeconds: 30 }));
    const fromFile = await loadServeConfig({ file, env: {} });
    assert.equal(fromFile.port, 9090);
    assert.equal(fromFile.host, '127.0.0.1');
    assert.deepEqual(fromFile.database, { kind: 'sqlite', file: '/var/lib/extorch/extorch.db' });
    assert.equal(fromFile.powerSyncIntervalMs, 30_000);
    assert.deepEqual(fromFile.executableBuiltins, []);
    const overridden = await loadServeConfig({ file, env: { EXTORCH_DATABASE_URL: 'postgres://extorch@db/extorch', EXTORCH_LISTEN_PORT: '8081', EXTORCH_EXECUTABLE_BUILTINS: 'Proxmox, HyperV' } });
    assert.deepEqual(overridden.database, { kind: 'postgres', url: 'postgres://extorch@db/extorch' });
    assert.equal(overridden.port, 8081);
    assert.deepEqual(overridden.executableBuiltins, ['Proxmox', 'HyperV']);
    assert.equal(fromFile.nodeName, undefined, 'the orchestrator defaults the node name to the host name');
    assert.equal((await loadServeConfig({ file, env: { EXTORCH_NODE_NAME: 'orch-2' } })).nodeName, 'orch-2');
    const keyFile = join(directory, 'secrets.key');
    await writeFile(keyFile, 'a-key-kept-in-a-file-0123\n');
    assert.equal((await loadServeConfig({ env: { EXTORCH_SECRETS_KEY_FILE: keyFile } })).secretsKey, 'a-key-kept-in-a-file-0123');
  });

  it('refuses bad settings by name without echoing the value', async () => {
    await assert.rejects(loadServeConfig({ env: {} }), (error: Error) => error instanceof ConfigError && /EXTORCH_SECRETS_KEY/.test(error.message));
    await assert.rejects(loadServeConfig({ env: { EXTORCH_SECRETS_KEY: 'short-secret' } }), (error: Error) => {
      assert.match(error.message, /secretsKey \(EXTORCH_SECRETS_KEY\)/);
      assert.doesNotMatch(error.message, /short-secret/);
      return true;
    });
    await assert.rejects(loadServeConfig({ env: { EXTORCH_SECRETS_KEY: 'long-enough-secret-key', EXTORCH_LISTEN_PORT: '99999' } }), /port \(EXTORCH_LISTEN_PORT\)/);
    await assert.rejects(loadServeConfig({ env: { EXTORCH_SECRETS_KEY: 'long-enough-secret-key', EXTORCH_EXECUTABLE_BUILTINS: 'Xen' } }), /executableBuiltins/);
    await assert.rejects(loadServeConfig({ env: { EXTORCH_SECRETS_KEY: 'long-enough-secret-key', EXTORCH_NODE_NAME: 'orch 1; rm' } }), /nodeName \(EXTORCH_NODE_NAME\)/);
    const file = join(directory, 'typo.json');
    await writeFile(file, JSON.stringify({ prot: 8080 }));
    await assert.rejects(loadServeConfig({ file, env: { EXTORCH_SECRETS_KEY: 'long-enough-secret-key' } }), /prot/);
    await assert.rejects(loadServeConfig({ file: join(directory, 'absent.json'), env: {} }), /Cannot read the config file/);
  });
});

describe('extorch serve (bundled command)', () => {
  it('serves the API and /metrics, logs JSON with secrets redacted, installs executable in-built entry points, and stops on SIGTERM', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'extorch-serve-'));
    const secretsKey = 'serve-test-secrets-key-0123456789';
    const adminPassword = 'serve-admin-Pa55word';
    const child = spawn(process.execPath, ['dist/extorch.js', 'serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        EXTORCH_DATABASE_URL: join(directory, 'extorch.db'),
        EXTORCH_LISTEN_PORT: '0',
        EXTORCH_SECRETS_KEY: secretsKey,
        EXTORCH_EXTENSIONS_ROOT: join(directory, 'extensions'),
        EXTORCH_DATA_ROOT: join(directory, 'data'),
        EXTORCH_ADMIN_PASSWORD: adminPassword,
        EXTORCH_EXECUTABLE_BUILTINS: 'Proxmox',
        EXTORCH_LOG_LEVEL: 'info',
      },
    });
    try {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const output: string[] = [];
      const lines = createInterface({ input: child.stdout });
      const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
        lines.on('line', (line) => {
          output.push(line);
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (parsed.apiurl) resolve(parsed);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      const info = await ready;
      assert.equal(info.database, 'sqlite');
      const apiUrl = String(info.apiurl);
      // A session login carries the password in the form body: it must never reach the log.
      const login = await fetch(apiUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ command: 'login', username: 'admin', password: adminPassword, response: 'json' }) });
      assert.equal(login.status, 200);
      const refused = await fetch(`${apiUrl}?command=listZones&response=json&apikey=unknown&signature=forged`);
      assert.equal(refused.status, 401);
      const metrics = await (await fetch(String(info.metrics))).text();
      assert.match(metrics, /extorch_api_request_duration_seconds_count\{command="login",errorcode="0"\} 1/);
      assert.match(metrics, /extorch_process_resident_memory_bytes/);
      // The in-built Proxmox extension runs as the bundled executable installed at its seeded path.
      assert.ok(((await stat(join(directory, 'extensions', 'Proxmox', 'proxmox.sh'))).mode & 0o111) !== 0);

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(output.length >= 2, 'the ready line and log lines');
      for (const line of output) assert.doesNotThrow(() => JSON.parse(line), `every stdout line is JSON: ${line}`);
      const everything = output.join('\n') + stderr;
      assert.ok(!everything.includes(adminPassword), 'the password is not logged');
      assert.ok(!everything.includes(secretsKey), 'the secrets key is not logged');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(directory, { recursive: true, force: true });
    }
  });
});
