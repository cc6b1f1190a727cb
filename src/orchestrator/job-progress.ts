import type { JobProgress } from './types.ts';

/** One recorded step of a job: what was attempted, how it ended, and the external handle it produced. */
export interface JobStep {
  readonly name: string;
  /** `planned` marks a plan record: the steps the job intends to run from here on, in `plan`. */
  readonly state: 'planned' | 'started' | 'done' | 'failed' | 'compensated';
  readonly at: string;
  readonly handle?: Record<string, string>;
  readonly detail?: string;
  readonly plan?: readonly string[];
}

/** The name of the record that carries a job's plan in its step list. */
export const PLAN_STEP = 'plan';

/**
 * A job's progress as a pure function of its persisted steps, so that any process reading the job row sees
 * the same figure: the share of the latest plan's steps recorded `done` after that plan (a resumed job plans
 * again, and what the previous process did no longer counts), and the step being worked on — the last one
 * started and not yet ended, else the first planned step not yet done.
 */
export function jobProgress(steps: readonly JobStep[]): JobProgress {
  let planAt = -1;
  for (let index = steps.length - 1; index >= 0; index -= 1) {
    if (steps[index]?.state === 'planned') {
      planAt = index;
      break;
    }
  }
  const since = steps.slice(planAt + 1);
  const plan = planAt >= 0 ? (steps[planAt]?.plan ?? []) : [];
  const done = new Set(since.filter((step) => step.state === 'done').map((step) => step.name));
  const completed = plan.filter((name) => done.has(name)).length;
  const percent = plan.length === 0 ? 0 : Math.floor((completed * 100) / plan.length);
  const last = since.at(-1);
  const step = last?.state === 'started' ? last.name : (plan.find((name) => !done.has(name)) ?? null);
  return { percent, step };
}
