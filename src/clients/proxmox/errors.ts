/**
 * Errors of the Proxmox VE API, carrying what callers need to decide structurally (HTTP status, the
 * per-parameter errors, the task exit status) instead of matching English text.
 */

/** An HTTP answer with status ≥ 400 from the Proxmox API. */
export class ProxmoxApiError extends Error {
  override readonly name = 'ProxmoxApiError';
  constructor(
    /** What failed, e.g. `POST /nodes/pve1/qemu/9000/clone`. */
    readonly operation: string,
    readonly status: number,
    /** The operator-readable reason: reason phrase, else `message`, else `HTTP <status>`. */
    readonly reason: string,
    /** Per-parameter validation errors (`errors` of a 400 answer). */
    readonly parameterErrors: Readonly<Record<string, string>>,
  ) {
    super(`${operation}: ${status} ${describeReason(reason, parameterErrors)}`);
  }

  /** True for a 400 whose `errors` name the given parameter (e.g. `vmid` of `/cluster/nextid`). */
  rejectsParameter(parameter: string): boolean {
    return this.status === 400 && parameter in this.parameterErrors;
  }
}

function describeReason(reason: string, parameterErrors: Readonly<Record<string, string>>): string {
  const details = Object.entries(parameterErrors).map(([parameter, text]) => `${parameter}: ${text}`);
  return details.length === 0 ? reason : `${reason.replace(/\.$/, '')}: ${details.join('; ')}`;
}

/** A UPID task that ended with an exit status other than `OK` or `WARNINGS: n`. */
export class ProxmoxTaskError extends Error {
  override readonly name = 'ProxmoxTaskError';
  constructor(
    readonly upid: string,
    readonly taskDescription: string,
    readonly exitStatus: string,
  ) {
    super(`Task ${taskDescription} failed with exit status: ${exitStatus}`);
  }
}

/** The API answered 2xx with a body that is not the `{"data": …}` envelope. */
export class ProxmoxProtocolError extends Error {
  override readonly name = 'ProxmoxProtocolError';
}

/** The invocation's deadline passed while a task was still running; the task may still finish later. */
export class ProxmoxTaskTimeoutError extends Error {
  override readonly name = 'ProxmoxTaskTimeoutError';
  constructor(
    readonly upid: string,
    readonly node: string,
    taskDescription: string,
  ) {
    super(`Timed out waiting for task ${taskDescription} to finish`);
  }
}
