import type { Command } from 'commander';
import { runUntilSignalled } from './lifecycle.ts';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port '${value}'`);
  return port;
}

function parseCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0 || count > 100_000) throw new Error(`Invalid machine count '${value}'`);
  return count;
}

/** `extorch emulate <kind>`: runs one remote-service emulator on loopback until SIGINT/SIGTERM. */
export function registerEmulateCommand(program: Command): void {
  const emulate = program.command('emulate').description('run an emulator of a remote hypervisor API on 127.0.0.1');

  emulate
    .command('maas')
    .description('MAAS API 2.0 emulator (OAuth1, machines, allocate/deploy/release, power)')
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 5240)
    .option('--machines <n>', 'number of Ready machines at start', parseCount, 4)
    .option('--step-ms <ms>', 'time of each deploy/release/erase step', parseCount, 2000)
    .option('--state <file>', 'load state from this file at start and save it there on exit')
    .action(async (options: { port: number; machines: number; stepMs: number; state?: string }) => {
      const { startMaasEmulator } = await import('../emulators/maas/index.ts');
      const emulator = await startMaasEmulator({ port: options.port, machines: options.machines, stepMs: options.stepMs, stateFile: options.state });
      await runUntilSignalled(emulator.readyInfo(), () => emulator.close());
    });
}
