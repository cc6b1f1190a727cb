/**
 * One PowerShell session per invocation: a WinRM client (one authenticated keep-alive connection) and one
 * remote shell, opened on the first script and reused for every later one, closed at the end. Scripts
 * answer with the JSON envelope of scripts.ts, parsed here.
 */
import { WinRmClient } from '../../clients/winrm/index.ts';
import { ExtensionError } from '../../contract/extension.ts';
import type { ConnectionConfig } from './config.ts';
import type { PsCode } from './powershell-literal.ts';

export interface PowerShellOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** Messages of the error records PowerShell wrote. */
  errors: string[];
}

export interface PowerShellSession {
  /** Connects and opens the shell ahead of the first script (so a failure here means no script ran). */
  open?(signal: AbortSignal): Promise<void>;
  run(script: PsCode, signal: AbortSignal): Promise<PowerShellOutput>;
  close(): Promise<void>;
}

export type SessionFactory = (connection: ConnectionConfig) => PowerShellSession;

export interface ScriptReport {
  ok: boolean;
  steps: string[];
  result: Record<string, unknown> | null;
  error?: string;
  errorId?: string;
}

/** Time granted to deleting the shell at the end; past it the connection is dropped (the host reaps idle shells). */
export const SHELL_CLOSE_BUDGET_MS = 2_000;

function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([promise.then(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/** The WinRM-backed session used in production. */
export function winRmSession(connection: ConnectionConfig): PowerShellSession & { readonly client: WinRmClient } {
  const client = new WinRmClient({ url: connection.url, username: connection.username, password: connection.password, verifyTls: connection.verifyTls });
  let shell: ReturnType<WinRmClient['openShell']> | undefined;
  return {
    client,
    async open(signal) {
      shell ??= client.openShell(signal);
      await shell;
    },
    async run(script, signal) {
      shell ??= client.openShell(signal);
      const opened = await shell;
      return opened.runPowerShell(script.text, signal);
    },
    async close() {
      try {
        // Bounded: after a timeout the invocation must still answer before CloudStack kills it.
        if (shell) await within(shell.then((opened) => opened.close()), SHELL_CLOSE_BUDGET_MS);
      } catch {
        // The shell may already be gone with its connection; deleting it is best effort.
      } finally {
        await client.close().catch(() => undefined);
      }
    },
  };
}

/** Windows PowerShell 5.1 may wrap arrays as {"value":[…],"Count":n}; unwrap them. */
function unwrapArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapArrays);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length === 2 && Array.isArray(record.value) && typeof record.Count === 'number') return unwrapArrays(record.value);
    return Object.fromEntries(keys.map((key) => [key, unwrapArrays(record[key])]));
  }
  return value;
}

/** Finds the envelope: the last stdout line that is a JSON object with a boolean `ok`. */
export function parseReport(stdout: string): ScriptReport | undefined {
  const lines = stdout.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const parsed = unwrapArrays(JSON.parse(lines[i]!)) as Record<string, unknown>;
      if (typeof parsed.ok !== 'boolean') continue;
      const steps = Array.isArray(parsed.steps) ? parsed.steps.filter((step): step is string => typeof step === 'string') : typeof parsed.steps === 'string' ? [parsed.steps] : [];
      const result = parsed.result !== null && typeof parsed.result === 'object' && !Array.isArray(parsed.result) ? (parsed.result as Record<string, unknown>) : null;
      return {
        ok: parsed.ok,
        steps,
        result,
        ...(typeof parsed.error === 'string' ? { error: parsed.error } : {}),
        ...(typeof parsed.errorId === 'string' ? { errorId: parsed.errorId } : {}),
      };
    } catch {
      continue;
    }
  }
  return undefined;
}

/** Runs a script and returns its envelope; a script that produced none failed outside our control. */
export async function runScript(session: PowerShellSession, script: PsCode, signal: AbortSignal): Promise<ScriptReport> {
  const output = await session.run(script, signal);
  const report = parseReport(output.stdout);
  if (report) return report;
  const detail = output.errors.join('; ') || output.stderr.trim() || `exit code ${output.exitCode}, no output`;
  throw new ExtensionError(`PowerShell on the Hyper-V host failed: ${detail}`);
}
