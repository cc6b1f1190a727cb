import { InvalidArgumentError, type Command } from 'commander';
import { pino } from 'pino';
import { REDACTED_PATHS } from '../api/logger.ts';
import { DEFAULT_SANDBOX_DIRECTORY, SANDBOX_EMULATORS_FILE, SANDBOX_INFO_FILE } from '../sandbox/files.ts';
import type { RunningSandbox, SandboxInfo } from '../sandbox/sandbox.ts';
import { runUntilSignalled } from './lifecycle.ts';

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError(`Invalid port '${value}'`);
  return Number(value);
}

function fail(message: string): never {
  process.stderr.write(`extorch: ${message}\n`);
  process.exit(1);
}

function summary(info: SandboxInfo, directory: string): string {
  return [
    'extorch sandbox is running (Proxmox, Hyper-V and MAAS emulators, seeded zone, clusters, hosts, templates)',
    `  API URL:    ${info.apiurl}`,
    `  API key:    ${info.apikey}`,
    `  Secret key: ${info.secretkey}`,
    `  Login:      ${info.username} / ${info.password}`,
    ...(info.ui ? [`  UI:         ${info.ui}`] : []),
    `  Written to ${directory}/${SANDBOX_INFO_FILE}; the emulators' URLs and credentials (for Add host) in ${directory}/${SANDBOX_EMULATORS_FILE}`,
    `  State kept in ${directory}/ (Ctrl-C to stop)`,
    '',
  ].join('\n');
}

/** `extorch sandbox`: everything needed to try extorch with a CloudStack client, on one machine. */
export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('run the three emulators, the orchestrator (SQLite under .extorch/) and the API, seeded and ready')
    .option('--port <port>', 'API port (0 = any free port)', parsePort, 8080)
    .option('--dir <directory>', `state directory (database, keys, emulator state, ${SANDBOX_INFO_FILE}, ${SANDBOX_EMULATORS_FILE})`, DEFAULT_SANDBOX_DIRECTORY)
    .option('--json', 'print the connection details as one JSON line first on stdout')
    .action(async (options: { port: number; dir: string; json?: boolean }) => {
      // Logs go to stderr so stdout carries only the connection details.
      const logger = pino({ level: process.env.EXTORCH_LOG_LEVEL ?? 'warn', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, pino.destination(2));
      // Loaded here so that other commands do not pay for the emulators and the orchestrator at start-up.
      const { startSandbox } = await import('../sandbox/sandbox.ts');
      let sandbox: RunningSandbox;
      try {
        sandbox = await startSandbox({ directory: options.dir, port: options.port, logger });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        fail(code === 'EADDRINUSE' ? `Cannot listen on 127.0.0.1:${options.port}: the port is in use (try --port 0)` : error instanceof Error ? error.message : String(error));
      }
      if (options.json) {
        await runUntilSignalled(sandbox.info, () => sandbox.close());
      } else {
        process.stdout.write(summary(sandbox.info, options.dir));
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await sandbox.close();
        process.exit(0);
      }
    });
}
