import { createHash, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { FaultInjector } from '../shared/faults.ts';
import { listen, readBody, sendJson } from '../shared/server.ts';
import type { RunningServer } from '../shared/server.ts';
import type { TlsMaterial } from '../shared/tls.ts';
import { createChallenge, ntlmMessageType, verifyAuthenticate } from './ntlm-server.ts';
import type { NtlmServerIdentity, PendingChallenge } from './ntlm-server.ts';
import { ShellRegistry } from './shells.ts';
import type { ScriptExecutor } from './shells.ts';
import {
  commandResponse,
  createResponse,
  deleteResponse,
  faultResponse,
  parseWsmanRequest,
  readCommandLine,
  readDesiredStream,
  readSend,
  readSignal,
  receiveResponse,
  sendResponse,
  signalResponse,
  WSMAN_ACTIONS,
  WSMAN_FAULTS,
  WsmanRequestError,
} from './wsman.ts';
import type { FaultDescription, WsmanRequest } from './wsman.ts';

/**
 * The WinRM HTTPS listener of the emulator: `/wsman` with NTLM (under Negotiate) bound to the TCP
 * connection, the Windows Remote Shell operations, and the control API under `/_emulator/`.
 */

export interface WinRmEndpointOptions {
  readonly port: number;
  readonly host?: string;
  readonly tls: TlsMaterial;
  /** Local accounts: user name → password. */
  readonly accounts: ReadonlyMap<string, string>;
  readonly executor: ScriptExecutor;
  readonly identity?: NtlmServerIdentity;
  /** Extra control-API hooks of the assembly (Hyper-V host state). */
  readonly snapshot?: () => unknown;
  readonly reset?: () => void;
}

export interface RequestCounters {
  total: number;
  /** Answered 401 (no or failed authentication). */
  unauthorized: number;
  /** NEGOTIATE legs answered with a CHALLENGE. */
  handshake: number;
  /** SOAP messages processed, by operation (Create, Command, Receive, Signal, Delete, Send). */
  byOperation: Record<string, number>;
  /** TCP connections that completed NTLM. */
  authenticatedConnections: number;
}

export interface WinRmEndpoint {
  readonly url: string;
  readonly port: number;
  readonly faults: FaultInjector;
  readonly shells: ShellRegistry;
  readonly counters: RequestCounters;
  readonly config: EndpointConfig;
  dropConnections(): void;
  close(): Promise<void>;
}

export interface EndpointConfig {
  /** Upper bound on how long a Receive waits for output before `w:TimedOut` (the client's OperationTimeout otherwise). */
  receiveWaitCapMs: number | undefined;
}

const configSchema = z.strictObject({ receiveWaitCapMs: z.number().int().positive().nullable().optional() });

const DEFAULT_IDENTITY: NtlmServerIdentity = { computerName: 'HYPERV01', dnsName: 'hyperv01' };
const DEFAULT_OPERATION_TIMEOUT_MS = 60_000;
const SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8';
const SERVER_HEADER = 'Microsoft-HTTPAPI/2.0';

type ConnectionAuth = { stage: 'challenged'; pending: PendingChallenge } | { stage: 'authenticated'; username: string };

function emptyCounters(): RequestCounters {
  return { total: 0, unauthorized: 0, handshake: 0, byOperation: {}, authenticatedConnections: 0 };
}

const OPERATION_BY_ACTION: Readonly<Record<string, string>> = {
  [WSMAN_ACTIONS.create]: 'Create',
  [WSMAN_ACTIONS.delete]: 'Delete',
  [WSMAN_ACTIONS.command]: 'Command',
  [WSMAN_ACTIONS.receive]: 'Receive',
  [WSMAN_ACTIONS.send]: 'Send',
  [WSMAN_ACTIONS.signal]: 'Signal',
};

export async function startWinRmEndpoint(options: WinRmEndpointOptions): Promise<WinRmEndpoint> {
  const identity = options.identity ?? DEFAULT_IDENTITY;
  const certificate = new X509Certificate(options.tls.cert);
  // Our certificate is signed with SHA-256, so RFC 5929 hashes it with SHA-256.
  const channelBinding = Buffer.concat([Buffer.from('tls-server-end-point:', 'latin1'), createHash('sha256').update(certificate.raw).digest()]);
  const auth = new WeakMap<Socket, ConnectionAuth>();
  const faults = new FaultInjector();
  const shells = new ShellRegistry(options.executor);
  const config: EndpointConfig = { receiveWaitCapMs: undefined };
  let counters = emptyCounters();
  const inflight = new Set<AbortController>();

  const unauthorized = (res: ServerResponse, challenge?: Buffer) => {
    counters.unauthorized += 1;
    res.writeHead(401, 'Unauthorized', {
      'www-authenticate': challenge ? [`Negotiate ${challenge.toString('base64')}`] : ['Negotiate', 'Kerberos'],
      server: SERVER_HEADER,
      'content-length': '0',
    });
    res.end();
  };

  const sendSoap = (res: ServerResponse, status: number, xml: string) => {
    const body = Buffer.from(xml, 'utf8');
    res.writeHead(status, status === 200 ? 'OK' : 'Internal Server Error', {
      'content-type': SOAP_CONTENT_TYPE,
      server: SERVER_HEADER,
      'content-length': String(body.length),
    });
    res.end(body);
  };

  const sendFault = (res: ServerResponse, relatesTo: string, fault: FaultDescription) =>
    sendSoap(res, 500, faultResponse(relatesTo, fault, identity.dnsName));

  /** Authenticates the request's connection; returns the user, or undefined when it already answered. */
  const authenticate = async (req: IncomingMessage, res: ServerResponse): Promise<string | undefined> => {
    const socket = req.socket;
    const header = req.headers.authorization;
    const state = auth.get(socket);
    if (!header) {
      if (state?.stage === 'authenticated') return state.username;
      await readBody(req);
      unauthorized(res);
      return undefined;
    }
    const match = /^(\S+)\s+([A-Za-z0-9+/=]+)\s*$/.exec(header);
    // WinRM offers Negotiate (and Kerberos); it does not accept the bare `NTLM` scheme or Basic by default.
    if (!match || match[1]!.toLowerCase() !== 'negotiate') {
      auth.delete(socket);
      await readBody(req);
      unauthorized(res);
      return undefined;
    }
    const token = Buffer.from(match[2]!, 'base64');
    const type = ntlmMessageType(token);
    if (type === 1) {
      await readBody(req);
      const pending = createChallenge(token, identity);
      auth.set(socket, { stage: 'challenged', pending });
      counters.handshake += 1;
      unauthorized(res, pending.challenge);
      return undefined;
    }
    if (type === 3 && state?.stage === 'challenged') {
      const result = verifyAuthenticate(token, state.pending, { accounts: options.accounts, channelBindingApplicationData: channelBinding });
      if (result.ok) {
        auth.set(socket, { stage: 'authenticated', username: result.username });
        counters.authenticatedConnections += 1;
        return result.username;
      }
    }
    // SPNEGO-wrapped tokens (Kerberos), an AUTHENTICATE without a CHALLENGE on this connection, or bad credentials.
    auth.delete(socket);
    await readBody(req);
    unauthorized(res);
    return undefined;
  };

  const handleWsman = async (req: IncomingMessage, res: ServerResponse) => {
    counters.total += 1;
    if (await faults.apply(req, res, (response, status, message) => {
      if (status === 500) sendFault(response, '', WSMAN_FAULTS.internalError(message));
      else {
        response.writeHead(status, message, { server: SERVER_HEADER, 'content-length': '0' });
        response.end();
      }
    })) {
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, 'Method Not Allowed', { server: SERVER_HEADER, allow: 'POST', 'content-length': '0' });
      res.end();
      return;
    }
    const username = await authenticate(req, res);
    if (username === undefined) return;
    const body = (await readBody(req)).toString('utf8');
    const contentType = String(req.headers['content-type'] ?? '').toLowerCase();
    if (!contentType.startsWith('application/soap+xml')) {
      res.writeHead(415, 'Unsupported Media Type', { server: SERVER_HEADER, 'content-length': '0' });
      res.end();
      return;
    }
    let request: WsmanRequest;
    try {
      request = parseWsmanRequest(body);
    } catch (error) {
      if (error instanceof WsmanRequestError) return sendFault(res, '', WSMAN_FAULTS.schemaValidation(error.message));
      throw error;
    }
    const operation = OPERATION_BY_ACTION[request.action];
    if (!operation) return sendFault(res, request.messageId, WSMAN_FAULTS.actionNotSupported(request.action));
    counters.byOperation[operation] = (counters.byOperation[operation] ?? 0) + 1;
    const abort = new AbortController();
    inflight.add(abort);
    // A client that goes away must not leave a Receive waiting for output (kept-alive sockets see many requests).
    const onClose = () => abort.abort();
    req.socket.once('close', onClose);
    try {
      await dispatch(operation, request, username, req, res, abort.signal);
    } finally {
      req.socket.off('close', onClose);
      inflight.delete(abort);
    }
  };

  const dispatch = async (operation: string, request: WsmanRequest, username: string, req: IncomingMessage, res: ServerResponse, signal: AbortSignal) => {
    if (operation === 'Create') {
      const codepage = Number(request.options.get('WINRS_CODEPAGE') ?? 437);
      const shell = shells.create(username, req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1', Number.isFinite(codepage) ? codepage : 437);
      return sendSoap(
        res,
        200,
        createResponse(request, {
          shellId: shell.id,
          owner: username,
          clientIp: shell.clientIp,
          address: request.to,
          inputStreams: 'stdin',
          outputStreams: 'stdout stderr',
          idleTimeoutMs: 7_200_000,
        }),
      );
    }
    const shellId = request.selectors.get('ShellId') ?? '';
    const shell = shells.find(shellId);
    if (!shell) return sendFault(res, request.messageId, WSMAN_FAULTS.unknownShell(shellId));

    if (operation === 'Delete') {
      shells.delete(shell.id);
      return sendSoap(res, 200, deleteResponse(request));
    }
    if (operation === 'Command') {
      const commandLine = readCommandLine(request.body);
      if (!commandLine) return sendFault(res, request.messageId, WSMAN_FAULTS.schemaValidation('rsp:CommandLine is missing.'));
      const command = shells.start(shell, commandLine.command, commandLine.args);
      return sendSoap(res, 200, commandResponse(request, command.id));
    }
    if (operation === 'Signal') {
      const signalRequest = readSignal(request.body);
      const command = signalRequest?.commandId ? shell.commands.get(signalRequest.commandId.toUpperCase()) : undefined;
      if (!command) return sendFault(res, request.messageId, WSMAN_FAULTS.unknownCommand());
      command.terminated = true;
      shell.commands.delete(command.id);
      return sendSoap(res, 200, signalResponse(request));
    }
    if (operation === 'Send') {
      const streams = readSend(request.body) ?? [];
      for (const stream of streams) {
        const command = stream.commandId ? shell.commands.get(stream.commandId.toUpperCase()) : undefined;
        if (!command) return sendFault(res, request.messageId, WSMAN_FAULTS.unknownCommand());
        command.appendStdin(stream.data);
        if (stream.end) shells.endStdin(command);
      }
      return sendSoap(res, 200, sendResponse(request));
    }
    // Receive
    const desired = readDesiredStream(request.body);
    const command = desired?.commandId ? shell.commands.get(desired.commandId.toUpperCase()) : undefined;
    if (!command) return sendFault(res, request.messageId, WSMAN_FAULTS.unknownCommand());
    const operationTimeout = request.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
    const waitMs = config.receiveWaitCapMs !== undefined ? Math.min(operationTimeout, config.receiveWaitCapMs) : operationTimeout;
    const ready = await command.waitForOutput(waitMs, signal);
    if (signal.aborted) return;
    if (!ready) return sendFault(res, request.messageId, WSMAN_FAULTS.timedOut());
    const { chunks, exitCode } = command.drain();
    return sendSoap(res, 200, receiveResponse(request, command.id, chunks, exitCode));
  };

  const handleControl = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const route = `${req.method} ${path}`;
    if (route === 'GET /_emulator/state') {
      return sendJson(res, 200, {
        host: options.snapshot?.() ?? null,
        shells: [...shells.shells.values()].map((shell) => ({ shellId: shell.id, owner: shell.owner, commands: shell.commands.size })),
      });
    }
    if (route === 'POST /_emulator/reset') {
      shells.clear();
      faults.clear();
      counters = emptyCounters();
      config.receiveWaitCapMs = undefined;
      options.reset?.();
      return sendJson(res, 200, { reset: true });
    }
    if (route === 'GET /_emulator/requests') return sendJson(res, 200, counters);
    if (route === 'GET /_emulator/faults') return sendJson(res, 200, faults.list());
    if (route === 'DELETE /_emulator/faults') {
      faults.clear();
      return sendJson(res, 200, []);
    }
    if (route === 'POST /_emulator/faults' || route === 'PUT /_emulator/config') {
      let input: unknown;
      try {
        input = JSON.parse((await readBody(req)).toString('utf8'));
      } catch {
        return sendJson(res, 400, { error: 'Body must be JSON' });
      }
      try {
        if (route === 'PUT /_emulator/config') {
          const parsed = configSchema.parse(input);
          if (parsed.receiveWaitCapMs !== undefined) config.receiveWaitCapMs = parsed.receiveWaitCapMs ?? undefined;
          return sendJson(res, 200, config);
        }
        return sendJson(res, 201, { id: faults.add(input) });
      } catch (error) {
        return sendJson(res, 400, { error: error instanceof z.ZodError ? z.prettifyError(error) : String(error) });
      }
    }
    return sendJson(res, 404, { error: `No control route ${route}` });
  };

  const running: RunningServer = await listen(
    async (req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path.startsWith('/_emulator/')) return handleControl(req, res, path);
      if (path.toLowerCase() === '/wsman') return handleWsman(req, res);
      await readBody(req);
      res.writeHead(404, 'Not Found', { server: SERVER_HEADER, 'content-length': '0' });
      res.end();
    },
    { port: options.port, host: options.host, tls: options.tls },
  );

  return {
    url: `${running.url}/wsman`,
    port: running.port,
    faults,
    shells,
    get counters() {
      return counters;
    },
    config,
    dropConnections: () => running.dropConnections(),
    async close() {
      for (const controller of inflight) controller.abort();
      shells.clear();
      await running.close();
    },
  };
}
