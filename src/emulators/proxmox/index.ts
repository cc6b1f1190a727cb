import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultInjector } from '../shared/faults.ts';
import { listen } from '../shared/server.ts';
import { generateSelfSignedCertificate } from '../shared/tls.ts';
import { TOKEN_ID, USER, newCredentials, ticketProbeRoute, ticketRoute } from './auth.ts';
import { Cluster } from './cluster.ts';
import { clusterRoutes } from './cluster-api.ts';
import { nodeRoutes } from './node-api.ts';
import { CONTROL_PREFIX, handleControlRequest } from './control.ts';
import type { RequestCounters } from './control.ts';
import { loadStateFile, saveStateFile } from './persistence.ts';
import { qemuRoutes } from './qemu/routes.ts';
import { Router } from './router.ts';
import { API_PREFIX, handleApiRequest, sendIndexPage, sendPveError, sendUnknownMethod } from './server.ts';
import { initialCluster } from './state.ts';
import { taskRoutes } from './tasks-api.ts';
import { TaskEngine } from './tasks.ts';
import type { TaskTiming } from './tasks.ts';

/**
 * Proxmox VE API emulator: a stateful HTTPS server speaking `/api2/json` like pveproxy (see ADR 0020),
 * plus a control API under `/_emulator/`. The interface is shared with the Proxmox extension's tests.
 */
export interface ProxmoxEmulatorOptions {
  /** Default 0 (any free port); the CLI defaults to 8006. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default ['pve1']. */
  nodes?: string[];
  /** Load at start if it exists, save on close. */
  stateFile?: string;
  /** How long each UPID task runs; default 0 (the CLI uses 300). */
  taskDurationMs?: number;
  /** Extra time a full clone (or a new disk) holds the storage lock; default = taskDurationMs. */
  fullCloneDurationMs?: number;
  /** How long a task waits for a storage lock before failing; default 10000. */
  storageLockTimeoutMs?: number;
  /** root@pam password for ticket login; random when absent. */
  password?: string;
}

export interface ProxmoxEmulator {
  readonly url: string;
  readonly user: string;
  readonly token: string;
  readonly secret: string;
  readonly password: string;
  readonly nodes: string[];
  /** The self-signed certificate, so a client can trust it explicitly. */
  readonly certificatePem: string;
  readyInfo(): { url: string; user: string; token: string; secret: string; nodes: string[] };
  close(): Promise<void>;
}

export const DEFAULT_STORAGE_LOCK_TIMEOUT_MS = 10_000;

/** pveproxy answers other methods with `501 method '<X>' not available`. */
const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);

export async function startProxmoxEmulator(options: ProxmoxEmulatorOptions = {}): Promise<ProxmoxEmulator> {
  const restored = options.stateFile ? await loadStateFile(options.stateFile) : undefined;
  const nodes = restored?.cluster.nodes ?? (options.nodes && options.nodes.length > 0 ? [...options.nodes] : ['pve1']);
  const secret = restored?.secret ?? randomUUID();
  const password = options.password ?? restored?.password ?? randomBytes(12).toString('base64url');
  const credentials = newCredentials(secret, password);
  const tls = await generateSelfSignedCertificate();

  const taskDurationMs = options.taskDurationMs ?? 0;
  const timing: TaskTiming = {
    taskDurationMs,
    fullCloneDurationMs: options.fullCloneDurationMs ?? taskDurationMs,
    storageLockTimeoutMs: options.storageLockTimeoutMs ?? DEFAULT_STORAGE_LOCK_TIMEOUT_MS,
    failTasks: {},
  };
  const tasks = new TaskEngine(() => timing);
  const cluster = new Cluster(restored?.cluster ?? initialCluster(nodes), tasks, () => timing);
  const faults = new FaultInjector();
  const counters: RequestCounters = { total: 0, byRoute: {} };
  const router = new Router([ticketRoute(credentials), ticketProbeRoute, ...clusterRoutes, ...nodeRoutes, ...taskRoutes, ...qemuRoutes]);

  // Reset restores the cluster (and forgets tasks); fault rules and timing stay as configured.
  const reset = async () => {
    await tasks.stopAll();
    tasks.clear();
    cluster.data = initialCluster(nodes);
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://emulator.invalid');
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      return handleControlRequest(req, res, url, { cluster: () => cluster, faults, timing, counters, reset });
    }
    const method = req.method ?? 'GET';
    if (!KNOWN_METHODS.has(method)) {
      req.resume();
      return sendUnknownMethod(res, method);
    }
    const relative = url.pathname.startsWith(`${API_PREFIX}/`) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    const route = `${method} ${router.template(method, relative)}`;
    counters.total += 1;
    counters.byRoute[route] = (counters.byRoute[route] ?? 0) + 1;
    if (await faults.apply(req, res, (response, status, message) => sendPveError(response, status, message))) return;
    if (url.pathname !== API_PREFIX && !url.pathname.startsWith(`${API_PREFIX}/`)) {
      req.resume();
      if (url.pathname === '/' && method === 'GET') return sendIndexPage(res, nodes[0]!);
      // `/api2/<other format>` is "no such uri"; any other path is a missing file of the web UI.
      return sendPveError(res, 501, url.pathname.startsWith('/api2/') ? 'no such uri' : `no such file '${url.pathname}'`);
    }
    return handleApiRequest(req, res, url, { cluster: () => cluster, credentials, router, certificatePem: tls.cert });
  };

  const server = await listen(handler, { port: options.port ?? 0, host: options.host ?? '127.0.0.1', tls });
  let closed = false;
  return {
    url: server.url,
    user: USER,
    token: TOKEN_ID,
    secret,
    password,
    nodes: [...nodes],
    certificatePem: tls.cert,
    readyInfo: () => ({ url: server.url, user: USER, token: TOKEN_ID, secret, nodes: [...nodes] }),
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      // Running tasks end as if the node went down; their undo steps leave no half-made VMs behind.
      await tasks.stopAll();
      if (options.stateFile) await saveStateFile(options.stateFile, secret, password, cluster.data);
    },
  };
}
