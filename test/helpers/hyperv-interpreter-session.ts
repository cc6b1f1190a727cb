/**
 * Runs the extension's PowerShell directly in the emulator's interpreter (no WinRM): for unit tests of the
 * extension's scripts and logic. Contract tests go through WinRM and the bundled executable instead.
 */
import type { HyperVHost } from '../../src/emulators/hyperv/host-state.ts';
import { runPowerShell } from '../../src/emulators/hyperv/powershell/index.ts';
import type { SessionFactory } from '../../src/extensions/hyperv/index.ts';

export interface RecordedSessions {
  factory: SessionFactory;
  /** Sessions opened, and the scripts each ran with the commands each script invoked. */
  sessions: Array<{ scripts: string[]; commands: string[][]; closed: boolean }>;
}

export function interpreterSessions(host: HyperVHost): RecordedSessions {
  const sessions: RecordedSessions['sessions'] = [];
  const factory: SessionFactory = () => {
    const record = { scripts: [] as string[], commands: [] as string[][], closed: false };
    sessions.push(record);
    return {
      async run(script) {
        const outcome = await runPowerShell(host, script.text);
        record.scripts.push(script.text);
        record.commands.push(outcome.commandsRun);
        return { stdout: outcome.stdout, stderr: '', exitCode: outcome.exitCode, errors: outcome.errors.map((error) => error.message) };
      },
      async close() {
        record.closed = true;
      },
    };
  };
  return { factory, sessions };
}
