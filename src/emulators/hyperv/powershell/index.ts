/**
 * A PowerShell-subset interpreter with the Hyper-V cmdlets, run the way `powershell.exe -EncodedCommand`
 * runs a script: parse everything first (a parse error runs nothing), execute statement by statement,
 * stdout formatted like powershell.exe, error records for the WinRM layer to serialise as CLIXML, and the
 * exit code powershell.exe would return.
 */
import type { HyperVHost } from '../host-state.ts';
import type { CmdletDefinition } from './cmdlet-types.ts';
import { CORE_CMDLETS, DEFAULT_ALIASES } from './cmdlets/core.ts';
import { FILE_CMDLETS } from './cmdlets/files.ts';
import { HYPERV_CMDLETS } from './cmdlets/hyperv.ts';
import { PowerShellParseError, formatErrorRecord } from './errors.ts';
import { Interpreter } from './evaluator.ts';
import { parseScript } from './parser.ts';

export { formatErrorRecord };

/** Error id of an interpreter defect (never of a script problem); tests assert it never appears. */
export const INTERNAL_ERROR_ID = 'EmulatorInternalError';

export interface PowerShellErrorRecord {
  message: string;
  fullyQualifiedErrorId: string;
  category: string;
  targetObject?: string;
  /** The cmdlet that wrote the record (shown as "Get-VM : …" by PowerShell). */
  commandName?: string;
  /** .NET type of the exception, e.g. Microsoft.HyperV.PowerShell.VirtualizationException. */
  exceptionType?: string;
}

export interface PowerShellOutcome {
  stdout: string;
  errors: PowerShellErrorRecord[];
  exitCode: number;
  /** Names of the commands the script invoked, in order (what actually ran; for tests and audits). */
  commandsRun: string[];
}

function buildRegistry(): Map<string, CmdletDefinition> {
  const registry = new Map<string, CmdletDefinition>();
  for (const cmdlet of [...CORE_CMDLETS, ...FILE_CMDLETS, ...HYPERV_CMDLETS]) {
    registry.set(cmdlet.name.toLowerCase(), cmdlet);
    // Module-qualified names (Hyper-V\Get-VM) resolve too.
    const module = cmdlet.name.includes('-VM') || cmdlet.name.includes('-VHD') ? 'hyper-v' : 'microsoft.powershell.utility';
    registry.set(`${module}\\${cmdlet.name.toLowerCase()}`, cmdlet);
  }
  for (const [alias, target] of Object.entries(DEFAULT_ALIASES)) {
    const cmdlet = registry.get(target.toLowerCase());
    if (cmdlet) registry.set(alias, cmdlet);
  }
  return registry;
}

const REGISTRY = buildRegistry();

/** Names of the cmdlets this interpreter implements. */
export function supportedCmdlets(): string[] {
  return [...new Set([...REGISTRY.values()].map((cmdlet) => cmdlet.name))].sort();
}

function toPublicRecord(record: PowerShellErrorRecord & { exceptionType?: string }): PowerShellErrorRecord {
  return {
    message: record.message,
    fullyQualifiedErrorId: record.fullyQualifiedErrorId,
    category: record.category,
    ...(record.targetObject !== undefined ? { targetObject: record.targetObject } : {}),
    ...(record.commandName !== undefined ? { commandName: record.commandName } : {}),
    ...(record.exceptionType !== undefined ? { exceptionType: record.exceptionType } : {}),
  };
}

/** Runs a script against the host. Never throws for script problems: they become error records. */
export async function runPowerShell(host: HyperVHost, script: string): Promise<PowerShellOutcome> {
  return runPowerShellSync(host, script);
}

export function runPowerShellSync(host: HyperVHost, script: string): PowerShellOutcome {
  let program;
  try {
    program = parseScript(script);
  } catch (error) {
    if (error instanceof PowerShellParseError) {
      const { line, column } = lineAndColumn(script, error.position);
      return {
        stdout: '',
        errors: [{ message: `At line:${line} char:${column}\r\n${error.message}`, fullyQualifiedErrorId: error.errorId, category: 'ParserError', exceptionType: 'System.Management.Automation.ParseException' }],
        exitCode: 1,
        commandsRun: [],
      };
    }
    throw error;
  }
  const interpreter = new Interpreter(host, REGISTRY);
  let exitCode: number;
  try {
    exitCode = interpreter.runProgram(program);
  } catch (error) {
    // A defect of the interpreter must not take the emulator down: report it as PowerShell would an internal error.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      interpreter.errors.push({ message: 'The script failed due to call depth overflow.', fullyQualifiedErrorId: 'CallDepthOverflow', category: 'InvalidOperation', exceptionType: 'System.Management.Automation.ScriptCallDepthException' });
    } else {
      interpreter.errors.push({ message: `The PowerShell emulator failed: ${(error as Error).message}`, fullyQualifiedErrorId: INTERNAL_ERROR_ID, category: 'NotSpecified', exceptionType: 'System.Management.Automation.RuntimeException' });
    }
    exitCode = 1;
  }
  return { stdout: interpreter.output, errors: interpreter.errors.map(toPublicRecord), exitCode, commandsRun: interpreter.commandsRun };
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return { line, column };
}
