import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Caller } from './caller.ts';
import type { BuiltinExtensions, Logger, OrchestratorTimings } from './orchestrator.ts';
import type { SecretBox } from './support/crypto.ts';
import type { RecordEventInput } from './services.ts';

/** Retry/timeouts of extension invocations, as data (ADR 0062). */
export interface LifecyclePolicy {
  /** CloudStack's global `wait` (seconds) for lifecycle actions and per-instance `status`. */
  readonly actionTimeoutSeconds: number;
  /** Attempts per action; only idempotent actions are retried. */
  readonly attempts: Readonly<Record<string, number>>;
  readonly retryBackoffMs: number;
  /** Extension invocations allowed at once on one host. */
  readonly perHostConcurrency: number;
  /** Per-instance `status` calls in flight during one host sweep (fallback path). */
  readonly statusFallbackConcurrency: number;
}

export const DEFAULT_LIFECYCLE_POLICY: LifecyclePolicy = {
  actionTimeoutSeconds: 1800,
  attempts: { stop: 2, delete: 2, status: 2, statuses: 1, prepare: 1, create: 1, start: 1, reboot: 1 },
  retryBackoffMs: 250,
  perHostConcurrency: 16,
  statusFallbackConcurrency: 8,
};

export const DEFAULT_TIMINGS: OrchestratorTimings = {
  powerSyncIntervalMs: 60_000,
  hostHealthIntervalMs: 60_000,
  powerReportGraceMs: 120_000,
  nodeHeartbeatIntervalMs: 5_000,
  nodeLeaseMs: 30_000,
  lockPollMs: 50,
  lockMaxPollMs: 1_000,
};

/** What every service shares. */
export interface ServiceContext {
  readonly db: Kysely<Database>;
  readonly secrets: SecretBox;
  readonly now: () => Date;
  readonly nowIso: () => string;
  readonly logger: Logger;
  readonly extensionsRoot: string;
  readonly dataRoot: string;
  readonly builtins: BuiltinExtensions;
  readonly timings: OrchestratorTimings;
  readonly policy: LifecyclePolicy;
  readonly recordEvent: (caller: Caller | null, input: RecordEventInput) => Promise<void>;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
