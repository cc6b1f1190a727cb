// The real `extorch sandbox`, exactly what `npm start` runs, spawned from the build (`dist/extorch.js`) with
// `--json --port 0` and its own fresh state directory: the console's end-to-end tests drive it like a user who
// just ran `npm start`. What they need to know comes from what the sandbox hands out: the first stdout line
// (`{apiurl, apikey, secretkey, username, password, ui}`) and the emulators' connection details it writes to
// `<dir>/emulators.json`. Stopped with SIGTERM (as Ctrl-C would), and its directory removed.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { EmulatorConnections } from '../../src/sandbox/emulators.ts';
import { SANDBOX_EMULATORS_FILE } from '../../src/sandbox/files.ts';
import type { SandboxInfo } from '../../src/sandbox/sandbox.ts';
import { signedClient, type SignedClient } from './signed-client.ts';

const EXTORCH = fileURLToPath(new URL('../../dist/extorch.js', import.meta.url));
/** Seeding and start-up take a few seconds; a loaded 2-core machine can take many more. */
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
/** Enough of stderr (JSON logs, redacted) to explain a failed start. */
const STDERR_KEPT = 4_000;

export interface SandboxProcess {
  readonly info: SandboxInfo & { readonly ui: string };
  /** The admin's signed API client (the keys of `info`). */
  readonly api: SignedClient;
  readonly emulators: EmulatorConnections;
  readonly directory: string;
  /** SIGTERM, wait for the exit (SIGKILL after a while), remove the directory. Safe to call twice. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await done;
  clearTimeout(timer);
}

/** Reads the first stdout line, or fails with the tail of stderr when the sandbox exits or hangs first. */
async function firstLine(child: ChildProcess, stdout: Readable, stderrTail: () => string): Promise<string> {
  const lines = createInterface({ input: stdout });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`extorch sandbox printed nothing within ${READY_TIMEOUT_MS} ms: ${stderrTail()}`)), READY_TIMEOUT_MS);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`extorch sandbox exited (${signal ?? code}) before it was ready: ${stderrTail()}`));
      });
    });
  } finally {
    lines.close();
    // Nothing else is expected on stdout, but a full pipe must never block the sandbox.
    stdout.resume();
  }
}

export async function startSandboxProcess(): Promise<SandboxProcess> {
  if (!existsSync(EXTORCH)) throw new Error('dist/extorch.js is missing: run `npm run build` first');
  const directory = await mkdtemp(join(tmpdir(), 'extorch-sandbox-e2e-'));
  const child = spawn(process.execPath, [EXTORCH, 'sandbox', '--json', '--port', '0', '--dir', directory], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Should the test process exit without its after() hook, the sandbox must not outlive it (nor its files).
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(directory, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT);
  });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await stopChild(child);
      process.removeListener('exit', killOnExit);
      await rm(directory, { recursive: true, force: true });
    })());
  try {
    const info = JSON.parse(await firstLine(child, child.stdout, () => stderr)) as SandboxInfo;
    if (!info.ui) throw new Error('extorch sandbox serves no console: run `npm run build` first');
    const emulators = JSON.parse(await readFile(join(directory, SANDBOX_EMULATORS_FILE), 'utf8')) as EmulatorConnections;
    return {
      info: { ...info, ui: info.ui },
      api: signedClient(info.apiurl, { apiKey: info.apikey, secretKey: info.secretkey }),
      emulators,
      directory,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
