/** Retry and timeout policy of the MAAS client, as data so that callers and tests can see and change it. */
export interface MaasRetryPolicy {
  /** Total attempts, the first included. */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Answers worth retrying: a proxy or the region API restarting. */
  readonly retryStatuses: readonly number[];
  /**
   * Transport failures worth retrying on idempotent requests. A refused connection never reached MAAS, so
   * it is retried for every method; anything else only for GET.
   */
  readonly retryTransportCodes: readonly string[];
}

export const DEFAULT_MAAS_RETRY_POLICY: MaasRetryPolicy = {
  attempts: 3,
  initialDelayMs: 250,
  maxDelayMs: 2_000,
  retryStatuses: [502, 503, 504],
  retryTransportCodes: ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'],
};

export interface MaasTimeouts {
  /** Cap for one ordinary API call; the invocation's deadline lowers it further. */
  readonly requestMs: number;
  /** `query_power_state` asks the BMC and may block for 30–60 s on a real MAAS. */
  readonly powerQueryMs: number;
}

export const DEFAULT_MAAS_TIMEOUTS: MaasTimeouts = {
  requestMs: 30_000,
  powerQueryMs: 65_000,
};
