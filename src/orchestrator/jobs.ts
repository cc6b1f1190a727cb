import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, UpdateQueryBuilder, UpdateResult } from 'kysely';
import { toCount } from '../store/database.ts';
import type { Database, JobsTable } from '../store/schema.ts';
import type { Caller } from './caller.ts';
import { isAdmin } from './caller.ts';
import type { ServiceContext } from './context.ts';
import { isOrchestratorError, notFound, OrchestratorError } from './errors.ts';
import type { JobContext, JobsService } from './services.ts';
import { jobProgress, PLAN_STEP, type JobStep } from './job-progress.ts';
import type { Job, JobProgress, JobStatus, ListOptions, Page } from './types.ts';
import { applyPaging } from './support/paging.ts';
import type { NodeRegistry } from './cluster/nodes.ts';

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

/** Thrown into a job's work when another node has taken the job over: the work must stop and touch nothing. */
export class JobTakenOverError extends OrchestratorError {
  constructor() {
    super('internal', 'The job was taken over by another orchestrator node');
  }
}

/**
 * Who runs jobs (ADR 0064): this node's id, and the live other nodes as a subquery, so that a job is taken
 * over only when its node is dead. Without one (a bare service in tests) jobs are owned by nobody.
 */
export interface JobOwnership {
  readonly uuid: string;
  liveOthers(): ReturnType<NodeRegistry['liveOthers']>;
}

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
  readonly #node: JobOwnership | undefined;
  #closed = false;

  constructor(context: Pick<ServiceContext, 'db' | 'nowIso'>, node?: JobOwnership) {
    this.#db = context.db;
    this.#nowIso = context.nowIso;
    this.#node = node;
  }

  get #nodeUuid(): string | null {
    return this.#node?.uuid ?? null;
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

  /**
   * Steps are kept in memory by the one process running the job and written through on every step. A write
   * that finds the job owned by another node (this node was declared dead and its job taken over) stops the
   * work here, before it acts again.
   */
  recorder(jobId: string, initialSteps: readonly JobStep[] = []): JobRecorder {
    const steps: JobStep[] = [...initialSteps];
    return {
      jobId,
      step: async (step) => {
        steps.push({ ...step, at: this.#nowIso() });
        const written = await this.#owned(this.#db.updateTable('jobs').set({ steps: JSON.stringify(steps), updated: this.#nowIso() }).where('uuid', '=', jobId)).executeTakeFirst();
        if (written.numUpdatedRows === 0n) throw new JobTakenOverError();
      },
      plan: (names) => {
        steps.push({ name: PLAN_STEP, state: 'planned', plan: [...names], at: this.#nowIso() });
      },
    };
  }

  /**
   * Pending jobs of dead nodes (a previous process of this one included): each is claimed with a conditional
   * update on the owner it was read with, so of two live nodes only one gets it. Resumable ones are returned,
   * the others are failed now.
   */
  async takeOverPending(): Promise<ResumableJobRow[]> {
    const me = this.#nodeUuid;
    let query = this.#db.selectFrom('jobs').selectAll().where('status', '=', 'pending');
    if (me !== null && this.#node) {
      const liveOthers = this.#node.liveOthers();
      query = query.where((eb) => eb.or([eb('node_uuid', 'is', null), eb.and([eb('node_uuid', '<>', me), eb('node_uuid', 'not in', liveOthers)])]));
    }
    const rows = await query.orderBy('id').execute();
    const resumable: ResumableJobRow[] = [];
    for (const row of rows) {
      if (me !== null) {
        const claim = await this.#db
          .updateTable('jobs')
          .set({ node_uuid: me, updated: this.#nowIso() })
          .where('uuid', '=', row.uuid)
          .where('status', '=', 'pending')
          .where('node_uuid', row.node_uuid === null ? 'is' : '=', row.node_uuid)
          .executeTakeFirst();
        if (claim.numUpdatedRows === 0n) continue;
      }
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
        node_uuid: this.#nodeUuid,
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

  /** Limits a job write to a job this node owns (any job when there is no node). */
  #owned(query: UpdateQueryBuilder<Database, 'jobs', 'jobs', UpdateResult>): UpdateQueryBuilder<Database, 'jobs', 'jobs', UpdateResult> {
    const me = this.#nodeUuid;
    return me === null ? query : query.where('node_uuid', '=', me);
  }

  async #finish(jobId: string, status: JobStatus, result: unknown, error: { kind: string; message: string } | null): Promise<void> {
    const now = this.#nowIso();
    // A job taken over by another node is that node's to finish.
    await this.#owned(this.#db.updateTable('jobs'))
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
