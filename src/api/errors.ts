// CloudStack's error model (cloudstack-api.md §1.6): HTTP status = `errorcode` (ApiErrorCode), plus the
// exception class code `cserrorcode` (CSExceptionErrorCode) and the operator-facing `errortext`.
import type { OrchestratorErrorKind } from '../orchestrator/index.ts';

export const ApiErrorCode = {
  unauthorized: 401,
  methodNotAllowed: 405,
  apiLimitExceeded: 429,
  malformedParameter: 430,
  parameterError: 431,
  unsupportedAction: 432,
  internalError: 530,
  accountError: 531,
  accountResourceLimit: 532,
  insufficientCapacity: 533,
  resourceUnavailable: 534,
  resourceAllocation: 535,
  resourceInUse: 536,
  networkRuleConflict: 537,
} as const;

export type ApiErrorCodeValue = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export const CsExceptionCode = {
  serverApi: 9999,
  cloudRuntime: 4250,
  insufficientCapacity: 4325,
  invalidParameterValue: 4350,
  permissionDenied: 4365,
  resourceInUse: 4375,
  resourceUnavailable: 4380,
} as const;

export const UNABLE_TO_VERIFY_CREDENTIALS = 'unable to verify user credentials and/or request signature';

export class ApiError extends Error {
  constructor(
    readonly errorCode: ApiErrorCodeValue,
    message: string,
    readonly csErrorCode: number = CsExceptionCode.serverApi,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function invalidParameter(message: string): ApiError {
  return new ApiError(ApiErrorCode.parameterError, message, CsExceptionCode.invalidParameterValue);
}

export function unauthorized(message = UNABLE_TO_VERIFY_CREDENTIALS): ApiError {
  return new ApiError(ApiErrorCode.unauthorized, message);
}

export function internalError(message: string): ApiError {
  return new ApiError(ApiErrorCode.internalError, message, CsExceptionCode.cloudRuntime);
}

/** The `kind` vocabulary of the orchestrator's errors (ORCH-INTERFACE.md); every kind must map to CloudStack's codes. */
export type DomainErrorKind = OrchestratorErrorKind;

const KIND_TO_CODES: Record<DomainErrorKind, [ApiErrorCodeValue, number]> = {
  // CloudStack raises InvalidParameterValueException("Unable to find …") for unknown ids.
  'not-found': [ApiErrorCode.parameterError, CsExceptionCode.invalidParameterValue],
  'invalid-parameter': [ApiErrorCode.parameterError, CsExceptionCode.invalidParameterValue],
  'permission-denied': [ApiErrorCode.accountError, CsExceptionCode.permissionDenied],
  // Duplicate names and similar are CloudRuntimeExceptions in CloudStack (530), "in use" is 536.
  conflict: [ApiErrorCode.internalError, CsExceptionCode.cloudRuntime],
  'insufficient-capacity': [ApiErrorCode.insufficientCapacity, CsExceptionCode.insufficientCapacity],
  unavailable: [ApiErrorCode.resourceUnavailable, CsExceptionCode.resourceUnavailable],
  internal: [ApiErrorCode.internalError, CsExceptionCode.cloudRuntime],
};

export function isDomainError(error: unknown): error is Error & { kind: DomainErrorKind; parameter?: string } {
  const kind = error instanceof Error ? (error as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' && Object.hasOwn(KIND_TO_CODES, kind);
}

/** Turns anything thrown by a command into an ApiError; unknown errors become a 530 without internals. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (isDomainError(error)) {
    const [code, csCode] = KIND_TO_CODES[error.kind];
    // The operator must learn which parameter was at fault even when the domain's text does not say it.
    const names = error.parameter && !error.message.toLowerCase().includes(error.parameter.toLowerCase());
    return new ApiError(code, names ? `${error.message} (parameter ${error.parameter})` : error.message, csCode);
  }
  return internalError('Internal error executing command, please contact your system administrator');
}

export function errorBody(error: ApiError): Record<string, unknown> {
  return { uuidList: [], errorcode: error.errorCode, cserrorcode: error.csErrorCode, errortext: error.message };
}
