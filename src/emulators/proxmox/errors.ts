/**
 * Errors as the Proxmox API server reports them: a status code, a message whose first line becomes the
 * HTTP reason phrase, and (for parameter verification) a map of per-parameter texts.
 */
export class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
  }
}

/** 400 `Parameter verification failed.` with per-parameter texts, like `raise_param_exc`. */
export function parameterError(errors: Record<string, string>): PveError {
  return new PveError(400, 'Parameter verification failed.\n', errors);
}

/** A plain `die` in a handler: 500 with the text (Proxmox ends such texts with a newline). */
export function handlerError(message: string): PveError {
  return new PveError(500, message.endsWith('\n') ? message : `${message}\n`);
}

/** Authentication failures: 401 whose reason phrase carries the text and whose body is empty. */
export class AuthError extends Error {}

/** A failure that happens inside a running task; its text becomes the task's exit status. */
export class TaskFailure extends Error {}
