// One running extorch: the orchestrator on its database, the in-built extensions wired, the CloudStack API
// on HTTP (with /metrics), and a power-sync loop whose sweep time feeds the metrics. Used by `extorch serve`,
// `extorch sandbox`, the workflow tests and the benches, so they all run the same composition.
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { createApiServer } from '../api/server.ts';
import { createLogger } from '../api/logger.ts';
import { observeInvocations } from '../metrics/instrument.ts';
import { createMetrics, type ExtorchMetrics } from '../metrics/registry.ts';
import { createOrchestrator, type Orchestrator } from '../orchestrator/index.ts';
import type { DatabaseConfig } from '../store/config.ts';
import { builtinExtensions, installBundledExecutables, type BuiltinName } from './builtins.ts';

export interface ExtorchServerConfig {
  readonly database: DatabaseConfig;
  readonly secretsKey: string;
  readonly extensionsRoot: string;
  readonly dataRoot: string;
  readonly listen: { readonly host: string; readonly port: number };
  /** 0 disables the periodic power sync (tests drive it by hand). */
  readonly powerSyncIntervalMs: number;
  /** 0 disables the periodic host health check. */
  readonly hostHealthIntervalMs: number;
  /** In-built extensions to run as their bundled executables instead of in-process. */
  readonly executableBuiltins?: readonly BuiltinName[];
  /** Password of the seeded `admin` on a new database. */
  readonly adminPassword?: string;
  /** Name of this node among several sharing a PostgreSQL database (default: the host name). */
  readonly nodeName?: string;
  readonly logger?: Logger;
  /** Process metrics (CPU, memory, event loop) on /metrics; off in tests that start many servers. */
  readonly defaultMetrics?: boolean;
  /** Directory of the built web console (`findConsoleRoot()`), served at `/`; absent: API only. */
  readonly consoleRoot?: string;
}

export interface RunningExtorch {
  /** `http://host:port/client/api` */
  readonly apiUrl: string;
  /** `http://host:port/` when the web console is served. */
  readonly uiUrl?: string;
  readonly orchestrator: Orchestrator;
  readonly metrics: ExtorchMetrics;
  readonly logger: Logger;
  close(): Promise<void>;
}

export async function startExtorchServer(config: ExtorchServerConfig): Promise<RunningExtorch> {
  const logger = config.logger ?? createLogger();
  const metrics = createMetrics({ defaultMetrics: config.defaultMetrics ?? true });
  await mkdir(config.extensionsRoot, { recursive: true });
  await mkdir(config.dataRoot, { recursive: true, mode: 0o700 });
  const asExecutable = config.executableBuiltins ?? [];
  await installBundledExecutables(config.extensionsRoot, asExecutable);
  const orchestrator = await createOrchestrator({
    database: config.database,
    secretsKey: config.secretsKey,
    extensionsRoot: config.extensionsRoot,
    dataRoot: config.dataRoot,
    builtinExtensions: builtinExtensions({ asExecutable }),
    onInvocation: observeInvocations(metrics),
    logger: logger.child({ component: 'orchestrator' }),
    // The sweep loop below runs power sync so that its duration lands in the metrics.
    timings: { powerSyncIntervalMs: 0, hostHealthIntervalMs: config.hostHealthIntervalMs },
    ...(config.adminPassword === undefined ? {} : { adminPassword: config.adminPassword }),
    ...(config.nodeName === undefined ? {} : { nodeName: config.nodeName }),
  });
  const sweeps = new SweepLoop(orchestrator, metrics, logger, config.powerSyncIntervalMs);
  const api = createApiServer({
    orchestrator,
    logger: logger.child({ component: 'api' }),
    metrics,
    ...(config.consoleRoot ? { consoleRoot: config.consoleRoot } : {}),
  });
  let apiUrl: string;
  try {
    apiUrl = await api.listen(config.listen.port, config.listen.host);
  } catch (error) {
    await sweeps.stop();
    await orchestrator.close();
    throw error;
  }
  return {
    apiUrl,
    ...(config.consoleRoot ? { uiUrl: new URL('/', apiUrl).href } : {}),
    orchestrator,
    metrics,
    logger,
    async close() {
      await sweeps.stop();
      await api.close();
      await orchestrator.close();
    },
  };
}

/**
 * Periodic power sync of this node's hosts, never overlapping itself; each sweep's duration goes to
 * `extorch_sync_sweep_seconds`.
 */
class SweepLoop {
  readonly #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(orchestrator: Orchestrator, metrics: ExtorchMetrics, logger: Logger, intervalMs: number) {
    if (intervalMs <= 0) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      const stop = metrics.syncSweepSeconds.startTimer({ host: 'all' });
      this.#running = orchestrator.cluster
        .syncPower()
        .then(
          (reports) => {
            stop();
            const transitions = reports.reduce((sum, report) => sum + report.transitions.length, 0);
            if (transitions > 0) logger.info({ hosts: reports.length, transitions }, 'power sync applied out-of-band changes');
          },
          (error: unknown) => logger.error({ error: error instanceof Error ? error.message : String(error) }, 'power sync sweep failed'),
        )
        .finally(() => (this.#running = undefined));
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }
}
