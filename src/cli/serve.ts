import type { Command } from 'commander';
import { runUntilSignalled } from './lifecycle.ts';

function fail(message: string): never {
  process.stderr.write(`extorch: ${message}\n`);
  process.exit(1);
}

function startFailure(error: unknown, host: string, port: number): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `Cannot listen on ${host}:${port}: the port is in use`;
  if (code === 'EACCES') return `Cannot listen on ${host}:${port}: permission denied`;
  return error instanceof Error ? error.message : String(error);
}

/** `extorch serve`: the orchestrator and the CloudStack API alone, for real Proxmox / Hyper-V / MAAS hosts. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the orchestrator and the CloudStack-compatible API (configuration: docs/serve.md)')
    .option('--config <file>', 'JSON configuration file (environment variables override it)')
    .action(async (options: { config?: string }) => {
      // Loaded here so that other commands do not pay for the orchestrator and API at start-up.
      const { createLogger } = await import('../api/logger.ts');
      const { ConfigError, loadServeConfig } = await import('../runtime/config.ts');
      const { startExtorchServer } = await import('../runtime/server.ts');
      const { findConsoleRoot } = await import('../api/index.ts');
      let config;
      try {
        config = await loadServeConfig(options.config ? { file: options.config } : {});
      } catch (error) {
        fail(error instanceof ConfigError ? error.message : String(error));
      }
      // JSON logs on stdout (credential paths redacted by the API's logger).
      const logger = createLogger({ level: config.logLevel });
      const consoleRoot = findConsoleRoot();
      let server;
      try {
        server = await startExtorchServer({
          database: config.database,
          secretsKey: config.secretsKey,
          extensionsRoot: config.extensionsRoot,
          dataRoot: config.dataRoot,
          listen: { host: config.host, port: config.port },
          powerSyncIntervalMs: config.powerSyncIntervalMs,
          hostHealthIntervalMs: config.hostHealthIntervalMs,
          executableBuiltins: config.executableBuiltins,
          logger,
          ...(consoleRoot ? { consoleRoot } : {}),
          ...(config.adminPassword === undefined ? {} : { adminPassword: config.adminPassword }),
          ...(config.nodeName === undefined ? {} : { nodeName: config.nodeName }),
        });
      } catch (error) {
        fail(startFailure(error, config.host, config.port));
      }
      const running = server;
      const metricsUrl = new URL('/metrics', running.apiUrl).toString();
      await runUntilSignalled({ msg: 'extorch serving', apiurl: running.apiUrl, ...(running.uiUrl ? { ui: running.uiUrl } : {}), metrics: metricsUrl, database: running.orchestrator.databaseDialect, node: running.orchestrator.cluster.nodeName }, () => running.close());
    });
}
