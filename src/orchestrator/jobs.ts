import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { toCount } from '../store/database.ts';
import type { Database, JobsTable } from '../store/schema.ts';
import type { Caller } from './caller.ts';
import { isAdmin } from './caller.ts';
import type { ServiceContext } from './context.ts';
import { isOrchestratorError, notFound } from './errors.ts';
import type { JobContext, JobsService } from './services.ts';
import { jobProgress, PLAN_STEP, type JobStep } from './job-progress.ts';
import type { Job, JobProgress, JobStatus, ListOptions, Page } from './types.ts';
import { applyPaging } from './support/paging.ts';

export interface ResumableJobRow {
  readonly uuid: string;
  readonly kind: string;
  readonly params: Record<string, unknown>;
  readonly steps: JobStep[];
  readonly accountUuid: string;
  readonly userUuid: string;
}

/** The handle a running job uses to record its progress. */
export interface JobRecorder {
  readonly jobId: string;
  step(step: Omit<JobStep, 'at' | 'plan'>): Promise<void>;
  /**
   * Declares the steps the job will run from now on (its progress is the share of them done). Kept in memory
   * and written with the next step, so planning costs no write of its own.
   */
  plan(names: readonly string[]): void;
}

const INTERRUPTED = 'The job was interrupted by a restart of the orchestrator and cannot be resumed safely';

/** A succeeded job did all it had to, whatever its plan said it might do (and its steps need not be parsed). */
const COMPLETE: JobProgress = { percent: 100, step: null };

function toJob(row: Selectable<JobsTable>): Job {
  return {
    id: row.uuid,
    kind: row.kind,
    status: row.status as JobStatus,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error === null ? null : (JSON.parse(row.error) as Job['error']),
    accountId: row.account_uuid,
    userId: row.user_uuid,
    resourceType: row.resource_type,
    resourceId: row.resource_uuid,
    created: row.created,
    completed: row.completed,
    progress: row.status === 'succeeded' ? COMPLETE : jobProgress(JSON.parse(row.steps) as JobStep[]),
  };
}

function errorOf(error: unknown): { kind: string; message: string } {
  if (isOrchestratorError(error)) return { kind: error.kind, message: error.message };
  return { kind: 'internal', message: error instanceof Error ? error.message : String(error) };
}

/**
 * Persisted async jobs. Every job is a row before its work starts, and ends `succeeded` or `failed`.
 * Resumable jobs (instance lifecycle) also keep their parameters and steps, so a new process resumes them;
 * any other job found pending at start is failed as interrupted (ADR 0061).
 */
export class JobsServiceImpl implements JobsService {
  readonly #db: Kysely<Database>;
  readonly #nowIso: () => string;
  readonly #running = new Map<string, Promise<void>>();
  readonly #waiters = new Map<string, Array<() => void>>();
  #closed = false;

  constructor(context: Pick<ServiceContext, 'db' | 'nowIso'>) {
    this.#db = context.db;
    this.#nowIso = context.nowIso;
  }

  async submit<Result>(
    kind: string,
    caller: Caller,
    resource: { type: string | null; id: string | null },
    work: (context: JobContext) => Promise<Result>,
  ): Promise<Job<Result>> {
    const row = await this.#insert(kind, caller, resource, {}, false);
    this.#launch(row.uuid, () => work({ jobId: row.uuid, caller }));
    return toJob(row) as Job<Result>;
  }

  /** Creates a resumable job; `work` gets a recorder for its steps. */
  async submitResumable<Result>(
    kind: string,
    caller: Caller,
    resource: { type: string | null; id: string | null },
    params: Record<string, unknown>,
    work: (recorder: JobRecorder) => Promise<Result>,
  ): Promise<Job<Result>> {
    const row = await this.#insert(kind, caller, resource, params, true);
    this.#launch(row.uuid, () => work(this.recorder(row.uuid)));
    return toJob(row) as Job<Result>;
  }

  /** Continues a job found pending at start. */
  resume<Result>(job: ResumableJobRow, work: (recorder: JobRecorder) => Promise<Result>): void {
    this.#launch(job.uuid, () => work(this.recorder(job.uuid, job.steps)));
  }

  /** Steps are kept in memory by the one process running the job and written through on every step. */
  recorder(jobId: string, initialSteps: readonly JobStep[] = []): JobRecorder {
    const steps: JobStep[] = [...initialSteps];
    return {
      jobId,
      step: async (step) => {
        steps.push({ ...step, at: this.#nowIso() });
        await this.#db.updateTable('jobs').set({ steps: JSON.stringify(steps), updated: this.#nowIso() }).where('uuid', '=', jobId).execute();
      },
      plan: (names) => {
        steps.push({ name: PLAN_STEP, state: 'planned', plan: [...names], at: this.#nowIso() });
      },
    };
  }

  /** Pending jobs left by a previous process: resumable ones are returned, the others are failed now. */
  async takeOverPending(): Promise<ResumableJobRow[]> {
    const rows = await this.#db.selectFrom('jobs').selectAll().where('status', '=', 'pending').orderBy('id').execute();
    const resumable: ResumableJobRow[] = [];
    for (const row of rows) {
      if (row.resumable === 1) {
        resumable.push({
          uuid: row.uuid,
          kind: row.kind,
          params: JSON.parse(row.params) as Record<string, unknown>,
          steps: JSON.parse(row.steps) as JobStep[],
          accountUuid: row.account_uuid,
          userUuid: row.user_uuid,
        });
      } else {
        await this.#finish(row.uuid, 'failed', null, { kind: 'internal', message: INTERRUPTED });
      }
    }
    return resumable;
  }

  async get(caller: Caller, id: string): Promise<Job> {
    const row = await this.#db.selectFrom('jobs').selectAll().where('uuid', '=', id).executeTakeFirst();
    if (!row || (!isAdmin(caller) && row.account_uuid !== caller.accountId)) throw notFound('job', id, 'jobid');
    return toJob(row);
  }

  async list(caller: Caller, filter: ListOptions & { status?: JobStatus; accountId?: string } = {}): Promise<Page<Job>> {
    let query = this.#db.selectFrom('jobs');
    if (!isAdmin(caller)) query = query.where('account_uuid', '=', caller.accountId);
    else if (filter.accountId) query = query.where('account_uuid', '=', filter.accountId);
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.keyword) query = query.where('kind', 'like', `%${filter.keyword}%`);
    const { count } = await query.select((eb) => eb.fn.countAll().as('count')).executeTakeFirstOrThrow();
    const rows = await applyPaging(query.selectAll().orderBy('id', 'desc'), filter).execute();
    return { items: rows.map(toJob), count: toCount(count) };
  }

  async wait(caller: Caller, id: string, timeoutMs = 60_000): Promise<Job> {
    const job = await this.get(caller, id);
    if (job.status !== 'pending') return job;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const list = this.#waiters.get(id) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.#waiters.set(id, list);
    });
    return this.get(caller, id);
  }

  /** Waits for every job of this process to settle (on close). */
  async drain(): Promise<void> {
    this.#closed = true;
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #insert(
    kind: string,
    caller: Caller,
    resource: { type: string | null; id: string | null },
    params: Record<string, unknown>,
    resumable: boolean,
  ): Promise<Selectable<JobsTable>> {
    const now = this.#nowIso();
    return this.#db
      .insertInto('jobs')
      .values({
        uuid: randomUUID(),
        kind,
        status: 'pending',
        result: null,
        error: null,
        account_uuid: caller.accountId,
        user_uuid: caller.userId,
        resource_type: resource.type,
        resource_uuid: resource.id,
        params: JSON.stringify(params),
        steps: '[]',
        resumable: resumable ? 1 : 0,
        created: now,
        updated: now,
        completed: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  #launch(jobId: string, work: () => Promise<unknown>): void {
    const done = (async () => {
      try {
        const result = await work();
        await this.#finish(jobId, 'succeeded', result ?? null, null);
      } catch (error) {
        await this.#finish(jobId, 'failed', null, errorOf(error)).catch(() => undefined);
      }
    })().finally(() => {
      this.#running.delete(jobId);
      for (const wake of this.#waiters.get(jobId) ?? []) wake();
      this.#waiters.delete(jobId);
    });
    this.#running.set(jobId, done);
  }

  async #finish(jobId: string, status: JobStatus, result: unknown, error: { kind: string; message: string } | null): Promise<void> {
    const now = this.#nowIso();
    await this.#db
      .updateTable('jobs')
      .set({
        status,
        result: result === null ? null : JSON.stringify(result),
        error: error === null ? null : JSON.stringify(error),
        updated: now,
        completed: now,
      })
      .where('uuid', '=', jobId)
      .execute();
  }
}
