import type { Extension } from '../contract/extension.ts';
import type { DatabaseConfig } from '../store/config.ts';
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
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock?: () => number;
  readonly logger?: Logger;
  readonly timings?: Partial<OrchestratorTimings>;
  /** Password of the seeded `admin` user on a new database (CloudStack's default is `password`). */
  readonly adminPassword?: string;
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
  void config;
  throw new Error('createOrchestrator: not implemented yet');
}
