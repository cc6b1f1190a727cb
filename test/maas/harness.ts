import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMaasEmulator, type MaasEmulator, type MaasEmulatorOptions } from '../../src/emulators/maas/index.ts';

/** The bundled executable, spawned exactly as CloudStack does: `<path> <action> <payload-file> <timeout>`. */
export const MAAS_EXECUTABLE = resolve('dist/extorch-maas.js');

export interface Invocation {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly json: Record<string, unknown>;
}

export class MaasHarness {
  readonly #dir: string;
  #files = 0;

  private constructor(
    readonly emulator: MaasEmulator,
    dir: string,
  ) {
    this.#dir = dir;
  }

  static async start(options: MaasEmulatorOptions = {}): Promise<MaasHarness> {
    const emulator = await startMaasEmulator({ port: 0, ...options });
    return new MaasHarness(emulator, await mkdtemp(join(tmpdir(), 'extorch-maas-')));
  }

  /** Runs the executable with a payload file, like CloudStack's ExternalPathPayloadProvisioner. */
  async invoke(action: string, payload: unknown, timeoutSeconds = 60): Promise<Invocation> {
    this.#files += 1;
    const file = join(this.#dir, `payload-${this.#files}.json`);
    await writeFile(file, JSON.stringify(payload), { mode: 0o600 });
    return new Promise((resolvePromise) => {
      execFile(MAAS_EXECUTABLE, [action, file, String(timeoutSeconds)], { timeout: (timeoutSeconds + 10) * 1000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          json = { unparsable: stdout };
        }
        resolvePromise({ code, stdout, stderr, json });
      });
    });
  }

  /** A control-API call (`/_emulator/...`). */
  async control(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.emulator.endpoint}/_emulator/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`control ${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }

  async close(): Promise<void> {
    await this.emulator.close();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** The host details CloudStack passes for a MAAS host. */
export function hostDetails(emulator: MaasEmulator, overrides: Record<string, string> = {}): Record<string, string> {
  return { endpoint: emulator.endpoint, apikey: emulator.apikey, ...overrides };
}
