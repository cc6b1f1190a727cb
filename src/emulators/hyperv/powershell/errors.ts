/**
 * Error records as PowerShell produces them, and the control-flow exceptions the evaluator uses.
 * PowerShell distinguishes non-terminating errors (written to the error stream, the script goes on),
 * statement-terminating errors (the statement stops, the script goes on: unknown command, parameter binding)
 * and script-terminating errors (`throw`, `-ErrorAction Stop`): try/catch catches the last two kinds.
 */
import type { ErrorRecordData } from './values.ts';

export class PowerShellParseError extends Error {
  override readonly name = 'PowerShellParseError';
  constructor(
    message: string,
    readonly errorId: string,
    readonly position: number,
  ) {
    super(message);
  }
}

export type TerminationScope = 'statement' | 'script';

/** A terminating error in flight; `record` is what `$_` holds in a catch block. */
export class PowerShellRuntimeError extends Error {
  override readonly name = 'PowerShellRuntimeError';
  /** Output written before the error unwound its statements (PowerShell streams it as it goes). */
  pending: unknown[] = [];
  constructor(
    readonly record: ErrorRecordData,
    readonly scope: TerminationScope,
  ) {
    super(record.message);
  }
}

/** `exit N` unwinds everything. */
export class ExitSignal extends Error {
  override readonly name = 'ExitSignal';
  pending: unknown[] = [];
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

/** `break` / `continue` leave or restart the innermost loop. */
export class LoopSignal extends Error {
  override readonly name = 'LoopSignal';
  pending: unknown[] = [];
  constructor(readonly kind: 'break' | 'continue') {
    super(kind);
  }
}

/** `return` leaves the current script block. */
export class ReturnSignal extends Error {
  override readonly name = 'ReturnSignal';
  /** Output of the block up to and including `return <value>`. */
  pending: unknown[] = [];
  constructor() {
    super('return');
  }
}

export function commandNotFound(name: string): ErrorRecordData {
  return {
    message: `The term '${name}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.`,
    fullyQualifiedErrorId: 'CommandNotFoundException',
    category: 'ObjectNotFound',
    targetObject: name,
    exceptionType: 'System.Management.Automation.CommandNotFoundException',
  };
}

/** The .NET class that implements a cmdlet, used in FullyQualifiedErrorIds ("Id,Namespace.Class"). */
export function cmdletClass(cmdlet: string): string {
  const [verb = '', noun = ''] = cmdlet.split('-');
  const hyperVNouns = /^(VM|VHD)/;
  if (hyperVNouns.test(noun)) {
    const namespace = noun.startsWith('VHD') ? 'Microsoft.Vhd.PowerShell.Commands' : 'Microsoft.HyperV.PowerShell.Commands';
    return `${namespace}.${verb}${noun}`;
  }
  return `Microsoft.PowerShell.Commands.${verb}${noun}Command`;
}

export function parameterBindingError(cmdlet: string, id: string, message: string, target?: string): ErrorRecordData {
  return {
    message,
    fullyQualifiedErrorId: `${id},${cmdletClass(cmdlet)}`,
    category: 'InvalidArgument',
    ...(target !== undefined ? { targetObject: target } : {}),
    exceptionType: 'System.Management.Automation.ParameterBindingException',
    commandName: cmdlet,
  };
}

/** Renders an error record the way Windows PowerShell 5.1 prints it to the error stream. */
export function formatErrorRecord(record: ErrorRecordData & { commandText?: string }): string {
  const prefix = record.commandName ? `${record.commandName} : ` : '';
  const lines = [`${prefix}${record.message}`];
  if (record.commandText !== undefined) lines.push(`At line:1 char:1`, `+ ${record.commandText}`, `+ ${'~'.repeat(Math.max(1, record.commandText.length))}`);
  const exceptionName = record.exceptionType.split('.').pop() ?? record.exceptionType;
  const target = record.targetObject !== undefined ? `(${record.targetObject}:String)` : '(:)';
  const activity = record.commandName ? `[${record.commandName}]` : '[]';
  lines.push(`    + CategoryInfo          : ${record.category}: ${target} ${activity}, ${exceptionName}`);
  lines.push(`    + FullyQualifiedErrorId : ${record.fullyQualifiedErrorId}`);
  return lines.join('\r\n');
}
