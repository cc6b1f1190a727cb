import { randomUUID } from 'node:crypto';
import type { ErrorRecordLike } from './clixml.ts';
import { serializeErrorRecords } from './clixml.ts';
import { planCommand } from './command-line.ts';
import type { StreamChunk } from './wsman.ts';

/** What running a PowerShell script produced (structurally the pwsh interpreter's PowerShellOutcome). */
export interface ScriptOutcome {
  readonly stdout: string;
  readonly errors: readonly ErrorRecordLike[];
  readonly exitCode: number;
}

export type ScriptExecutor = (script: string) => Promise<ScriptOutcome>;

/** Largest piece of one stream per `rsp:Stream` element and per ReceiveResponse, to stay under MaxEnvelopeSize. */
const STREAM_CHUNK_BYTES = 32 * 1024;
const RECEIVE_BYTES = 96 * 1024;

export class Command {
  readonly id = randomUUID().toUpperCase();
  readonly #pending: Array<{ name: 'stdout' | 'stderr'; data: Buffer }> = [];
  readonly #waiters = new Set<() => void>();
  readonly #stdin: Buffer[] = [];
  exitCode: number | undefined;
  /** Set once Done and both End markers were delivered. */
  finished = false;
  terminated = false;

  constructor(readonly encodeText: (text: string) => Buffer) {}

  get hasOutput(): boolean {
    return this.#pending.length > 0 || this.exitCode !== undefined;
  }

  write(name: 'stdout' | 'stderr', text: string): void {
    const data = this.encodeText(text);
    for (let offset = 0; offset < data.length; offset += STREAM_CHUNK_BYTES) {
      this.#pending.push({ name, data: data.subarray(offset, offset + STREAM_CHUNK_BYTES) });
    }
    this.#wake();
  }

  complete(exitCode: number): void {
    if (this.exitCode !== undefined) return;
    this.exitCode = exitCode;
    this.#wake();
  }

  appendStdin(data: Buffer): void {
    this.#stdin.push(data);
  }

  takeStdin(): string {
    return Buffer.concat(this.#stdin).toString('utf8');
  }

  /** Waits until there is output, the command ends, or `ms` pass; true when something is ready. */
  waitForOutput(ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.hasOutput) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(onWake);
        signal.removeEventListener('abort', onAbort);
        resolve(ready);
      };
      const onWake = () => done(true);
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), ms);
      this.#waiters.add(onWake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Takes what a ReceiveResponse can carry; End markers and the exit code only once all output is out. */
  drain(): { chunks: StreamChunk[]; exitCode: number | undefined } {
    const chunks: StreamChunk[] = [];
    let size = 0;
    while (this.#pending.length > 0 && size < RECEIVE_BYTES) {
      const next = this.#pending.shift()!;
      chunks.push({ name: next.name, data: next.data, end: false });
      size += next.data.length;
    }
    if (this.#pending.length === 0 && this.exitCode !== undefined) {
      chunks.push({ name: 'stdout', data: Buffer.alloc(0), end: true }, { name: 'stderr', data: Buffer.alloc(0), end: true });
      this.finished = true;
      return { chunks, exitCode: this.exitCode };
    }
    return { chunks, exitCode: undefined };
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

export interface Shell {
  readonly id: string;
  readonly owner: string;
  readonly clientIp: string;
  readonly codepage: number;
  readonly createdAt: number;
  readonly commands: Map<string, Command>;
}

/** Text → bytes in the shell's code page: UTF-8 for 65001; other code pages get ASCII with `?` for the rest. */
function encoderFor(codepage: number): (text: string) => Buffer {
  if (codepage === 65001) return (text) => Buffer.from(text, 'utf8');
  return (text) => Buffer.from(text.replace(/[\u0080-\uffff]/g, '?'), 'latin1');
}

/** PowerShell writes Windows line endings. */
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');

export class ShellRegistry {
  readonly shells = new Map<string, Shell>();

  constructor(readonly executor: ScriptExecutor) {}

  create(owner: string, clientIp: string, codepage: number): Shell {
    const shell: Shell = { id: randomUUID().toUpperCase(), owner, clientIp, codepage, createdAt: Date.now(), commands: new Map() };
    this.shells.set(shell.id, shell);
    return shell;
  }

  find(shellId: string | undefined): Shell | undefined {
    return shellId ? this.shells.get(shellId.toUpperCase()) : undefined;
  }

  delete(shellId: string): void {
    const shell = this.find(shellId);
    if (!shell) return;
    for (const command of shell.commands.values()) command.terminated = true;
    this.shells.delete(shell.id);
  }

  clear(): void {
    for (const id of [...this.shells.keys()]) this.delete(id);
  }

  start(shell: Shell, commandLine: string, args: readonly string[]): Command {
    const command = new Command(encoderFor(shell.codepage));
    shell.commands.set(command.id, command);
    const plan = planCommand(commandLine, args);
    if (plan.kind === 'error') {
      if (plan.stdout) command.write('stdout', plan.stdout);
      if (plan.stderr) command.write('stderr', plan.stderr);
      command.complete(plan.exitCode);
    } else if (plan.kind === 'powershell') {
      void this.#runScript(command, plan.script);
    }
    // `-Command -`: the script arrives on stdin (Send) and runs when the stream ends.
    return command;
  }

  endStdin(command: Command): void {
    void this.#runScript(command, command.takeStdin());
  }

  async #runScript(command: Command, script: string): Promise<void> {
    let outcome: ScriptOutcome;
    try {
      outcome = await this.executor(script);
    } catch (error) {
      outcome = {
        stdout: '',
        errors: [{ message: (error as Error).message, fullyQualifiedErrorId: 'EmulatorError', category: 'NotSpecified' }],
        exitCode: 1,
      };
    }
    if (command.terminated) return;
    if (outcome.stdout) command.write('stdout', crlf(outcome.stdout));
    const stderr = serializeErrorRecords(outcome.errors);
    if (stderr) command.write('stderr', stderr);
    command.complete(outcome.exitCode);
  }
}
