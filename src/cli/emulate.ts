import type { Command } from 'commander';
import { runUntilSignalled } from './lifecycle.ts';

function parseNonNegativeInteger(label: string, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || number > max) throw new Error(`Invalid ${label} '${value}'`);
    return number;
  };
}

/** `extorch emulate <kind>`: runs one remote-service emulator on loopback until SIGINT/SIGTERM. */
export function registerEmulateCommand(program: Command): void {
  const emulate = program.command('emulate').description('run an emulator of a remote hypervisor API on 127.0.0.1');

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
}
