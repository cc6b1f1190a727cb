/**
 * One overall deadline for an extension invocation. Every HTTP call and every task wait takes its budget
 * from here, so a whole `create` finishes (or fails cleanly) before CloudStack kills the process.
 */
export class Deadline {
  readonly #expiresAt: number;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;

  private constructor(budgetMs: number, parent?: AbortSignal) {
    this.#expiresAt = Date.now() + budgetMs;
    this.#timer = setTimeout(() => this.#controller.abort(new DeadlineExceededError(budgetMs)), budgetMs);
    this.#timer.unref();
    if (parent) {
      if (parent.aborted) this.#controller.abort(parent.reason);
      else parent.addEventListener('abort', () => this.#controller.abort(parent.reason), { once: true });
    }
  }

  /** A deadline `budgetMs` from now, also aborted when `parent` aborts. */
  static after(budgetMs: number, parent?: AbortSignal): Deadline {
    return new Deadline(Math.max(0, budgetMs), parent);
  }

  /** Aborted when the deadline passes or the invocation is cancelled. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.#expiresAt - Date.now());
  }

  get expired(): boolean {
    return this.remainingMs() === 0 || this.#controller.signal.aborted;
  }

  /** The budget for one step: the smaller of `capMs` and what is left. */
  budget(capMs: number): number {
    return Math.min(capMs, this.remainingMs());
  }

  /** Throws the abort reason when the invocation was cancelled or ran out of time. */
  throwIfExpired(): void {
    if (this.#controller.signal.aborted) throw this.#controller.signal.reason;
    if (this.remainingMs() === 0) throw new DeadlineExceededError();
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}

export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(budgetMs?: number) {
    super(budgetMs === undefined ? 'Timed out' : `Timed out after ${Math.round(budgetMs / 1000)}s`);
  }
}

/** Resolves after `ms`, or rejects early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
