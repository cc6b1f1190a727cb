import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Extension } from '../contract/extension.ts';
import type { DatabaseConfig } from '../store/config.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { DEFAULT_LIFECYCLE_POLICY, DEFAULT_TIMINGS, silentLogger, type LifecyclePolicy, type ServiceContext } from './context.ts';
import { EventsServiceImpl } from './events.ts';
import { ExtensionRunner, type InvocationObserver } from './extensions/runner.ts';
import { ExtensionsServiceImpl } from './extensions/service.ts';
import { IamServiceImpl } from './iam/service.ts';
import { InfrastructureServiceImpl } from './infrastructure.ts';
import { JobsServiceImpl } from './jobs.ts';
import { InstancesServiceImpl } from './lifecycle/instances.ts';
import { PowerSyncServiceImpl } from './power-sync.ts';
import { LocalLocks, SharedLocks } from './cluster/locks.ts';
import { NodeRegistry } from './cluster/nodes.ts';
import { ClusterServiceImpl, type ClusterService } from './cluster/service.ts';
import { SecretBox } from './support/crypto.ts';
import { TemplatesServiceImpl } from './templates.ts';
import type {
  EventsService,
  ExtensionsService,
  IamService,
  InfrastructureService,
  InstancesService,
  JobsService,
  PowerSyncService,
  TemplatesService,
} from './services.ts';

/** The in-built extensions run in-process; the coordinator wires the real ones from `src/extensions/*`. */
export interface BuiltinExtensions {
  readonly Proxmox?: Extension;
  readonly HyperV?: Extension;
  readonly MaaS?: Extension;
}

export interface Logger {
  info(object: Record<string, unknown>, message?: string): void;
  warn(object: Record<string, unknown>, message?: string): void;
  error(object: Record<string, unknown>, message?: string): void;
}

/** Intervals of the background loops; 0 disables a loop (tests drive them by hand). */
export interface OrchestratorTimings {
  readonly powerSyncIntervalMs: number;
  readonly hostHealthIntervalMs: number;
  /** A Running/Starting/Stopping instance missing from reports for this long gets `PowerReportMissing`. */
  readonly powerReportGraceMs: number;
  /** Heartbeat of this node, followed by the take-over of dead nodes' jobs (ADR 0064); 0 disables the loop. */
  readonly nodeHeartbeatIntervalMs: number;
  /** A node whose last heartbeat is older than this is dead: its jobs, locks and hosts go to live nodes. */
  readonly nodeLeaseMs: number;
  /** First wait before trying again for an instance or network held by another node; doubles up to the max. */
  readonly lockPollMs: number;
  readonly lockMaxPollMs: number;
}

export interface OrchestratorConfig {
  readonly database: DatabaseConfig;
  /** Key for AES-256-GCM encryption of secrets at rest: 32 bytes, or a passphrase (derived with scrypt). */
  readonly secretsKey: string | Uint8Array;
  /** Root of user-defined extension entry points (CloudStack's `/usr/share/cloudstack-management/extensions`). */
  readonly extensionsRoot: string;
  /** Root of payload files (`<dataRoot>/<extension name>/<uuid>.json`). */
  readonly dataRoot: string;
  readonly builtinExtensions?: BuiltinExtensions;
  /**
   * Name of this node among the orchestrators sharing a PostgreSQL database (default: the host name). One
   * process per name at a time: a node taking a name takes over what a previous process of that name left.
   */
  readonly nodeName?: string;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock?: () => number;
  readonly logger?: Logger;
  readonly timings?: Partial<OrchestratorTimings>;
  /** Password of the seeded `admin` user on a new database (CloudStack's default is `password`). */
  readonly adminPassword?: string;
  /** Timeouts, retries and concurrency bounds of extension invocations (defaults: `DEFAULT_LIFECYCLE_POLICY`). */
  readonly policy?: Partial<Omit<LifecyclePolicy, 'attempts'>> & { readonly attempts?: Readonly<Record<string, number>> };
  /** Told about every finished extension invocation (metrics); must not throw. */
  readonly onInvocation?: InvocationObserver;
}

export interface Orchestrator {
  readonly iam: IamService;
  readonly infrastructure: InfrastructureService;
  readonly extensions: ExtensionsService;
  readonly templates: TemplatesService;
  readonly instances: InstancesService;
  readonly jobs: JobsService;
  readonly events: EventsService;
  readonly powerSync: PowerSyncService;
  /** This process as one node of several sharing the database. */
  readonly cluster: ClusterService;
  /** `sqlite` or `postgres`, for diagnostics only. */
  readonly databaseDialect: 'sqlite' | 'postgres';
  /** Waits for running jobs to settle, stops the loops and closes the database. */
  close(): Promise<void>;
}

/**
 * Opens the database (running migrations), seeds roles/admin/in-built extensions on first use, resolves or
 * resumes jobs left in flight by a previous process, and starts the background loops.
 */
export async function createOrchestrator(config: OrchestratorConfig): Promise<Orchestrator> {
  const store = await openDatabase(config.database);
  try {
    return await assemble(config, store);
  } catch (error) {
    await store.close();
    throw error;
  }
}

async function assemble(config: OrchestratorConfig, store: OpenedDatabase): Promise<Orchestrator> {
  const clock = config.clock ?? Date.now;
  const timings: OrchestratorTimings = { ...DEFAULT_TIMINGS, ...config.timings };
  const policy: LifecyclePolicy = { ...DEFAULT_LIFECYCLE_POLICY, ...config.policy, attempts: { ...DEFAULT_LIFECYCLE_POLICY.attempts, ...config.policy?.attempts } };
  const nowIso = () => new Date(clock()).toISOString();
  const events = new EventsServiceImpl({ db: store.db, nowIso });
  const context: ServiceContext = {
    db: store.db,
    secrets: new SecretBox(config.secretsKey),
    now: () => new Date(clock()),
    nowIso,
    logger: config.logger ?? silentLogger,
    extensionsRoot: resolve(config.extensionsRoot),
    dataRoot: resolve(config.dataRoot),
    builtins: config.builtinExtensions ?? {},
    timings,
    policy,
    recordEvent: async (caller, input) => {
      await events.record(caller, input);
    },
  };
  // SQLite is one process by design: no node waits for a lease and instance locks stay in memory.
  const node = new NodeRegistry(store.db, clock, { name: config.nodeName ?? hostname(), leaseMs: timings.nodeLeaseMs, exclusive: store.dialect === 'sqlite' });
  await node.register();
  const lockTimings = { pollMs: timings.lockPollMs, maxPollMs: timings.lockMaxPollMs };
  const locks = (scope: 'instance' | 'network') => (node.exclusive ? new LocalLocks() : new SharedLocks(scope, store.db, node, nowIso, lockTimings));
  const jobs = new JobsServiceImpl(context, node);
  const iam = new IamServiceImpl(context);
  const extensions = new ExtensionsServiceImpl(context, jobs);
  const infrastructure = new InfrastructureServiceImpl(context, extensions, locks('network'));
  const templates = new TemplatesServiceImpl(context, extensions);
  const instances = new InstancesServiceImpl(context, jobs, extensions, infrastructure, new ExtensionRunner(context.dataRoot, config.onInvocation), locks('instance'));
  const powerSync = new PowerSyncServiceImpl(context, instances);
  const cluster = new ClusterServiceImpl(store.db, node, { jobs, instances, powerSync, infrastructure });
  extensions.setExecutor(instances);

  await iam.seed(config.adminPassword ?? DEFAULT_ADMIN_PASSWORD);
  await extensions.seed();
  instances.systemCaller = await iam.systemCaller();
  instances.resolveCaller = (userUuid) => iam.callerForUser(userUuid);

  await cluster.checkHostHealth();
  await cluster.recoverAtStart();

  const loops = new BackgroundLoops(context.logger);
  loops.every('node', timings.nodeHeartbeatIntervalMs, () => cluster.tick());
  loops.every('host-health', timings.hostHealthIntervalMs, () => cluster.checkHostHealth());
  loops.every('power-sync', timings.powerSyncIntervalMs, () => cluster.syncPower());

  return {
    iam,
    infrastructure,
    extensions,
    templates,
    instances,
    jobs,
    events,
    powerSync,
    cluster,
    databaseDialect: store.dialect,
    async close() {
      await loops.stop();
      await jobs.drain();
      // Only once its jobs are done: a stopped node's hosts go to the others at once.
      await node.stop().catch(() => undefined);
      await store.close();
    },
  };
}

/** CloudStack's default password of the `admin` user on a new installation. */
const DEFAULT_ADMIN_PASSWORD = 'password';

/** Periodic background work that never overlaps itself and stops cleanly. */
class BackgroundLoops {
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #running = new Set<Promise<unknown>>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  every(name: string, intervalMs: number, work: () => Promise<unknown>): void {
    if (intervalMs <= 0) return;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      const run = work()
        .catch((error: unknown) => this.#logger.error({ loop: name, error: error instanceof Error ? error.message : String(error) }, 'background loop failed'))
        .finally(() => {
          busy = false;
          this.#running.delete(run);
        });
      this.#running.add(run);
    }, intervalMs);
    timer.unref();
    this.#timers.push(timer);
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await Promise.allSettled([...this.#running]);
  }
}
