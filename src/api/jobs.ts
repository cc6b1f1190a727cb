// Async jobs as the API shows them (cloudstack-api.md §1.7). The API layer talks to a job backend through this
// narrow interface: the orchestrator's persisted jobs in production, an in-memory queue in protocol tests.
import { randomUUID } from 'node:crypto';
import { errorBody, toApiError } from './errors.ts';
import type { ApiPrincipal } from './principal.ts';
import { formatCloudStackDate } from './signing.ts';

export const JobStatus = { pending: 0, succeeded: 1, failed: 2 } as const;

/** The fields of `queryasyncjobresultresponse` / one `asyncjobs` entry, as CloudStack names them. */
export interface AsyncJobView {
  jobid: string;
  accountid: string;
  userid: string;
  cmd: string;
  jobstatus: number;
  /** Progress of a pending job, 0–100 (CloudStack: "the progress information of the PENDING job"); 0 once finished. */
  jobprocstatus: number;
  /** extorch only: the step a pending job is in (`placement`, `prepare`, `create`…); absent once finished. */
  jobprocstep?: string;
  jobresultcode: number;
  jobresulttype: 'object';
  jobresult?: Record<string, unknown>;
  jobinstancetype?: string;
  jobinstanceid?: string;
  created: string;
  completed?: string;
}

export interface JobSubmission {
  /** The API command name, reported as `cmd`. */
  command: string;
  principal: ApiPrincipal;
  instanceType?: string;
  instanceId?: string;
  /** Produces the `jobresult` object, e.g. `{ virtualmachine: {...} }`; a throw fails the job. */
  run: () => Promise<Record<string, unknown>>;
}

export interface ApiJobs {
  submit(job: JobSubmission): Promise<string>;
  get(jobId: string, principal: ApiPrincipal): Promise<AsyncJobView | undefined>;
  list(principal: ApiPrincipal, paging: { offset: number; limit?: number }): Promise<{ items: AsyncJobView[]; count: number }>;
  /** Resolves when every running job has settled (for orderly shutdown). */
  drain(): Promise<void>;
}

export interface JobOutcomeObserver {
  (command: string, outcome: 'succeeded' | 'failed', seconds: number): void;
}

/** Jobs kept in memory: enough for tests and for commands that are not orchestrator operations. */
export function createMemoryJobs(options: { observe?: JobOutcomeObserver; clock?: () => Date } = {}): ApiJobs {
  const clock = options.clock ?? (() => new Date());
  const jobs = new Map<string, AsyncJobView>();
  const running = new Set<Promise<void>>();
  const visible = (job: AsyncJobView, principal: ApiPrincipal) => principal.roleType === 'Admin' || job.accountid === principal.accountId;

  return {
    async submit(submission) {
      const jobid = randomUUID();
      const started = clock();
      const job: AsyncJobView = {
        jobid,
        accountid: submission.principal.accountId,
        userid: submission.principal.userId,
        cmd: submission.command,
        jobstatus: JobStatus.pending,
        jobprocstatus: 0,
        jobresultcode: 0,
        jobresulttype: 'object',
        jobinstancetype: submission.instanceType,
        jobinstanceid: submission.instanceId,
        created: formatCloudStackDate(started),
      };
      jobs.set(jobid, job);
      const settle = (async () => {
        // Let the submitting request answer with the job id before the work starts.
        await new Promise((resolve) => setImmediate(resolve));
        try {
          job.jobresult = await submission.run();
          job.jobstatus = JobStatus.succeeded;
        } catch (error) {
          const apiError = toApiError(error);
          const body = errorBody(apiError);
          job.jobstatus = JobStatus.failed;
          job.jobresultcode = apiError.errorCode;
          job.jobresult = { errorcode: body.errorcode, errortext: body.errortext };
        }
        const completed = clock();
        job.completed = formatCloudStackDate(completed);
        options.observe?.(submission.command, job.jobstatus === JobStatus.succeeded ? 'succeeded' : 'failed', (completed.getTime() - started.getTime()) / 1000);
      })();
      running.add(settle);
      void settle.finally(() => running.delete(settle));
      return jobid;
    },
    async get(jobId, principal) {
      const job = jobs.get(jobId);
      return job && visible(job, principal) ? { ...job } : undefined;
    },
    async list(principal, { offset, limit }) {
      const all = [...jobs.values()].filter((job) => visible(job, principal)).reverse();
      return { items: all.slice(offset, limit === undefined ? undefined : offset + limit).map((job) => ({ ...job })), count: all.length };
    },
    async drain() {
      await Promise.allSettled([...running]);
    },
  };
}
