// The coordinator's entry point: the CloudStack-compatible API over an orchestrator.
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { Orchestrator } from '../orchestrator/index.ts';
import { createMetrics, type ExtorchMetrics } from '../metrics/registry.ts';
import { computeCommands } from './commands/compute.ts';
import { extensionCommands } from './commands/extensions.ts';
import { iamCommands } from './commands/iam.ts';
import { infrastructureCommands } from './commands/infrastructure.ts';
import { protocolCommands } from './commands/protocol.ts';
import { createApiHttpServer, type ApiHttpServer } from './http-server.ts';
import { createLogger } from './logger.ts';
import { orchestratorAuthenticator, orchestratorJobs } from './orchestrator-adapters.ts';
import type { ApiAuthenticator } from './principal.ts';
import { CommandRegistry } from './registry.ts';

export interface ApiServerOptions {
  orchestrator: Orchestrator;
  logger?: Logger;
  metrics?: ExtorchMetrics;
}

/** Every command the API serves, declared once (listApis is generated from this registry). */
export function createCommandRegistry(orchestrator: Orchestrator, authenticator: ApiAuthenticator): CommandRegistry {
  return new CommandRegistry([
    ...protocolCommands(authenticator),
    ...infrastructureCommands(orchestrator),
    ...computeCommands(orchestrator),
    ...extensionCommands(orchestrator),
    ...iamCommands(orchestrator),
  ]);
}

/**
 * `listen(port = 8080, host = '127.0.0.1')` resolves to the endpoint URL (`http://host:port/client/api`);
 * `close()` stops accepting requests. The orchestrator is owned (and closed) by the caller.
 */
export function createApiServer(options: ApiServerOptions): ApiHttpServer {
  const logger = options.logger ?? createLogger();
  const metrics = options.metrics ?? createMetrics();
  const authenticator = orchestratorAuthenticator(options.orchestrator);
  registerJobGauge(metrics, options.orchestrator);
  return createApiHttpServer({
    registry: createCommandRegistry(options.orchestrator, authenticator),
    authenticator,
    jobs: orchestratorJobs(options.orchestrator, (command, outcome) => metrics.jobOutcomes.inc({ command, outcome })),
    logger,
    metrics,
  });
}

const JOB_GAUGE = 'extorch_jobs';

/** Persisted jobs by status, read from the store at scrape time (survives restarts, counts every job). */
function registerJobGauge(metrics: ExtorchMetrics, orchestrator: Orchestrator): void {
  if (metrics.registry.getSingleMetric(JOB_GAUGE)) return;
  new Gauge({
    name: JOB_GAUGE,
    help: 'Async jobs in the store by status',
    labelNames: ['status'],
    registers: [metrics.registry],
    async collect() {
      const admin = await orchestrator.iam.systemAdmin();
      for (const status of ['pending', 'succeeded', 'failed'] as const) {
        const { count } = await orchestrator.jobs.list(admin, { status, page: 1, pageSize: 1 });
        this.set({ status }, count);
      }
    },
  });
}
