import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Deadline } from '../../contract/deadline.ts';
import type { Extension } from '../../contract/extension.ts';
import { parsePayload } from '../../contract/payload.ts';
import { isExecutableFile } from './paths.ts';

/** What one invocation produced, in CloudStack's terms ([EPP] `executeExternalCommand`). */
export interface InvocationResult {
  readonly success: boolean;
  /** Trimmed output on success; `Exit code: N, Output: …`, `Timeout` or a configuration error otherwise. */
  readonly output: string;
  /** The trimmed stdout+stderr alone (what custom actions return as `details`). */
  readonly rawOutput: string;
  readonly exitCode: number | null;
  readonly durationMs: number;
}

/** How an extension is reached: an executable under the extensions root, or an in-process implementation. */
export type EntryPoint =
  | { readonly kind: 'executable'; readonly extensionName: string; readonly path: string }
  | { readonly kind: 'in-process'; readonly extensionName: string; readonly extension: Extension };

/** One finished invocation, for metrics: every extension, in-process or executable, in-built or user-defined. */
export interface InvocationObservation {
  readonly extension: string;
  readonly action: string;
  readonly outcome: 'success' | 'failure';
  readonly seconds: number;
}
export type InvocationObserver = (observation: InvocationObservation) => void;

/** Extra time granted after SIGTERM before SIGKILL is not useful here: CloudStack kills at once. */
const KILL_SIGNAL = 'SIGKILL';

function failure(output: string, rawOutput: string, exitCode: number | null, started: number): InvocationResult {
  return { success: false, output, rawOutput, exitCode, durationMs: Date.now() - started };
}

/**
 * Runs extension actions through the argv contract (extension-contract.md §3) or in-process through the
 * same `Extension` interface with the same payload object (ADR 0063).
 */
export class ExtensionRunner {
  readonly #dataRoot: string;
  readonly #observe: InvocationObserver | undefined;

  constructor(dataRoot: string, observe?: InvocationObserver) {
    this.#dataRoot = dataRoot;
    this.#observe = observe;
  }

  async run(entry: EntryPoint, action: string, payload: Record<string, unknown>, timeoutSeconds: number): Promise<InvocationResult> {
    const result =
      entry.kind === 'executable'
        ? await this.#runExecutable(entry.extensionName, entry.path, action, payload, timeoutSeconds)
        : await this.#runInProcess(entry.extension, action, payload, timeoutSeconds);
    this.#observe?.({ extension: entry.extensionName, action: action.toLowerCase(), outcome: result.success ? 'success' : 'failure', seconds: result.durationMs / 1000 });
    return result;
  }

  async #runInProcess(extension: Extension, action: string, payload: Record<string, unknown>, timeoutSeconds: number): Promise<InvocationResult> {
    const started = Date.now();
    // Round-trip through JSON so the extension sees exactly what an executable would read from the file.
    const parsed = parsePayload(JSON.parse(JSON.stringify(payload)));
    const deadline = Deadline.after(timeoutSeconds * 1000);
    try {
      const result = await Promise.race([
        extension.run(action, parsed, { deadline }),
        new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(new Error('Timeout')), { once: true })),
      ]);
      const text = JSON.stringify(result.output);
      if (result.success) return { success: true, output: text, rawOutput: text, exitCode: 0, durationMs: Date.now() - started };
      return failure(`Exit code: 1, Output: ${text}`, text, 1, started);
    } catch (error) {
      if (deadline.signal.aborted) return failure('Timeout', '', null, started);
      const text = JSON.stringify({ status: 'error', error: error instanceof Error ? error.message : String(error) });
      return failure(`Exit code: 1, Output: ${text}`, text, 1, started);
    } finally {
      deadline.dispose();
    }
  }

  async #runExecutable(
    extensionName: string,
    path: string,
    action: string,
    payload: Record<string, unknown>,
    timeoutSeconds: number,
  ): Promise<InvocationResult> {
    const started = Date.now();
    if (!(await isExecutableFile(path))) return failure(`Extension: ${extensionName} not configured`, '', null, started);
    // Payloads hold credentials: a 0700 directory per extension, a 0600 file, deleted after the run.
    const directory = join(this.#dataRoot, extensionName);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await chmod(directory, 0o700);
    const payloadFile = join(directory, `${randomUUID()}.json`);
    await writeFile(payloadFile, JSON.stringify(payload), { mode: 0o600, flag: 'wx' });
    try {
      return await new Promise<InvocationResult>((resolve) => {
        const child = spawn(path, [action, payloadFile, String(timeoutSeconds)], {
          stdio: ['ignore', 'pipe', 'pipe'],
          // Own process group, so a timeout kills the script and everything it started.
          detached: true,
        });
        // stdout and stderr are drained concurrently and merged in arrival order (CloudStack merges stderr).
        const chunks: Buffer[] = [];
        child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
        child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          try {
            if (child.pid !== undefined) process.kill(-child.pid, KILL_SIGNAL);
          } catch {
            child.kill(KILL_SIGNAL);
          }
        }, timeoutSeconds * 1000);
        child.on('error', (error) => {
          clearTimeout(timer);
          resolve(failure(`Extension: ${extensionName} failed to run: ${error.message}`, '', null, started));
        });
        child.on('close', (code) => {
          clearTimeout(timer);
          const output = Buffer.concat(chunks).toString('utf8').trim();
          if (timedOut) resolve(failure('Timeout', output, code, started));
          else if (code === 0) resolve({ success: true, output, rawOutput: output, exitCode: 0, durationMs: Date.now() - started });
          else resolve(failure(`Exit code: ${code ?? -1}, Output: ${output}`, output, code, started));
        });
      });
    } finally {
      await rm(payloadFile, { force: true });
    }
  }
}
