export { createOrchestrator } from './orchestrator.ts';
export type { Orchestrator, OrchestratorConfig, OrchestratorTimings, BuiltinExtensions, Logger } from './orchestrator.ts';
export { OrchestratorError, isOrchestratorError } from './errors.ts';
export type { OrchestratorErrorKind } from './errors.ts';
export type { Caller } from './caller.ts';
export { isAdmin } from './caller.ts';
export type * from './types.ts';
export { ROLE_TYPES, ROLE_MASKS, ACCOUNT_TYPE_NUMBERS } from './types.ts';
export type * from './services.ts';
