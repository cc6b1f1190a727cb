/**
 * Serialises PowerShell error records the way powershell.exe writes its error stream when stdout/stderr are
 * not a console (as under WinRS): `#< CLIXML`, then an `<Objs>` document with one `<S S="Error">` per
 * line of the default error view, control characters escaped as `_xHHHH_`.
 */

export interface ErrorRecordLike {
  readonly message: string;
  readonly fullyQualifiedErrorId: string;
  readonly category: string;
  readonly targetObject?: string;
  /** The cmdlet that wrote the record; derived from the error id when absent. */
  readonly commandName?: string;
  /** .NET exception type, e.g. `Microsoft.HyperV.PowerShell.VirtualizationException`. */
  readonly exceptionType?: string;
}

const OBJS_OPEN = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">';
/** powershell.exe announces module loading with a progress record before anything else. */
const PROGRESS_RECORD =
  '<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T><T>System.Object</T></TN><MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI><PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>';

/** XML-escapes and applies PowerShell's `_xHHHH_` encoding of control characters and of `_x` look-alikes. */
export function escapeClixmlString(text: string): string {
  return text
    .replace(/_(x[0-9A-Fa-f]{4}_)/g, '_x005F_$1')
    .replace(/[^ -\uffff]/g, (char) => `_x${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** `Microsoft.HyperV.PowerShell.Commands.GetVM` → `Get-VM`; PowerShell prefixes messages with it. */
export function commandNameFromErrorId(fullyQualifiedErrorId: string): string | undefined {
  const typeName = fullyQualifiedErrorId.split(',')[1];
  const match = typeName ? /\.([A-Z][a-z]+)([A-Z][A-Za-z]*?)(?:Command)?$/.exec(typeName) : null;
  return match ? `${match[1]}-${match[2]}` : undefined;
}

/** The default (NormalView) rendering of one error record, line by line. */
export function formatErrorRecord(record: ErrorRecordLike): string[] {
  const command = record.commandName ?? commandNameFromErrorId(record.fullyQualifiedErrorId);
  const target = record.targetObject ?? '';
  const categoryTarget = target ? `(${target}:String)` : '(:)';
  const exception = record.exceptionType?.split('.').pop() ?? 'Exception';
  return [
    ...`${command ? `${command} : ` : ''}${record.message}`.split(/\r?\n/),
    `    + CategoryInfo          : ${record.category}: ${categoryTarget} [${command ?? ''}], ${exception}`,
    `    + FullyQualifiedErrorId : ${record.fullyQualifiedErrorId}`,
    ' ',
  ];
}

export function serializeErrorRecords(records: readonly ErrorRecordLike[]): string {
  if (records.length === 0) return '';
  const lines = records.flatMap(formatErrorRecord);
  const elements = lines.map((line) => `<S S="Error">${escapeClixmlString(`${line}\r\n`)}</S>`).join('');
  return `#< CLIXML\r\n${OBJS_OPEN}${PROGRESS_RECORD}${elements}</Objs>`;
}
