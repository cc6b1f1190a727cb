// One Prometheus registry for the whole process: the API records request latency, the orchestrator feeds
// extension action latency and job outcomes through the same object (it lives outside src/api/ so the
// orchestrator can take it without depending on the API layer).
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Seconds; spans fast list calls up to slow extension actions (Proxmox clones, MAAS deploys). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface ExtorchMetrics {
  registry: Registry;
  apiLatency: Histogram<'command' | 'errorcode'>;
  actionLatency: Histogram<'extension' | 'action' | 'outcome'>;
  jobOutcomes: Counter<'command' | 'outcome'>;
  syncSweepSeconds: Histogram<'host'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ExtorchMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'extorch_' });
  return {
    registry,
    apiLatency: new Histogram({
      name: 'extorch_api_request_duration_seconds',
      help: 'CloudStack API request latency by command and error code (0 = success)',
      labelNames: ['command', 'errorcode'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    actionLatency: new Histogram({
      name: 'extorch_extension_action_duration_seconds',
      help: 'Extension action latency by extension, action and outcome',
      labelNames: ['extension', 'action', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    jobOutcomes: new Counter({
      name: 'extorch_async_jobs_total',
      help: 'Completed async jobs by command and outcome',
      labelNames: ['command', 'outcome'],
      registers: [registry],
    }),
    syncSweepSeconds: new Histogram({
      name: 'extorch_power_sync_sweep_duration_seconds',
      help: 'Duration of one power-state sync sweep per host',
      labelNames: ['host'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
  };
}
