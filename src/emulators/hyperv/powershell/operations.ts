/**
 * Operators, conversions and member access with PowerShell's semantics: the left operand decides the
 * conversion, string comparison is case-insensitive unless the `c` variant is used, comparison operators
 * filter when the left side is a collection, `[int]` rounds half to even.
 */
import { randomUUID } from 'node:crypto';
import { PowerShellRuntimeError } from './errors.ts';
import { PsDateTime, PsEnum, PsHashtable, PsObject, PsScriptBlock, PsTypeName, collapse, formatNumber, isTruthy, toPsString, typeNameOf } from './values.ts';
import type { PsValue } from './values.ts';

/** Cap on string and array sizes built by operators, so hostile scripts cannot exhaust memory. */
export const MAX_VALUE_SIZE = 10_000_000;
export const MAX_RANGE_LENGTH = 100_000;

export function runtimeError(message: string, id: string, category = 'InvalidOperation', exceptionType = 'System.Management.Automation.RuntimeException'): PowerShellRuntimeError {
  return new PowerShellRuntimeError({ message, fullyQualifiedErrorId: id, category, exceptionType }, 'statement');
}

function conversionError(value: PsValue, typeName: string, detail: string, id: string): PowerShellRuntimeError {
  const shown = typeof value === 'string' ? `"${value}"` : `"${toPsString(value)}"`;
  return runtimeError(`Cannot convert value ${shown} to type "${typeName}". Error: "${detail}"`, id, 'InvalidArgument', 'System.Management.Automation.PSInvalidCastException');
}

/** Converts to a number the way PowerShell does for arithmetic and [double] casts; throws when impossible. */
export function toNumber(value: PsValue, typeName = 'System.Double'): number {
  if (value === null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof PsEnum) return value.value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return 0;
    const hex = /^0x([0-9a-f]+)$/i.exec(trimmed);
    const multiplier = /^(.*?)(kb|mb|gb|tb|pb)$/i.exec(trimmed);
    if (hex) return Number.parseInt(hex[1]!, 16);
    if (multiplier && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(multiplier[1]!)) {
      const factor = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, pb: 1024 ** 5 }[multiplier[2]!.toLowerCase() as 'kb'];
      return Number(multiplier[1]) * factor;
    }
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return Number(trimmed);
    throw conversionError(value, typeName, 'Input string was not in a correct format.', 'InvalidCastFromStringToInteger');
  }
  if (Array.isArray(value) && value.length === 1) return toNumber(value[0] ?? null, typeName);
  throw conversionError(value, typeName, `Cannot convert the "${toPsString(value)}" value of type "${typeNameOf(value)}" to type "${typeName}".`, 'InvalidCastException');
}

/** .NET Math.Round default: to even. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function toInteger(value: PsValue, typeName: 'System.Int32' | 'System.Int64'): number {
  const number = toNumber(value, typeName);
  const rounded = roundHalfEven(number);
  const limit = typeName === 'System.Int32' ? 2 ** 31 : 2 ** 63;
  if (!Number.isFinite(rounded) || rounded >= limit || rounded < -limit) {
    throw conversionError(value, typeName, `Value was either too large or too small for an ${typeName === 'System.Int32' ? 'Int32' : 'Int64'}.`, 'InvalidCastIConvertible');
  }
  return rounded;
}

const TYPE_ALIASES: Record<string, string> = {
  int: 'int', int32: 'int', 'system.int32': 'int', long: 'long', int64: 'long', 'system.int64': 'long', double: 'double', 'system.double': 'double',
  decimal: 'double', float: 'double', single: 'double', string: 'string', 'system.string': 'string', bool: 'bool', boolean: 'bool', 'system.boolean': 'bool',
  array: 'array', 'object[]': 'array', 'string[]': 'string[]', 'int[]': 'int[]', hashtable: 'hashtable', ordered: 'hashtable', pscustomobject: 'pscustomobject',
  psobject: 'object', object: 'object', datetime: 'datetime', 'system.datetime': 'datetime', guid: 'guid', char: 'char', void: 'void', uint64: 'long', uint32: 'long', byte: 'int',
};

export function canonicalType(name: string): string | undefined {
  return TYPE_ALIASES[name.toLowerCase().replace(/^system\.(?=int|string|double|boolean|datetime)/, 'system.')] ?? TYPE_ALIASES[name.toLowerCase()];
}

export function castValue(typeName: string, value: PsValue): PsValue {
  const type = canonicalType(typeName);
  switch (type) {
    case 'int':
      return toInteger(value, 'System.Int32');
    case 'long':
      return toInteger(value, 'System.Int64');
    case 'double':
      return toNumber(value);
    case 'string':
      return value === null ? '' : toPsString(value);
    case 'bool':
      return isTruthy(value);
    case 'array':
      return value === null ? [] : Array.isArray(value) ? value : [value];
    case 'string[]':
      return (value === null ? [] : Array.isArray(value) ? value : [value]).map((item) => toPsString(item));
    case 'int[]':
      return (value === null ? [] : Array.isArray(value) ? value : [value]).map((item) => toInteger(item, 'System.Int32'));
    case 'hashtable':
      if (value instanceof PsHashtable) return value;
      throw conversionError(value, 'System.Collections.Hashtable', 'Only hashtables can be converted.', 'ConvertToFinalInvalidCastException');
    case 'pscustomobject':
      if (value instanceof PsHashtable) {
        return new PsObject(['System.Management.Automation.PSCustomObject'], [...value.entries.values()].map((entry) => [entry.key, entry.value] as const));
      }
      return value;
    case 'object':
      return value;
    case 'void':
      return null;
    case 'datetime': {
      if (value instanceof PsDateTime) return value;
      const date = new Date(toPsString(value));
      if (Number.isNaN(date.getTime())) throw conversionError(value, 'System.DateTime', 'String was not recognized as a valid DateTime.', 'InvalidCastParseTargetInvocation');
      return new PsDateTime(date);
    }
    case 'guid': {
      const text = toPsString(value);
      if (!/^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(text)) throw conversionError(value, 'System.Guid', 'Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).', 'InvalidCastParseTargetInvocation');
      return text.replace(/[{}]/g, '').toLowerCase();
    }
    case 'char': {
      const text = toPsString(value);
      if (typeof value === 'number') return String.fromCharCode(value);
      if (text.length !== 1) throw conversionError(value, 'System.Char', 'String must be exactly one character long.', 'InvalidCastParseTargetInvocation');
      return text;
    }
    default:
      throw runtimeError(`Unable to find type [${typeName}].`, 'TypeNotFound', 'InvalidOperation');
  }
}

export function isOfType(value: PsValue, typeName: string): boolean {
  const type = canonicalType(typeName);
  switch (type) {
    case 'int':
    case 'long':
      return typeof value === 'number' && Number.isInteger(value);
    case 'double':
      return typeof value === 'number';
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'hashtable':
      return value instanceof PsHashtable;
    case 'pscustomobject':
    case 'object':
      return value !== null;
    case 'datetime':
      return value instanceof PsDateTime;
    default:
      if (value instanceof PsObject) return value.typeNames.some((name) => name.toLowerCase() === typeName.toLowerCase() || name.toLowerCase().endsWith(`.${typeName.toLowerCase()}`));
      return false;
  }
}

/** Converts a PowerShell wildcard pattern (`*`, `?`, `[a-z]`, backtick escapes) to a RegExp. */
export function wildcardToRegExp(pattern: string, caseSensitive = false): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '`' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) source += '\\[';
      else {
        source += `[${pattern.slice(i + 1, close).replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else source += escapeRegExp(c);
  }
  try {
    return new RegExp(`^${source}$`, caseSensitive ? 'u' : 'iu');
  } catch {
    throw runtimeError(`The specified wildcard character pattern is not valid: ${pattern}`, 'WildcardPatternException', 'InvalidArgument', 'System.Management.Automation.WildcardPatternException');
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function hasWildcards(text: string): boolean {
  return /[*?[]/.test(text);
}

/** Builds a JavaScript RegExp from a .NET pattern (the common subset is identical). */
export function dotNetRegExp(pattern: string, caseSensitive: boolean): RegExp {
  const source = pattern.replace(/\(\?<([A-Za-z_]\w*)>/g, '(?<$1>');
  try {
    return new RegExp(source, caseSensitive ? 'u' : 'iu');
  } catch {
    try {
      return new RegExp(source, caseSensitive ? '' : 'i');
    } catch {
      throw runtimeError(`The regular expression pattern ${pattern} is not valid.`, 'InvalidRegularExpression', 'InvalidArgument');
    }
  }
}

function compareEqual(left: PsValue, right: PsValue, caseSensitive: boolean): boolean {
  if (left === null) return right === null || (Array.isArray(right) && right.length === 0 && false);
  if (right === null) return false;
  if (typeof left === 'number') {
    try {
      return left === toNumber(right);
    } catch {
      return false;
    }
  }
  if (typeof left === 'boolean') return left === isTruthy(right);
  if (left instanceof PsEnum) {
    if (typeof right === 'number') return left.value === right;
    if (right instanceof PsEnum) return left.value === right.value && left.typeName === right.typeName;
    return left.name.toLowerCase() === toPsString(right).toLowerCase();
  }
  if (typeof left === 'string') {
    const r = toPsString(right);
    return caseSensitive ? left === r : left.toLowerCase() === r.toLowerCase();
  }
  if (left instanceof PsDateTime && right instanceof PsDateTime) return left.date.getTime() === right.date.getTime();
  return left === right;
}

function compareOrder(left: PsValue, right: PsValue, caseSensitive: boolean): number {
  if (typeof left === 'number' || left instanceof PsEnum) {
    const l = toNumber(left);
    const r = toNumber(right);
    return l === r ? 0 : l < r ? -1 : 1;
  }
  if (left instanceof PsDateTime && right instanceof PsDateTime) return Math.sign(left.date.getTime() - right.date.getTime());
  if (left === null) return right === null ? 0 : -1;
  const l = caseSensitive ? toPsString(left) : toPsString(left).toLowerCase();
  const r = caseSensitive ? toPsString(right) : toPsString(right).toLowerCase();
  return l === r ? 0 : l < r ? -1 : 1;
}

export interface MatchState {
  matches?: PsHashtable;
}

/** Applies a comparison operator to scalars. */
function compareScalar(operator: string, left: PsValue, right: PsValue, caseSensitive: boolean, state: MatchState): boolean {
  switch (operator) {
    case 'eq':
      return compareEqual(left, right, caseSensitive);
    case 'ne':
      return !compareEqual(left, right, caseSensitive);
    case 'gt':
      return compareOrder(left, right, caseSensitive) > 0;
    case 'ge':
      return compareOrder(left, right, caseSensitive) >= 0;
    case 'lt':
      return compareOrder(left, right, caseSensitive) < 0;
    case 'le':
      return compareOrder(left, right, caseSensitive) <= 0;
    case 'like':
      return wildcardToRegExp(toPsString(right), caseSensitive).test(toPsString(left));
    case 'notlike':
      return !wildcardToRegExp(toPsString(right), caseSensitive).test(toPsString(left));
    case 'match':
    case 'notmatch': {
      const match = dotNetRegExp(toPsString(right), caseSensitive).exec(toPsString(left));
      if (match && operator === 'match') {
        const table = new PsHashtable();
        match.forEach((group, index) => {
          if (group !== undefined) table.set(String(index), group);
        });
        for (const [name, group] of Object.entries(match.groups ?? {})) if (group !== undefined) table.set(name, group);
        state.matches = table;
      }
      return operator === 'match' ? match !== null : match === null;
    }
    default:
      throw runtimeError(`The operator '-${operator}' is not supported.`, 'OperatorNotSupported');
  }
}

export function compare(operatorText: string, left: PsValue, right: PsValue, state: MatchState): PsValue {
  const raw = operatorText.slice(1).toLowerCase();
  const caseSensitive = raw.startsWith('c') && raw.length > 2 && !['contains'].includes(raw) ? true : false;
  const operator = (raw.startsWith('c') || raw.startsWith('i')) && !['contains', 'in', 'is', 'isnot'].includes(raw) && raw.length > 2 ? raw.slice(1) : raw;
  switch (operator) {
    case 'contains':
    case 'notcontains': {
      const found = (Array.isArray(left) ? left : [left]).some((item) => compareEqual(item, right, caseSensitive));
      return operator === 'contains' ? found : !found;
    }
    case 'in':
    case 'notin': {
      const found = (Array.isArray(right) ? right : [right]).some((item) => compareEqual(item, left, caseSensitive));
      return operator === 'in' ? found : !found;
    }
    case 'is':
    case 'isnot': {
      const typeName = right instanceof PsTypeName ? right.name : toPsString(right);
      const result = isOfType(left, typeName);
      return operator === 'is' ? result : !result;
    }
    case 'as': {
      const typeName = right instanceof PsTypeName ? right.name : toPsString(right);
      try {
        return castValue(typeName, left);
      } catch {
        return null;
      }
    }
    case 'replace': {
      const [pattern, replacement] = Array.isArray(right) ? [right[0] ?? null, right[1] ?? ''] : [right, ''];
      const regex = dotNetRegExp(toPsString(pattern), caseSensitive);
      const global = new RegExp(regex.source, `${regex.flags}g`);
      const apply = (item: PsValue) => limitSize(toPsString(item).replace(global, toPsString(replacement)));
      return Array.isArray(left) ? left.map(apply) : apply(left);
    }
    case 'split': {
      const regex = dotNetRegExp(toPsString(right), caseSensitive);
      return toPsString(left).split(regex);
    }
    case 'join':
      return (Array.isArray(left) ? left : [left]).map((item) => toPsString(item)).join(toPsString(right));
    case 'band':
      return toNumber(left) & toNumber(right);
    case 'bor':
      return toNumber(left) | toNumber(right);
    case 'bxor':
      return toNumber(left) ^ toNumber(right);
    default:
      if (Array.isArray(left)) return left.filter((item) => compareScalar(operator, item, right, caseSensitive, state));
      return compareScalar(operator, left, right, caseSensitive, state);
  }
}

function limitSize<T extends string | PsValue[]>(value: T): T {
  if (value.length > MAX_VALUE_SIZE) throw runtimeError('The result is too large for this PowerShell host.', 'ValueTooLarge', 'LimitsExceeded');
  return value;
}

export function arithmetic(operator: string, left: PsValue, right: PsValue): PsValue {
  if (operator === '+') {
    if (left === null) return right;
    if (Array.isArray(left)) return limitSize([...left, ...(Array.isArray(right) ? right : [right])]);
    if (typeof left === 'string') return limitSize(left + toPsString(right));
    if (left instanceof PsHashtable && right instanceof PsHashtable) {
      const merged = new PsHashtable();
      for (const entry of left.entries.values()) merged.set(entry.key, entry.value);
      for (const entry of right.entries.values()) {
        if (merged.has(entry.key)) throw runtimeError(`Item has already been added. Key in dictionary: '${entry.key}'  Key being added: '${entry.key}'`, 'System.ArgumentException');
        merged.set(entry.key, entry.value);
      }
      return merged;
    }
    if (left instanceof PsDateTime) return left;
    return toNumber(left) + toNumber(right);
  }
  if (operator === '*') {
    if (typeof left === 'string') {
      const count = toNumber(right);
      if (count * left.length > MAX_VALUE_SIZE) throw runtimeError('The result is too large for this PowerShell host.', 'ValueTooLarge', 'LimitsExceeded');
      return left.repeat(Math.max(0, Math.trunc(count)));
    }
    if (Array.isArray(left)) {
      const count = Math.max(0, Math.trunc(toNumber(right)));
      if (count * left.length > MAX_VALUE_SIZE) throw runtimeError('The result is too large for this PowerShell host.', 'ValueTooLarge', 'LimitsExceeded');
      return Array.from({ length: count }, () => left).flat();
    }
    return toNumber(left) * toNumber(right);
  }
  const l = toNumber(left);
  const r = toNumber(right);
  if (operator === '-') return l - r;
  if (operator === '/' || operator === '%') {
    if (r === 0) throw runtimeError('Attempted to divide by zero.', 'RuntimeException', 'NotSpecified', 'System.DivideByZeroException');
    return operator === '/' ? l / r : l % r;
  }
  throw runtimeError(`The operator '${operator}' is not supported.`, 'OperatorNotSupported');
}

export function range(left: PsValue, right: PsValue): number[] {
  const from = toInteger(left, 'System.Int32');
  const to = toInteger(right, 'System.Int32');
  if (Math.abs(to - from) + 1 > MAX_RANGE_LENGTH) throw runtimeError('The range is too large for this PowerShell host.', 'ValueTooLarge', 'LimitsExceeded');
  const step = from <= to ? 1 : -1;
  const result: number[] = [];
  for (let i = from; step > 0 ? i <= to : i >= to; i += step) result.push(i);
  return result;
}

/** The `-f` operator: `{0}`, `{1,5}`, `{0:N2}`, `{{`/`}}`. */
export function formatOperator(format: string, args: PsValue[]): string {
  return format.replace(/\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}/g, (whole, index?: string, alignment?: string, spec?: string) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const i = Number(index);
    if (i >= args.length) throw runtimeError('Error formatting a string: Index (zero based) must be greater than or equal to zero and less than the size of the argument list..', 'FormatError');
    const value = args[i] ?? null;
    let text: string;
    const numberSpec = spec ? /^([NnFfDdXx])(\d*)$/.exec(spec) : null;
    if (numberSpec && value !== null) {
      const digits = numberSpec[2] === '' ? (numberSpec[1]!.toUpperCase() === 'D' || numberSpec[1]!.toUpperCase() === 'X' ? 0 : 2) : Number(numberSpec[2]);
      const n = toNumber(value);
      switch (numberSpec[1]!.toUpperCase()) {
        case 'N':
          text = n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
          break;
        case 'F':
          text = n.toFixed(digits);
          break;
        case 'D':
          text = String(Math.trunc(n)).padStart(digits, '0');
          break;
        default:
          text = Math.trunc(n).toString(16).padStart(digits, '0');
          if (numberSpec[1] === 'X') text = text.toUpperCase();
      }
    } else if (value instanceof PsDateTime && spec) text = value.format(spec);
    else text = toPsString(value);
    if (alignment) {
      const width = Number(alignment);
      text = width < 0 ? text.padEnd(-width) : text.padStart(width);
    }
    return text;
  });
}

function typeInfo(value: PsValue): PsObject {
  const fullName = typeNameOf(value);
  return new PsObject(['System.RuntimeType'], [['Name', fullName.split('.').pop() ?? fullName], ['FullName', fullName]], undefined, fullName);
}

/** Reads a property. Collections enumerate their members (member enumeration); missing members are $null. */
export function getMember(target: PsValue, name: string): PsValue {
  const lower = name.toLowerCase();
  if (target === null) return lower === 'count' || lower === 'length' ? 0 : null;
  if (Array.isArray(target)) {
    if (lower === 'count' || lower === 'length') return target.length;
    const results: PsValue[] = [];
    for (const item of target) {
      const value = getMember(item, name);
      if (value === null && !(item instanceof PsObject && item.has(name))) continue;
      if (Array.isArray(value)) results.push(...value);
      else results.push(value);
    }
    return collapse(results);
  }
  if (target instanceof PsHashtable) {
    if (target.has(name)) return target.get(name) ?? null;
    if (lower === 'count') return target.size;
    if (lower === 'keys') return [...target.entries.values()].map((entry) => entry.key);
    if (lower === 'values') return [...target.entries.values()].map((entry) => entry.value);
    return null;
  }
  if (target instanceof PsObject) {
    if (target.has(name)) return target.get(name) ?? null;
    if (lower === 'count' || lower === 'length') return 1;
    return null;
  }
  if (typeof target === 'string') {
    if (lower === 'length') return target.length;
    if (lower === 'count') return 1;
    return null;
  }
  if (target instanceof PsEnum) {
    if (lower === 'value__') return target.value;
    return null;
  }
  if (target instanceof PsDateTime) {
    const d = target.date;
    const parts: Record<string, number> = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), millisecond: d.getUTCMilliseconds() };
    return parts[lower] ?? null;
  }
  if (lower === 'count' || lower === 'length') return 1;
  return null;
}

export function setMember(target: PsValue, name: string, value: PsValue): void {
  if (target instanceof PsHashtable) target.set(name, value);
  else if (target instanceof PsObject) {
    if (!target.has(name)) throw runtimeError(`The property '${name}' cannot be found on this object. Verify that the property exists and can be set.`, 'PropertyAssignmentException');
    target.set(name, value);
  } else throw runtimeError(`The property '${name}' cannot be found on this object. Verify that the property exists and can be set.`, 'PropertyNotFound');
}

export function getIndex(target: PsValue, index: PsValue): PsValue {
  if (Array.isArray(index)) return index.map((item) => getIndex(target, item));
  if (target instanceof PsHashtable) return target.get(toPsString(index)) ?? null;
  if (Array.isArray(target) || typeof target === 'string') {
    let i = toInteger(index, 'System.Int32');
    if (i < 0) i += target.length;
    const item = target[i];
    return item === undefined ? null : item;
  }
  if (target === null) throw runtimeError('Cannot index into a null array.', 'NullArray');
  if (toInteger(index, 'System.Int32') === 0) return target;
  return null;
}

export function setIndex(target: PsValue, index: PsValue, value: PsValue): void {
  if (target instanceof PsHashtable) target.set(toPsString(index), value);
  else if (Array.isArray(target)) {
    const i = toInteger(index, 'System.Int32');
    if (i < 0 || i >= target.length) throw runtimeError('Index was outside the bounds of the array.', 'IndexOutOfRange');
    target[i] = value;
  } else throw runtimeError('Cannot index into a null array.', 'NullArray');
}

function methodNotFound(target: PsValue, name: string): PowerShellRuntimeError {
  if (target === null) return runtimeError('You cannot call a method on a null-valued expression.', 'InvokeMethodOnNull');
  return runtimeError(`Method invocation failed because [${typeNameOf(target)}] does not contain a method named '${name}'.`, 'MethodNotFound');
}

export function invokeMethod(target: PsValue, name: string, args: PsValue[]): PsValue {
  const lower = name.toLowerCase();
  if (lower === 'gettype' && target !== null) return typeInfo(target);
  if (lower === 'tostring' && target !== null) {
    if (target instanceof PsDateTime) return target.format(args[0] !== undefined ? toPsString(args[0]) : undefined);
    if (typeof target === 'number' && args[0] !== undefined) return formatOperator(`{0:${toPsString(args[0])}}`, [target]);
    return toPsString(target);
  }
  if (lower === 'equals' && target !== null) return compare('-eq', target, args[0] ?? null, {}) === true;
  if (typeof target === 'string') {
    const a = args.map((arg) => toPsString(arg));
    switch (lower) {
      case 'tolower':
      case 'tolowerinvariant':
        return target.toLowerCase();
      case 'toupper':
      case 'toupperinvariant':
        return target.toUpperCase();
      case 'trim':
        return a[0] === undefined ? target.trim() : target.replace(new RegExp(`^[${escapeRegExp(a[0])}]+|[${escapeRegExp(a[0])}]+$`, 'g'), '');
      case 'trimstart':
        return a[0] === undefined ? target.trimStart() : target.replace(new RegExp(`^[${escapeRegExp(a[0])}]+`), '');
      case 'trimend':
        return a[0] === undefined ? target.trimEnd() : target.replace(new RegExp(`[${escapeRegExp(a[0])}]+$`), '');
      case 'contains':
        return target.includes(a[0] ?? '');
      case 'startswith':
        return target.startsWith(a[0] ?? '');
      case 'endswith':
        return target.endsWith(a[0] ?? '');
      case 'replace':
        return limitSize(target.split(a[0] ?? '').join(a[1] ?? ''));
      case 'split':
        return target.split(new RegExp(`[${escapeRegExp(a[0] ?? ' ')}]`));
      case 'substring': {
        const start = toNumber(args[0] ?? 0);
        const length = args[1] === undefined ? undefined : toNumber(args[1]);
        if (start > target.length || (length !== undefined && start + length > target.length)) throw runtimeError('Exception calling "Substring": "Index and length must refer to a location within the string."', 'ArgumentOutOfRangeException');
        return length === undefined ? target.slice(start) : target.slice(start, start + length);
      }
      case 'indexof':
        return target.indexOf(a[0] ?? '');
      case 'padleft':
        return target.padStart(toNumber(args[0] ?? 0), a[1] ?? ' ');
      case 'padright':
        return target.padEnd(toNumber(args[0] ?? 0), a[1] ?? ' ');
      default:
        throw methodNotFound(target, name);
    }
  }
  if (target instanceof PsHashtable) {
    switch (lower) {
      case 'containskey':
        return target.has(toPsString(args[0] ?? null));
      case 'add':
        if (target.has(toPsString(args[0] ?? null))) throw runtimeError(`Exception calling "Add" with "2" argument(s): "Item has already been added."`, 'ArgumentException');
        target.set(toPsString(args[0] ?? null), args[1] ?? null);
        return null;
      case 'remove':
        target.entries.delete(toPsString(args[0] ?? null).toLowerCase());
        return null;
      default:
        throw methodNotFound(target, name);
    }
  }
  if (Array.isArray(target)) {
    if (lower === 'contains') return target.some((item) => compare('-eq', item, args[0] ?? null, {}) === true);
    if (lower === 'indexof') return target.findIndex((item) => compare('-eq', item, args[0] ?? null, {}) === true);
    // Method enumeration: call on each element.
    return collapse(target.map((item) => invokeMethod(item, name, args)));
  }
  if (target instanceof PsDateTime) {
    const ms = { adddays: 86_400_000, addhours: 3_600_000, addminutes: 60_000, addseconds: 1000 }[lower];
    if (ms !== undefined) return new PsDateTime(new Date(target.date.getTime() + toNumber(args[0] ?? 0) * ms));
    if (lower === 'touniversaltime' || lower === 'tolocaltime') return target;
  }
  if (target instanceof PsScriptBlock) throw runtimeError('Script block methods are not supported by this PowerShell host.', 'MethodNotFound');
  throw methodNotFound(target, name);
}

export function invokeStatic(typeName: string, name: string, args: PsValue[] | undefined): PsValue {
  const type = typeName.toLowerCase().replace(/^system\./, '');
  const member = name.toLowerCase();
  const a = args ?? [];
  if (type === 'math') {
    const n = a.map((arg) => toNumber(arg));
    switch (member) {
      case 'round':
        if (n[1] !== undefined) {
          const factor = 10 ** n[1];
          return roundHalfEven(n[0]! * factor) / factor;
        }
        return roundHalfEven(n[0] ?? 0);
      case 'floor':
        return Math.floor(n[0] ?? 0);
      case 'ceiling':
        return Math.ceil(n[0] ?? 0);
      case 'truncate':
        return Math.trunc(n[0] ?? 0);
      case 'abs':
        return Math.abs(n[0] ?? 0);
      case 'max':
        return Math.max(n[0] ?? 0, n[1] ?? 0);
      case 'min':
        return Math.min(n[0] ?? 0, n[1] ?? 0);
      case 'pi':
        return Math.PI;
    }
  }
  if (type === 'string') {
    switch (member) {
      case 'isnullorempty':
        return toPsString(a[0] ?? null) === '';
      case 'isnullorwhitespace':
        return toPsString(a[0] ?? null).trim() === '';
      case 'join':
        return (Array.isArray(a[1]) ? a[1] : a.slice(1)).map((item) => toPsString(item)).join(toPsString(a[0] ?? null));
      case 'empty':
        return '';
    }
  }
  if (type === 'int' || type === 'int32') {
    if (member === 'maxvalue') return 2147483647;
    if (member === 'minvalue') return -2147483648;
    if (member === 'parse') return toInteger(a[0] ?? null, 'System.Int32');
  }
  if (type === 'datetime' && (member === 'utcnow' || member === 'now')) return new PsDateTime(new Date());
  if (type === 'guid' && member === 'newguid') return randomUUID();
  if (type === 'environment' && member === 'newline') return '\r\n';
  if (type === 'io.path') {
    const s = a.map((arg) => toPsString(arg));
    if (member === 'combine') return s.reduce((acc, part) => (acc === '' ? part : `${acc.replace(/\\+$/, '')}\\${part.replace(/^\\+/, '')}`), '');
    if (member === 'getfilename') return (s[0] ?? '').split(/[\\/]/).pop() ?? '';
    if (member === 'getextension') return /\.[^.\\/]*$/.exec(s[0] ?? '')?.[0] ?? '';
  }
  throw runtimeError(`Unable to find the static member [${typeName}]::${name} in this PowerShell host.`, 'MethodNotFound');
}

export { formatNumber };
