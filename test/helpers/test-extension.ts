import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A user-defined extension as a real executable (a node script), written into a temp extensions root. It
 * implements the argv contract (`<action> <payload> <timeout>`), keeps one power-state file per instance,
 * and logs every call (argv, payload, file modes) to `state/calls.jsonl` for the tests to inspect.
 * `state/behaviour.json` makes actions fail, sleep, wait until released, or refuse `statuses`.
 */
const SCRIPT = String.raw`#!/usr/bin/env node
'use strict';
const fs = require('fs');
const path = require('path');
const [action, payloadFile, timeout] = process.argv.slice(2);
const dir = path.join(__dirname, 'state');
fs.mkdirSync(dir, { recursive: true });
const readJson = (file, fallback) => { try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return fallback; } };
const behaviour = readJson(path.join(dir, 'behaviour.json'), {});
const payload = JSON.parse(fs.readFileSync(payloadFile, 'utf8'));
const fileMode = fs.statSync(payloadFile).mode & 0o777;
const dirMode = fs.statSync(path.dirname(payloadFile)).mode & 0o777;
fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ action, timeout, fileMode, dirMode, payloadFile, payload }) + '\n');
fs.writeFileSync(path.join(dir, 'started-' + action), String(process.pid));
if (behaviour.hold && behaviour.hold[action]) {
  // Held until the test writes state/release-<action>; each release lets one held call through.
  const release = path.join(dir, 'release-' + action);
  for (;;) {
    try { fs.rmSync(release); break; } catch {}
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}
const sleepMs = behaviour.sleep && behaviour.sleep[action];
if (sleepMs) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, sleepMs);
if (behaviour.fail && behaviour.fail[action]) {
  process.stdout.write(JSON.stringify({ status: 'error', error: 'forced failure of ' + action }) + '\n');
  process.stderr.write('stderr noise\n');
  process.exit(3);
}
const name = payload.virtualmachinename;
const vmFile = (n) => path.join(dir, 'vm-' + n);
const print = (o) => process.stdout.write(JSON.stringify(o) + '\n');
switch (action.toLowerCase()) {
  case 'prepare': {
    const vm = payload['cloudstack.vm.details'] || {};
    const hex = (n) => (n % 256).toString(16).padStart(2, '0');
    const nics = (vm.nics || []).map((nic, i) => ({ uuid: nic.uuid, mac: '52:54:00:' + hex(Math.floor(vm.id / 256)) + ':' + hex(vm.id) + ':' + hex(10 + i) }));
    print({ details: { fake_vmid: '1' + String(Date.now() % 100000), 'External:prepared_by': 'test' }, nics });
    break;
  }
  case 'create':
  case 'start':
    fs.writeFileSync(vmFile(name), 'poweron');
    print({ status: 'success', message: action + ' done' });
    break;
  case 'stop':
    fs.writeFileSync(vmFile(name), 'poweroff');
    print({ status: 'success' });
    break;
  case 'reboot':
    print({ status: 'success' });
    break;
  case 'delete':
    fs.rmSync(vmFile(name), { force: true });
    print({ status: 'success' });
    break;
  case 'status': {
    let state = 'poweroff';
    try { state = fs.readFileSync(vmFile(name), 'utf8'); } catch {}
    print({ status: 'success', power_state: state });
    break;
  }
  case 'statuses': {
    if (behaviour.statusesUnsupported) { print({ status: 'error', message: 'Not supported' }); break; }
    const states = {};
    for (const file of fs.readdirSync(dir)) if (file.startsWith('vm-')) states[file.slice(3)] = fs.readFileSync(path.join(dir, file), 'utf8');
    print({ status: 'success', power_state: states });
    break;
  }
  case 'bigoutput':
    process.stdout.write('x'.repeat(300000));
    process.stderr.write('y'.repeat(100000));
    break;
  case 'echoparams':
    process.stdout.write(String((payload.parameters || {}).Name) + ' for ' + name);
    break;
  default:
    print({ error: 'Invalid action' });
    process.exit(1);
}
`;

export const TEST_EXTENSION_PATH = 'testext/testext.cjs';

export interface TestExtensionFiles {
  readonly stateDir: string;
  calls(): Promise<Array<{ action: string; timeout: string; fileMode: number; dirMode: number; payloadFile: string; payload: Record<string, unknown> }>>;
  setBehaviour(behaviour: { fail?: Record<string, boolean>; sleep?: Record<string, number>; hold?: Record<string, boolean>; statusesUnsupported?: boolean }): Promise<void>;
  /** Lets one call of an action held by `hold` finish. */
  release(action: string): Promise<void>;
  setPower(instanceName: string, state: 'poweron' | 'poweroff' | null): Promise<void>;
}

export async function writeTestExtension(extensionsRoot: string): Promise<TestExtensionFiles> {
  const file = join(extensionsRoot, TEST_EXTENSION_PATH);
  const stateDir = join(extensionsRoot, 'testext', 'state');
  await mkdir(stateDir, { recursive: true });
  await writeFile(file, SCRIPT);
  await chmod(file, 0o755);
  return {
    stateDir,
    async calls() {
      const text = await readFile(join(stateDir, 'calls.jsonl'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as never);
    },
    async setBehaviour(behaviour) {
      await writeFile(join(stateDir, 'behaviour.json'), JSON.stringify(behaviour));
    },
    async release(action) {
      await writeFile(join(stateDir, `release-${action}`), '');
    },
    async setPower(instanceName, state) {
      const path = join(stateDir, `vm-${instanceName}`);
      if (state === null) await import('node:fs/promises').then((fs) => fs.rm(path, { force: true }));
      else await writeFile(path, state);
    },
  };
}
