import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultInjector } from '../shared/faults.ts';
import { listen } from '../shared/server.ts';
import { API_PREFIX, handleApiRequest, sendMaasError } from './api.ts';
import { apiKeyOf, CONTROL_PREFIX, handleControlRequest } from './control.ts';
import { defaultConfig, MaasStore, type EmulatorConfig } from './store.ts';

export interface MaasEmulatorOptions {
  /** Default 0 (any free port); the CLI defaults to 5240, MAAS's port. */
  readonly port?: number;
  readonly host?: string;
  /** Ready machines at start (and after a reset). Default 4. */
  readonly machines?: number;
  /** Time of each state-machine step (deploy, release, erase) in ms. Default 0. */
  readonly stepMs?: number;
  /** Load state from this file at start when it exists; save it there on close. */
  readonly stateFile?: string;
}

export interface MaasEmulator {
  /** `http://127.0.0.1:<port>`, the site root: the API is under `/MAAS/api/2.0/`. */
  readonly endpoint: string;
  /** The default user's API key, `consumer:token:secret`. */
  readonly apikey: string;
  readonly port: number;
  readonly store: MaasStore;
  readonly faults: FaultInjector;
  readyInfo(): { endpoint: string; apikey: string; api: string; machines: number };
  close(): Promise<void>;
}

export type { EmulatorConfig };

/** Starts the MAAS API 2.0 emulator (plain HTTP, like MAAS on port 5240). */
export async function startMaasEmulator(options: MaasEmulatorOptions = {}): Promise<MaasEmulator> {
  const store = new MaasStore(options.machines ?? 4, defaultConfig(options.stepMs ?? 0));
  let token = store.seed();
  if (options.stateFile && store.load(options.stateFile)) {
    token = [...store.tokens.values()][0] ?? store.seed();
  }
  const faults = new FaultInjector();
  const requests = { total: 0, byRoute: new Map<string, number>() };
  const apiContext = {
    store,
    secure: false,
    count(route: string) {
      requests.total += 1;
      requests.byRoute.set(route, (requests.byRoute.get(route) ?? 0) + 1);
    },
  };
  const controlContext = {
    store,
    faults,
    requests,
    reset() {
      store.seed(token);
    },
  };
  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith(CONTROL_PREFIX)) return handleControlRequest(controlContext, req, res);
    if (await faults.apply(req, res, (response, status, message) => sendMaasError(response, status, message))) return;
    if (path.startsWith(API_PREFIX)) return handleApiRequest(apiContext, req, res);
    sendMaasError(res, 404, `The requested URL ${path} was not found on this server.`);
  };
  const server = await listen(handler, { port: options.port ?? 0, host: options.host });
  const apikey = apiKeyOf(token);
  return {
    endpoint: server.url,
    apikey,
    port: server.port,
    store,
    faults,
    readyInfo: () => ({ endpoint: server.url, apikey, api: `${server.url}${API_PREFIX}`, machines: store.machines.size }),
    async close() {
      store.cancelTimers();
      if (options.stateFile) await store.save(options.stateFile);
      await server.close();
    },
  };
}
