import { decodeStderr } from './clixml.ts';
import { readFault, WinRmFaultError } from './faults.ts';
import { encodePowerShellCommand } from './powershell.ts';
import { Action, bodies, buildRequest, parseCommandId, parseEnvelope, parseReceiveResponse, parseShellId, SIGNAL_TERMINATE, SoapFormatError } from './soap.ts';
import type { XmlNode } from './soap.ts';
import { WinRmTransport } from './transport.ts';
import type { RequestCounts } from './transport.ts';

export interface WinRmClientOptions {
  url: URL;
  username: string;
  password: string;
  verifyTls: boolean;
  ca?: string;
  operationTimeoutSeconds?: number;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface PowerShellResult extends CommandResult {
  /** Decoded messages of the PowerShell error records written to stderr as CLIXML. */
  errors: string[];
}

export interface WinRmShell {
  runPowerShell(script: string, signal?: AbortSignal): Promise<PowerShellResult>;
  runCommand(command: string, args: string[], signal?: AbortSignal): Promise<CommandResult>;
  /** Signal terminate (for an interrupted command) and Delete the shell. */
  close(): Promise<void>;
}

/** Timing policy: the WinRM service answers a Receive with `w:TimedOut` after OperationTimeout. */
export const WINRM_TIMEOUTS = {
  /** pywinrm's default OperationTimeout. */
  operationTimeoutSeconds: 20,
  /** Extra time the HTTP request waits beyond OperationTimeout before giving up on the server. */
  httpMarginMs: 10_000,
} as const;

/** Shell options: UTF-8 output (codepage 65001) and no user profile load, which is slow and unneeded. */
const CREATE_SHELL_OPTIONS = { WINRS_NOPROFILE: 'TRUE', WINRS_CODEPAGE: '65001' } as const;
const COMMAND_OPTIONS = { WINRS_CONSOLEMODE_STDIN: 'TRUE', WINRS_SKIP_CMD_SHELL: 'FALSE' } as const;

/**
 * WinRM (WS-Management) client for the Windows Remote Shell over HTTPS with NTLM. One client holds one
 * authenticated connection; a shell is meant to be reused for every command of one invocation.
 */
export class WinRmClient {
  readonly #transport: WinRmTransport;
  readonly #url: URL;
  readonly #operationTimeoutSeconds: number;
  readonly #shells = new Set<RemoteShell>();

  constructor(options: WinRmClientOptions) {
    this.#url = options.url;
    this.#operationTimeoutSeconds = options.operationTimeoutSeconds ?? WINRM_TIMEOUTS.operationTimeoutSeconds;
    this.#transport = new WinRmTransport({
      url: options.url,
      username: options.username,
      password: options.password,
      verifyTls: options.verifyTls,
      ...(options.ca ? { ca: options.ca } : {}),
    });
  }

  /** Every HTTP request made so far. */
  get requestCount(): number {
    const counts = this.#transport.counts;
    return counts.handshake + counts.afterHandshake;
  }

  /** The same, split into handshake legs and requests that carried a SOAP message. */
  get requestCounts(): RequestCounts {
    return this.#transport.counts;
  }

  async openShell(signal?: AbortSignal): Promise<WinRmShell> {
    const body = await this.send({ action: Action.create, options: CREATE_SHELL_OPTIONS, body: bodies.createShell() }, signal);
    const shell = new RemoteShell(this, parseShellId(body));
    this.#shells.add(shell);
    return shell;
  }

  /** Sends one WS-Man request and returns the SOAP body; faults become WinRmFaultError. */
  async send(request: { action: string; shellId?: string; options?: Record<string, string>; body?: XmlNode }, signal?: AbortSignal): Promise<XmlNode> {
    const { xml } = buildRequest({ ...request, to: this.#url.toString(), operationTimeoutSeconds: this.#operationTimeoutSeconds });
    const timeoutMs = this.#operationTimeoutSeconds * 1000 + WINRM_TIMEOUTS.httpMarginMs;
    const response = await this.#transport.send(xml, timeoutMs, signal);
    if (!response.body.trim()) {
      throw new SoapFormatError(`WinRM answered HTTP ${response.status} without a body`);
    }
    let body: XmlNode;
    try {
      ({ body } = parseEnvelope(response.body));
    } catch (error) {
      // A proxy or HTTP.sys answers errors with HTML: report the status, not only "malformed XML".
      if (response.status !== 200) throw new SoapFormatError(`WinRM answered HTTP ${response.status}: ${response.body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 200)}`);
      throw error;
    }
    const fault = readFault(body);
    if (fault) throw fault;
    if (response.status !== 200) throw new SoapFormatError(`WinRM answered HTTP ${response.status} without a SOAP fault`);
    return body;
  }

  forget(shell: RemoteShell): void {
    this.#shells.delete(shell);
  }

  /** Deletes shells that were not closed, then drops the connection. */
  async close(): Promise<void> {
    for (const shell of [...this.#shells]) await shell.close().catch(() => undefined);
    this.#transport.close();
  }
}

class RemoteShell implements WinRmShell {
  readonly #client: WinRmClient;
  readonly shellId: string;
  #closed = false;
  /** A command whose output was not fully read (aborted): terminated before the shell is deleted. */
  #unfinishedCommand: string | undefined;

  constructor(client: WinRmClient, shellId: string) {
    this.#client = client;
    this.shellId = shellId;
  }

  async runPowerShell(script: string, signal?: AbortSignal): Promise<PowerShellResult> {
    const result = await this.runCommand('powershell', ['-NoProfile', '-NonInteractive', '-EncodedCommand', encodePowerShellCommand(script)], signal);
    const decoded = decodeStderr(result.stderr);
    return { stdout: result.stdout, stderr: decoded.text, exitCode: result.exitCode, errors: decoded.errors };
  }

  async runCommand(command: string, args: string[], signal?: AbortSignal): Promise<CommandResult> {
    if (this.#closed) throw new Error('WinRM shell is already closed');
    const commandId = parseCommandId(
      await this.#client.send({ action: Action.command, shellId: this.shellId, options: COMMAND_OPTIONS, body: bodies.command(command, args) }, signal),
    );
    this.#unfinishedCommand = commandId;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    for (;;) {
      let body: XmlNode;
      try {
        body = await this.#client.send({ action: Action.receive, shellId: this.shellId, body: bodies.receive(commandId) }, signal);
      } catch (error) {
        // `w:TimedOut` only means "no output within OperationTimeout": the command is still running.
        if (error instanceof WinRmFaultError && error.isTimedOut) continue;
        throw error;
      }
      const output = parseReceiveResponse(body, commandId);
      stdout.push(...output.stdout);
      stderr.push(...output.stderr);
      if (output.done) {
        this.#unfinishedCommand = undefined;
        return { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), exitCode: output.exitCode ?? 0 };
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.forget(this);
    try {
      if (this.#unfinishedCommand) {
        await this.#client
          .send({ action: Action.signal, shellId: this.shellId, body: bodies.signal(this.#unfinishedCommand, SIGNAL_TERMINATE) })
          .catch(() => undefined);
      }
    } finally {
      await this.#client.send({ action: Action.delete, shellId: this.shellId });
    }
  }
}
