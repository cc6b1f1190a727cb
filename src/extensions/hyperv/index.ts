export { createHyperVExtension, hypervExtension, HYPERV_TIMEOUTS } from './extension.ts';
export type { HyperVExtensionOptions } from './extension.ts';
export type { PowerShellOutput, PowerShellSession, SessionFactory } from './session.ts';
