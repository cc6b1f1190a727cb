// How the console words a job's progress: CloudStack's `jobprocstatus` (0–100 while pending) and extorch's
// `jobprocstep` (the step the job is in). Pure, so the Node tests check it without a browser.

/** Jobs move quickly: while one runs, the Jobs page refreshes more often than the instance list. */
export const JOB_REFRESH_MS = 2000;

export const JobStatusCode = { pending: 0, succeeded: 1, failed: 2 } as const;

export interface JobProgressFields {
  jobstatus: number;
  jobprocstatus?: number;
  jobprocstep?: string;
}

/** The percentage to draw, clamped to what a progress bar accepts (servers other than extorch may send anything). */
export function progressPercent(job: JobProgressFields): number {
  const value = Number(job.jobprocstatus ?? 0);
  return Number.isFinite(value) ? Math.min(100, Math.max(0, Math.round(value))) : 0;
}

/** `66% · create`, or just `66%` when the server names no step. */
export function progressLabel(job: JobProgressFields): string {
  const percent = `${progressPercent(job)}%`;
  return job.jobprocstep ? `${percent} · ${job.jobprocstep}` : percent;
}

/** The deploy wizard's message while its job runs. */
export function deployProgressMessage(job: JobProgressFields): string {
  return job.jobstatus === JobStatusCode.pending ? `Deploying… ${progressLabel(job)}` : 'Deploying…';
}

/** The Jobs page polls only while something is running: the delay before the next poll, 0 to stop. */
export function jobPollDelay(jobs: readonly JobProgressFields[], intervalMs: number): number {
  return jobs.some((job) => job.jobstatus === JobStatusCode.pending) ? intervalMs : 0;
}
