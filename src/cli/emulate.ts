import { InvalidArgumentError, type Command } from 'commander';
import { runUntilSignalled } from './lifecycle.ts';

/** Task time of the interactive emulator, so that a human watching the UI or the API sees tasks run. */
export const CLI_TASK_DURATION_MS = 300;

function parseNonNegativeInteger(label: string, max: number) {
  return (value: string): number => {
    const number = Number(value);
    // InvalidArgumentError makes commander print one usage line instead of a stack trace.
    if (!/^\d+$/.test(value) || number > max) throw new InvalidArgumentError(`Invalid ${label} '${value}'`);
    return number;
  };
}

/** Proxmox node names (pve-common `pve-node` format). */
const NODE_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/** One readable line on stderr and exit status 1, instead of a stack trace. */
function fail(message: string): never {
  process.stderr.write(`extorch: ${message}\n`);
  process.exit(1);
}

function startFailure(error: unknown, port: number): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `Cannot listen on 127.0.0.1:${port}: the port is in use`;
  if (code === 'EACCES') return `Cannot listen on 127.0.0.1:${port}: permission denied`;
  return error instanceof Error ? error.message : String(error);
}

/** `extorch emulate <kind>`: runs one remote-service emulator on loopback until SIGINT/SIGTERM. */
export function registerEmulateCommand(program: Command): void {
  const emulate = program.command('emulate').description('run an emulator of a remote hypervisor API on 127.0.0.1');

  emulate
    .command('proxmox')
    .description('Proxmox VE API emulator (HTTPS, API tokens, UPID tasks)')
    .option('--port <port>', 'port to listen on (0 = any free port)', parseNonNegativeInteger('port', 65535), 8006)
    .option('--nodes <names>', 'comma-separated node names', 'pve1')
    .option('--state <file>', 'load state from this file at start and save it there on exit')
    .option('--task-ms <ms>', 'how long each UPID task runs', parseNonNegativeInteger('task time', 3_600_000), CLI_TASK_DURATION_MS)
    .action(async (options: { port: number; nodes: string; state?: string; taskMs: number }) => {
      const { startProxmoxEmulator } = await import('../emulators/proxmox/index.ts');
      const nodes = options.nodes
        .split(',')
        .map((node) => node.trim())
        .filter(Boolean);
      const invalid = nodes.find((node) => !NODE_NAME.test(node));
      if (invalid !== undefined || nodes.length === 0) fail(`Invalid node name '${invalid ?? ''}'`);
      let emulator;
      try {
        emulator = await startProxmoxEmulator({ port: options.port, nodes, stateFile: options.state, taskDurationMs: options.taskMs });
      } catch (error) {
        fail(startFailure(error, options.port));
      }
      await runUntilSignalled(emulator.readyInfo(), () => emulator.close());
    });

  emulate
    .command('hyperv')
    .description('Hyper-V host behind WinRM (HTTPS, NTLM, Windows Remote Shell, PowerShell subset)')
    .option('--port <port>', 'port to listen on (0 = any free port)', parseNonNegativeInteger('port', 65535), 5986)
    .option('--state <file>', 'load the Hyper-V host from this file at start and save it there on exit')
    .action(async (options: { port: number; state?: string }) => {
      const { startHyperVEmulator } = await import('../emulators/hyperv/index.ts');
      const emulator = await startHyperVEmulator({ port: options.port, ...(options.state ? { stateFile: options.state } : {}) });
      await runUntilSignalled(emulator.readyInfo(), () => emulator.close());
    });

  emulate
    .command('maas')
    .description('MAAS API 2.0 emulator (OAuth1, machines, allocate/deploy/release, power)')
    .option('--port <port>', 'port to listen on (0 = any free port)', parseNonNegativeInteger('port', 65535), 5240)
    .option('--machines <n>', 'number of Ready machines at start', parseNonNegativeInteger('machine count', 100_000), 4)
    .option('--step-ms <ms>', 'time of each deploy/release/erase step', parseNonNegativeInteger('step time', 3_600_000), 2_000)
    .option('--state <file>', 'load state from this file at start and save it there on exit')
    .action(async (options: { port: number; machines: number; stepMs: number; state?: string }) => {
      const { startMaasEmulator } = await import('../emulators/maas/index.ts');
      let emulator;
      try {
        emulator = await startMaasEmulator({ port: options.port, machines: options.machines, stepMs: options.stepMs, stateFile: options.state });
      } catch (error) {
        fail(startFailure(error, options.port));
      }
      await runUntilSignalled(emulator.readyInfo(), () => emulator.close());
    });
}
