// `extorch sandbox`: seeded, usable by a CloudStack client straight away, and a restart keeps state without
// seeding twice. In-process for the seeding/restart checks, and the bundled CLI for `--json` and signals.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/api/logger.ts';
import { ZERO_TIMING, EMULATOR_STATE_FILES, emulatorConnections } from '../../src/sandbox/emulators.ts';
import { SANDBOX_EMULATORS_FILE, SANDBOX_INFO_FILE, startSandbox, type RunningSandbox } from '../../src/sandbox/sandbox.ts';
import { SANDBOX_NAMES } from '../../src/sandbox/seed.ts';
import { pythonCsClient, type Json, type WorkflowClient } from './clients.ts';

// `ui` is there because `npm test` builds the web console before the tests run.
const INFO_KEYS = ['apiurl', 'apikey', 'secretkey', 'username', 'password', 'ui'];

async function counts(client: WorkflowClient): Promise<Record<string, number>> {
  const count = async (command: string, params: Record<string, string> = {}) => Number((await client.sync(command, params)).count ?? 0);
  return {
    zones: await count('listZones'),
    pods: await count('listPods'),
    clusters: await count('listClusters'),
    hosts: await count('listHosts'),
    templates: await count('listTemplates', { templatefilter: 'all' }),
    offerings: await count('listServiceOfferings'),
    networks: await count('listNetworks'),
    instances: await count('listVirtualMachines'),
  };
}

describe('extorch sandbox', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'extorch-sandbox-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  const start = () => startSandbox({ directory, port: 0, timing: ZERO_TIMING, powerSyncIntervalMs: 0, logger: createLogger({ level: 'silent' }), defaultMetrics: false });

  it('seeds everything the documented workflow needs, deploys from every template, and keeps state across a restart', async () => {
    let sandbox: RunningSandbox = await start();
    let client = await pythonCsClient(sandbox.info.apiurl, { apiKey: sandbox.info.apikey, secretKey: sandbox.info.secretkey });
    let closed = false;
    try {
      const written = JSON.parse(await readFile(join(directory, SANDBOX_INFO_FILE), 'utf8')) as Json;
      assert.deepEqual(Object.keys(written).sort(), [...INFO_KEYS].sort());
      assert.deepEqual(written, { ...sandbox.info });
      assert.equal((await stat(join(directory, SANDBOX_INFO_FILE))).mode & 0o777, 0o600);
      // The emulators' credentials, for a human's Add host form and the console tests: private, like the keys.
      const connections = JSON.parse(await readFile(join(directory, SANDBOX_EMULATORS_FILE), 'utf8')) as Json;
      assert.deepEqual(connections, JSON.parse(JSON.stringify(emulatorConnections(sandbox.emulators))));
      assert.deepEqual(Object.keys(connections).sort(), ['hyperv', 'maas', 'proxmox']);
      assert.equal((await stat(join(directory, SANDBOX_EMULATORS_FILE))).mode & 0o777, 0o600);

      const before = await counts(client);
      assert.deepEqual(before, { zones: 1, pods: 1, clusters: 3, hosts: 3, templates: 5, offerings: 1, networks: 1, instances: 0 });
      const extensions = (await client.sync('listExtensions')).extension as Json[];
      assert.deepEqual(extensions.map((extension) => [extension.name, extension.state]).sort(), [['HyperV', 'Enabled'], ['MaaS', 'Enabled'], ['Proxmox', 'Enabled']]);
      const hosts = (await client.sync('listHosts')).host as Json[];
      assert.deepEqual(hosts.map((host) => host.state), ['Up', 'Up', 'Up']);
      const network = ((await client.sync('listNetworks')).network as Json[])[0]!;
      assert.equal(network.broadcasturi, 'vlan://100');

      // One instance from every seeded template, through a real client.
      for (const templateId of Object.values(sandbox.inventory.templateIds)) {
        const vm = (await client.async('deployVirtualMachine', { zoneid: sandbox.inventory.zoneId, templateid: templateId, serviceofferingid: sandbox.inventory.offeringId, networkids: sandbox.inventory.networkId })).virtualmachine as Json;
        assert.equal(vm.state, 'Running', `deploy from ${templateId}`);
      }
      const info = sandbox.info;
      await client.close();
      await sandbox.close();
      closed = true;

      sandbox = await start();
      closed = false;
      client = await pythonCsClient(sandbox.info.apiurl, { apiKey: sandbox.info.apikey, secretKey: sandbox.info.secretkey });
      assert.equal(sandbox.info.apikey, info.apikey, 'the same admin keys after a restart');
      assert.deepEqual(await counts(client), { ...before, instances: 5 }, 'nothing seeded twice');
      const vms = (await client.sync('listVirtualMachines')).virtualmachine as Json[];
      assert.deepEqual(vms.map((vm) => vm.state), ['Running', 'Running', 'Running', 'Running', 'Running']);
      // The emulators moved to new ports: the hosts' details were refreshed, so actions still reach them.
      const proxmoxVm = vms.find((vm) => vm.hostname === 'pve1')!;
      const stopped = (await client.async('stopVirtualMachine', { id: String(proxmoxVm.id) })).virtualmachine as Json;
      assert.equal(stopped.state, 'Stopped');
      const hypervVm = vms.find((vm) => vm.hostname === SANDBOX_NAMES.hypervHost)!;
      assert.equal(((await client.async('stopVirtualMachine', { id: String(hypervVm.id) })).virtualmachine as Json).state, 'Stopped');
      for (const file of Object.values(EMULATOR_STATE_FILES)) assert.ok(existsSync(join(directory, file)), file);
    } finally {
      await client.close();
      if (!closed) await sandbox.close();
    }
  });

  it('`extorch sandbox --json --port 0` prints the connection object as its first stdout line and stops on SIGTERM', async () => {
    const cliDirectory = await mkdtemp(join(tmpdir(), 'extorch-sandbox-cli-'));
    const child = spawn(process.execPath, ['dist/extorch.js', 'sandbox', '--json', '--port', '0', '--dir', cliDirectory], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const first = await lines.next();
      assert.equal(first.done, false, stderr);
      const info = JSON.parse(first.value as string) as Json;
      assert.deepEqual(Object.keys(info).sort(), [...INFO_KEYS].sort());
      assert.match(String(info.apiurl), /^http:\/\/127\.0\.0\.1:\d+\/client\/api$/);
      assert.equal(info.ui, new URL('/', String(info.apiurl)).href);
      const page = await fetch(String(info.ui));
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="root">|<script type="module"/);
      assert.deepEqual(JSON.parse(await readFile(join(cliDirectory, SANDBOX_INFO_FILE), 'utf8')), info);
      const proxmox = (JSON.parse(await readFile(join(cliDirectory, SANDBOX_EMULATORS_FILE), 'utf8')) as { proxmox: Json }).proxmox;
      assert.match(String(proxmox.url), /^https:\/\/127\.0\.0\.1:\d+/);
      const client = await pythonCsClient(String(info.apiurl), { apiKey: String(info.apikey), secretKey: String(info.secretkey) });
      assert.equal((await client.sync('listClusters')).count, 3);
      await client.close();
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(existsSync(join(cliDirectory, EMULATOR_STATE_FILES.proxmox)), 'emulator state saved on exit');
    } finally {
      // A failed assertion must not leave the sandbox running (the test would hang until its timeout).
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await rm(cliDirectory, { recursive: true, force: true });
    }
  });

  it('refuses an invalid port with one line', async () => {
    const child = spawn(process.execPath, ['dist/extorch.js', 'sandbox', '--port', '70000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(stderr, /Invalid port '70000'/);
  });
});
