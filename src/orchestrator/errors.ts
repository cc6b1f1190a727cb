/**
 * The one error type the orchestrator's services throw. The API layer maps `kind` to CloudStack error codes
 * (invalid-parameter → 431, insufficient-capacity → 533, internal → 530, …) and uses `parameter` to name the
 * offending request parameter.
 */
export type OrchestratorErrorKind =
  | 'not-found'
  | 'invalid-parameter'
  | 'permission-denied'
  | 'conflict'
  | 'insufficient-capacity'
  | 'unavailable'
  | 'internal';

export class OrchestratorError extends Error {
  override readonly name = 'OrchestratorError';
  readonly kind: OrchestratorErrorKind;
  /** The request parameter at fault, when there is one (e.g. `zoneid`). */
  readonly parameter: string | undefined;

  constructor(kind: OrchestratorErrorKind, message: string, parameter?: string) {
    super(message);
    this.kind = kind;
    this.parameter = parameter;
  }
}

export function notFound(what: string, id: string, parameter?: string): OrchestratorError {
  return new OrchestratorError('not-found', `Unable to find ${what} with specified id ${id}`, parameter);
}

export function invalidParameter(message: string, parameter?: string): OrchestratorError {
  return new OrchestratorError('invalid-parameter', message, parameter);
}

export function permissionDenied(message = 'The caller does not have permission to perform this operation'): OrchestratorError {
  return new OrchestratorError('permission-denied', message);
}

export function conflict(message: string, parameter?: string): OrchestratorError {
  return new OrchestratorError('conflict', message, parameter);
}

export function isOrchestratorError(error: unknown): error is OrchestratorError {
  return error instanceof OrchestratorError;
}
