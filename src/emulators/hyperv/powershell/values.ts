/**
 * The value model of the interpreter. JavaScript primitives stand for .NET strings, numbers and booleans;
 * `null` is `$null`; arrays are `object[]`. The classes below model what has no JavaScript equivalent:
 * hashtables (ordered, case-insensitive keys), PS objects with typed, ordered properties, enum values
 * (Hyper-V's `VMState` and friends serialise as numbers but print as names), script blocks and DateTime.
 */
import type { ScriptBlockNode } from './ast.ts';

export type PsValue = null | string | number | boolean | PsValue[] | PsHashtable | PsObject | PsEnum | PsScriptBlock | PsDateTime | PsTypeName;

/** A hashtable literal `@{…}`; keys compare case-insensitively and keep insertion order. */
export class PsHashtable {
  readonly entries = new Map<string, { key: string; value: PsValue }>();
  get(key: string): PsValue | undefined {
    return this.entries.get(key.toLowerCase())?.value;
  }
  has(key: string): boolean {
    return this.entries.has(key.toLowerCase());
  }
  set(key: string, value: PsValue): void {
    const existing = this.entries.get(key.toLowerCase());
    this.entries.set(key.toLowerCase(), { key: existing?.key ?? key, value });
  }
  get size(): number {
    return this.entries.size;
  }
}

/** Links an output object back to the emulator state it describes (for `-VM` pipeline binding). */
export type NativeRef =
  | { kind: 'vm'; vmId: string }
  | { kind: 'snapshot'; vmId: string; checkpointId: string }
  | { kind: 'adapter'; vmId: string; adapterId: string }
  | { kind: 'switch'; switchId: string }
  | { kind: 'error'; record: ErrorRecordData };

export interface ErrorRecordData {
  message: string;
  fullyQualifiedErrorId: string;
  category: string;
  targetObject?: string;
  exceptionType: string;
  commandName?: string;
}

/** An object with named properties (PSCustomObject, Hyper-V objects, error records). */
/** A column of a type's default table view (what Out-Default shows, e.g. Get-VM's Name, State, CPUUsage(%)…). */
export interface TableColumn {
  readonly label: string;
  readonly property: string;
  readonly format?: (value: PsValue) => string;
}

export class PsObject {
  readonly properties = new Map<string, { name: string; value: PsValue }>();
  /** The default table view of the object's type, when it has one. */
  tableView?: readonly TableColumn[];
  constructor(
    readonly typeNames: string[],
    properties: ReadonlyArray<readonly [string, PsValue]> = [],
    readonly native?: NativeRef,
    private readonly display?: string,
  ) {
    for (const [name, value] of properties) this.set(name, value);
  }
  get(name: string): PsValue | undefined {
    return this.properties.get(name.toLowerCase())?.value;
  }
  has(name: string): boolean {
    return this.properties.has(name.toLowerCase());
  }
  set(name: string, value: PsValue): void {
    const existing = this.properties.get(name.toLowerCase());
    this.properties.set(name.toLowerCase(), { name: existing?.name ?? name, value });
  }
  names(): string[] {
    return [...this.properties.values()].map((property) => property.name);
  }
  /** What `.ToString()` and string expansion give: a type's own text, or the type name like .NET. */
  toDisplayString(): string {
    if (this.display !== undefined) return this.display;
    if (this.typeNames[0] === 'System.Management.Automation.PSCustomObject') return `@{${this.names().map((name) => `${name}=${toPsString(this.get(name) ?? null)}`).join('; ')}}`;
    return this.typeNames[0] ?? 'System.Object';
  }
}

/** A .NET enum value: prints as its name, serialises to JSON as its number. */
export class PsEnum {
  constructor(
    readonly typeName: string,
    readonly name: string,
    readonly value: number,
  ) {}
}

export class PsScriptBlock {
  constructor(
    readonly node: ScriptBlockNode,
    readonly text: string,
  ) {}
}

export class PsDateTime {
  constructor(readonly date: Date) {}
  /** .NET `ToString(format)` for the formats scripts use; "s" is the sortable ISO form without offset. */
  format(format?: string): string {
    const d = this.date;
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    const sortable = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    if (format === 's') return sortable;
    if (format === 'o' || format === 'O') return `${sortable}.${pad(d.getUTCMilliseconds(), 3)}0000Z`;
    if (format === 'u') return `${sortable.replace('T', ' ')}Z`;
    // Default (en-US) "M/d/yyyy h:mm:ss tt".
    const hours = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
    return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${hours}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
  }
}

/** A type literal such as `[Math]` used for static member access. */
export class PsTypeName {
  constructor(readonly name: string) {}
}

/** Enumerations the Hyper-V module exposes, with their numeric values. */
export const ENUMS = {
  VMState: { typeName: 'Microsoft.HyperV.PowerShell.VMState', values: { Other: 1, Running: 2, Off: 3, Stopping: 4, Saved: 6, Paused: 9, Starting: 10, Reset: 11, Saving: 32773, Pausing: 32776, Resuming: 32777 } },
  OnOffState: { typeName: 'Microsoft.HyperV.PowerShell.OnOffState', values: { On: 0, Off: 1 } },
  SwitchType: { typeName: 'Microsoft.HyperV.PowerShell.VMSwitchType', values: { Private: 0, Internal: 1, External: 2 } },
  VlanMode: { typeName: 'Microsoft.HyperV.PowerShell.VMNetworkAdapterVlanMode', values: { Untagged: 0, Access: 1, Trunk: 2, Private: 3, Isolated: 4 } },
  SnapshotType: { typeName: 'Microsoft.HyperV.PowerShell.SnapshotType', values: { Standard: 0, Recovery: 1, Planned: 2, Missing: 3, Replica: 4, AppConsistentReplica: 5, SyncedReplica: 6 } },
  ControllerType: { typeName: 'Microsoft.HyperV.PowerShell.ControllerType', values: { IDE: 0, SCSI: 1 } },
  VhdType: { typeName: 'Microsoft.Vhd.PowerShell.VhdType', values: { Unknown: 0, Fixed: 2, Dynamic: 3, Differencing: 4 } },
} as const;

export function enumValue<K extends keyof typeof ENUMS>(kind: K, name: keyof (typeof ENUMS)[K]['values'] & string): PsEnum {
  const definition = ENUMS[kind];
  return new PsEnum(definition.typeName, name, (definition.values as Record<string, number>)[name] ?? 0);
}

/** Formats a number like .NET's default ToString(): integers plainly, doubles with up to 15 significant digits. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  const text = String(Number(value.toPrecision(15)));
  return text.replace(/e\+?/, 'E+').replace('E+-', 'E-');
}

/** PowerShell's conversion of a value to string (string expansion, `[string]` casts, `-like` operands). */
export function toPsString(value: PsValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (Array.isArray(value)) return value.map((item) => toPsString(item)).join(' ');
  if (value instanceof PsEnum) return value.name;
  if (value instanceof PsHashtable) return 'System.Collections.Hashtable';
  if (value instanceof PsObject) return value.toDisplayString();
  if (value instanceof PsScriptBlock) return value.text;
  if (value instanceof PsDateTime) return value.format();
  return value.name;
}

/** PowerShell truthiness (`if`, `-not`, `Where-Object`). */
export function isTruthy(value: PsValue | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) {
    if (value.length === 0) return false;
    if (value.length === 1) return isTruthy(value[0]);
    return true;
  }
  if (value instanceof PsEnum) return value.value !== 0;
  return true;
}

/** Flattens a value into pipeline items: arrays enumerate, `$null` is one item only when written explicitly. */
export function enumerate(value: PsValue): PsValue[] {
  return Array.isArray(value) ? value : [value];
}

export function typeNameOf(value: PsValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'System.String';
  if (typeof value === 'number') return Number.isInteger(value) ? (Math.abs(value) <= 2147483647 ? 'System.Int32' : 'System.Int64') : 'System.Double';
  if (typeof value === 'boolean') return 'System.Boolean';
  if (Array.isArray(value)) return 'System.Object[]';
  if (value instanceof PsHashtable) return 'System.Collections.Hashtable';
  if (value instanceof PsObject) return value.typeNames[0] ?? 'System.Object';
  if (value instanceof PsEnum) return value.typeName;
  if (value instanceof PsScriptBlock) return 'System.Management.Automation.ScriptBlock';
  if (value instanceof PsDateTime) return 'System.DateTime';
  return 'System.RuntimeType';
}

/** The value an output object unwraps to: a single item stays itself, several become an array. */
export function collapse(items: PsValue[]): PsValue {
  if (items.length === 0) return null;
  if (items.length === 1) return items[0] ?? null;
  return items;
}
