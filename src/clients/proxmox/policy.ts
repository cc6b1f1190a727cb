/**
 * Timing and retry policies of the Proxmox client, as data. Every wait is additionally capped by the
 * invocation's deadline.
 */

export interface RequestPolicy {
  /** Upper bound for one HTTP exchange (the invocation deadline may cut it shorter). */
  readonly timeoutMs: number;
}

export interface RetryPolicy {
  /** Total attempts (first try included) for a request that may be repeated safely. */
  readonly attempts: number;
  /** Methods that are safe to repeat: the request cannot have changed anything. */
  readonly idempotentMethods: ReadonlySet<string>;
  /** Transport error codes meaning "the server closed a kept-alive connection before answering". */
  readonly retryOnTransportCodes: ReadonlySet<string>;
}

export interface TaskPollingPolicy {
  /** Delay before the first status check: most tasks finish fast. */
  readonly firstDelayMs: number;
  /** Growth of the delay after each check that found the task still running. */
  readonly backoffFactor: number;
  /** Longest delay between two checks. */
  readonly maxDelayMs: number;
}

export interface ProxmoxClientPolicy {
  readonly request: RequestPolicy;
  readonly retry: RetryPolicy;
  readonly taskPolling: TaskPollingPolicy;
}

export const DEFAULT_PROXMOX_POLICY: ProxmoxClientPolicy = {
  request: { timeoutMs: 60_000 },
  retry: {
    attempts: 2,
    idempotentMethods: new Set(['GET']),
    retryOnTransportCodes: new Set(['ECONNRESET', 'EPIPE']),
  },
  taskPolling: { firstDelayMs: 20, backoffFactor: 2, maxDelayMs: 1_000 },
};

/** The delays between task status checks: 20, 40, 80, … ms, then every `maxDelayMs`. */
export function* pollingDelays(policy: TaskPollingPolicy): Generator<number, never> {
  let delay = policy.firstDelayMs;
  for (;;) {
    yield delay;
    delay = Math.min(policy.maxDelayMs, Math.max(1, delay * policy.backoffFactor));
  }
}
