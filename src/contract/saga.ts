/**
 * Side effects as explicit steps with compensation. A step registers its undo as soon as the thing it made
 * exists (e.g. right after Proxmox accepted a clone, before its task finished), so a failure at any later
 * point undoes exactly what this invocation created, newest first, and nothing else.
 */

export interface CompensationFailure {
  readonly step: string;
  readonly error: unknown;
}

export class Saga {
  readonly #undo: Array<{ step: string; run: () => Promise<void> }> = [];

  /** Registers how to undo a side effect that now exists. */
  onUndo(step: string, run: () => Promise<void>): void {
    this.#undo.push({ step, run });
  }

  /** Runs every registered undo, newest first; returns the ones that failed (undo continues past them). */
  async compensate(): Promise<CompensationFailure[]> {
    const failures: CompensationFailure[] = [];
    while (this.#undo.length > 0) {
      const { step, run } = this.#undo.pop()!;
      try {
        await run();
      } catch (error) {
        failures.push({ step, error });
      }
    }
    return failures;
  }
}

/** The original failure of a saga, plus the undos that could not be completed. */
export class SagaFailedError extends Error {
  override readonly name = 'SagaFailedError';
  constructor(
    override readonly cause: unknown,
    readonly compensationFailures: readonly CompensationFailure[],
  ) {
    super(describe(cause, compensationFailures));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

function describe(cause: unknown, failures: readonly CompensationFailure[]): string {
  if (failures.length === 0) return messageOf(cause);
  const undone = failures.map((failure) => `${failure.step}: ${messageOf(failure.error)}`).join('; ');
  return `${messageOf(cause)} (cleanup incomplete: ${undone})`;
}

/**
 * Runs `body` with a fresh saga. On failure every registered undo runs and the original error is rethrown
 * unchanged when cleanup succeeded, or wrapped in SagaFailedError naming what could not be undone.
 */
export async function runSaga<T>(body: (saga: Saga) => Promise<T>): Promise<T> {
  const saga = new Saga();
  try {
    return await body(saga);
  } catch (error) {
    const failures = await saga.compensate();
    if (failures.length === 0) throw error;
    throw new SagaFailedError(error, failures);
  }
}
