export { createApiServer, createCommandRegistry } from './server.ts';
export type { ApiServerOptions } from './server.ts';
export type { ApiHttpServer } from './http-server.ts';
export { API_PATH, DEFAULT_API_PORT } from './http-server.ts';
export { createLogger } from './logger.ts';
export { createMetrics } from '../metrics/registry.ts';
export { observeInvocations } from '../metrics/instrument.ts';
export type { ExtorchMetrics } from '../metrics/registry.ts';
export { findConsoleRoot } from './console-static.ts';
