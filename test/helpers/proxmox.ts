import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HttpClient } from '../../src/clients/http/client.ts';
import { startProxmoxEmulator, type ProxmoxEmulator, type ProxmoxEmulatorOptions } from '../../src/emulators/proxmox/index.ts';
import { createPayload, testUuid, type CreatePayloadOptions, type NicSpec } from './payloads.ts';

/**
 * Test harness for the Proxmox extension against the Proxmox emulator: the emulator's control API, payloads
 * pointing at it, and the bundled executable spawned exactly as CloudStack spawns it.
 */

export const EXECUTABLE = resolve('dist/extorch-proxmox.js');

export interface EmulatedVm {
  readonly vmid: number;
  readonly name: string;
  readonly status: string;
  readonly template?: boolean | number;
  readonly lock?: string;
  readonly tags?: string;
  readonly description?: string;
  readonly config: Record<string, string | number>;
  readonly snapshots: Array<{ name: string }>;
  readonly node: string;
}

export class EmulatorHarness {
  readonly #controlClient: HttpClient;

  private constructor(readonly emulator: ProxmoxEmulator) {
    // The control API shares the emulator's self-signed HTTPS port; it is test plumbing, so no verification.
    this.#controlClient = new HttpClient({ baseUrl: new URL(`${emulator.url}/_emulator`), verifyTls: false });
  }

  static async start(options: ProxmoxEmulatorOptions = {}): Promise<EmulatorHarness> {
    return new EmulatorHarness(await startProxmoxEmulator(options));
  }

  get url(): string {
    return this.emulator.url;
  }

  /** Host details as an operator would enter them for a node (TLS verification off: self-signed emulator). */
  hostDetails(node = this.emulator.nodes[0]!, extra: Record<string, string> = {}): Record<string, string> {
    return {
      url: this.emulator.url,
      user: this.emulator.user,
      token: this.emulator.token,
      secret: this.emulator.secret,
      node,
      network_bridge: 'vmbr1',
      verify_tls_certificate: 'false',
      ...extra,
    };
  }

  async control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#controlClient.request({
      method,
      path: `/${path}`,
      timeoutMs: 10_000,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    const text = response.body.toString('utf8');
    if (response.status >= 300) throw new Error(`control ${method} ${path}: ${response.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async vms(): Promise<EmulatedVm[]> {
    const state = await this.control<{ nodes: Record<string, { vms: Array<Omit<EmulatedVm, 'node'>> }> }>('GET', 'state');
    return Object.entries(state.nodes).flatMap(([node, { vms }]) => vms.map((vm) => ({ ...vm, node })));
  }

  /** Guests that are not templates. */
  async guests(): Promise<EmulatedVm[]> {
    return (await this.vms()).filter((vm) => !vm.template);
  }

  async vm(vmid: number): Promise<EmulatedVm | undefined> {
    return (await this.vms()).find((vm) => vm.vmid === vmid);
  }

  async vmTaggedFor(uuid: string): Promise<EmulatedVm | undefined> {
    return (await this.vms()).find((vm) => (vm.tags ?? String(vm.config['tags'] ?? '')).split(/[;,\s]+/).includes(`cloudstack-${uuid.toLowerCase()}`));
  }

  configure(config: Record<string, unknown>): Promise<unknown> {
    return this.control('PUT', 'config', config);
  }

  addFault(rule: Record<string, unknown>): Promise<unknown> {
    return this.control('POST', 'faults', rule);
  }

  clearFaults(): Promise<unknown> {
    return this.control('DELETE', 'faults');
  }

  addVm(vm: { node: string; vmid: number; name: string; status?: 'running' | 'stopped'; template?: boolean; tags?: string; description?: string }): Promise<unknown> {
    return this.control('POST', 'vms', vm);
  }

  migrate(vmid: number, target: string): Promise<unknown> {
    return this.control('POST', `vms/${vmid}/migrate`, { target });
  }

  async reset(): Promise<void> {
    await this.clearFaults();
    await this.configure({ taskDurationMs: 0, fullCloneDurationMs: 0, storageLockTimeoutMs: 10_000, failTasks: {} });
    await this.control('POST', 'reset');
  }

  close(): Promise<void> {
    this.#controlClient.close();
    return this.emulator.close();
  }
}

export interface InstanceOptions extends CreatePayloadOptions {
  readonly node?: string;
}

/** A CloudStack instance payload for the emulator (template deploy of VM 9000 unless told otherwise). */
export function instancePayload(harness: EmulatorHarness, options: InstanceOptions = {}): Record<string, unknown> & { 'cloudstack.vm.details': Record<string, unknown> } {
  const uuid = options.uuid ?? testUuid();
  return createPayload({
    uuid,
    virtualmachine: { template_type: 'template', template_id: '9000' },
    ...options,
    host: { ...harness.hostDetails(options.node), ...(options.host ?? {}) },
  });
}

/** Copies `proxmox_vmid` from a prepare answer into the payload, as CloudStack's JSON merge does. */
export function withPreparedVmid(payload: ReturnType<typeof instancePayload>, vmid: string): ReturnType<typeof instancePayload> {
  const vm = payload['cloudstack.vm.details'];
  return { ...payload, 'cloudstack.vm.details': { ...vm, details: { ...(vm['details'] as Record<string, string>), proxmox_vmid: vmid } } };
}

export interface ExecutableResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as the one JSON document it must be. */
  readonly json: Record<string, unknown>;
}

let payloadDir: string | undefined;

async function payloadDirectory(): Promise<string> {
  payloadDir ??= await mkdtemp(join(tmpdir(), 'extorch-proxmox-payloads-'));
  return payloadDir;
}

export async function removePayloadDirectory(): Promise<void> {
  if (payloadDir) await rm(payloadDir, { recursive: true, force: true });
  payloadDir = undefined;
}

/** Writes the payload file (mode 0600) and runs `extorch-proxmox <action> <file> <timeout>` without a shell. */
export async function runExecutable(action: string, payload: unknown, timeoutSeconds = 60): Promise<ExecutableResult> {
  const file = join(await payloadDirectory(), `${testUuid()}.json`);
  await writeFile(file, typeof payload === 'string' ? payload : JSON.stringify(payload), { mode: 0o600 });
  await chmod(file, 0o600);
  return spawnExecutable([action, file, String(timeoutSeconds)]);
}

/** Starts the executable like `runExecutable` and hands back the process, e.g. to kill it as CloudStack does on timeout. */
export async function startExecutable(action: string, payload: unknown, timeoutSeconds = 60): Promise<{ child: ChildProcess; result: Promise<ExecutableResult> }> {
  const file = join(await payloadDirectory(), `${testUuid()}.json`);
  await writeFile(file, JSON.stringify(payload), { mode: 0o600 });
  const child = spawn(EXECUTABLE, [action, file, String(timeoutSeconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { child, result: collect(child) };
}

export function spawnExecutable(argv: readonly string[]): Promise<ExecutableResult> {
  return collect(spawn(EXECUTABLE, [...argv], { stdio: ['ignore', 'pipe', 'pipe'] }));
}

function collect(child: ChildProcessByStdio<null, Readable, Readable>): Promise<ExecutableResult> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = { unparsable: stdout };
      }
      resolvePromise({ exitCode, stdout, stderr, json });
    });
  });
}

/** A Proxmox property string (`virtio=MAC,bridge=vmbr1,tag=5`) as a map; Proxmox re-orders keys when it stores them. */
export function propertyMap(value: unknown): Record<string, string> {
  const entries = String(value ?? '')
    .split(',')
    .filter(Boolean)
    .map((part) => {
      const index = part.indexOf('=');
      return index < 0 ? [part, ''] : [part.slice(0, index), part.slice(index + 1)];
    });
  return Object.fromEntries(entries.map(([key, text]) => [key!.toLowerCase(), key === 'virtio' ? text!.toUpperCase() : text!]));
}

export type { NicSpec };
