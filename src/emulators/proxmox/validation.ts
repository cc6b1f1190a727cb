import { parameterError } from './errors.ts';

/**
 * A compact re-statement of the rules of Proxmox's JSON schema checker (pve-common JSONSchema.pm), with the
 * same error texts, for the handful of endpoints the emulator serves. The specs themselves are hand-written
 * in `params.ts` and `vm-config.ts`; nothing here reads the upstream schema.
 */
export type ParamType = 'string' | 'integer' | 'number' | 'boolean';

/** Checks a value against a named format; returns the complaint (without the `invalid format - ` prefix). */
export type FormatCheck = (value: string) => string | undefined;

/** A comma-separated `key=value` grammar (a Proxmox "property string"). */
export type PropertyFormat = Readonly<Record<string, PropertyKeySpec>>;

export interface PropertyKeySpec extends ValueSpec {
  /** The value of a part without `key=` belongs to this key. */
  readonly defaultKey?: boolean;
  /** `virtio=MAC` style: this key is an alias of `alias`, and its own name goes into `keyAlias`. */
  readonly alias?: string;
  readonly keyAlias?: string;
}

export interface ValueSpec {
  readonly type?: ParamType;
  readonly optional?: boolean;
  readonly enum?: readonly string[];
  /** Anchored at both ends, as Proxmox does. */
  readonly pattern?: RegExp;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly maxLength?: number;
  readonly minLength?: number;
  readonly format?: FormatCheck | PropertyFormat;
}

export interface ParamSpec extends ValueSpec {
  readonly type: ParamType;
  /** For numbered keys written as `net[n]`: how many (`net0`…`net<count-1>`). */
  readonly count?: number;
}

export type ParamSchema = Readonly<Record<string, ParamSpec>>;
export type ParamValue = string | number;
export type ParsedParams = Record<string, ParamValue>;

const MISSING = 'property is missing and it is not optional';
const NOT_IN_SCHEMA = 'property is not defined in schema and the schema does not allow additional properties';

/** Finds the spec of a parameter, mapping numbered keys such as `net3` to `net[n]`. */
export function lookupSpec(schema: ParamSchema, name: string): ParamSpec | undefined {
  const direct = schema[name];
  if (direct && !name.endsWith('[n]')) return direct;
  const numbered = /^([a-z][a-z_-]*?)(\d+)$/.exec(name);
  if (!numbered) return undefined;
  const spec = schema[`${numbered[1]}[n]`];
  if (!spec) return undefined;
  const index = Number(numbered[2]);
  if (String(index) !== numbered[2] || index >= (spec.count ?? 0)) return undefined;
  return spec;
}

/**
 * Validates request parameters (strings from the query or body) and converts integers, numbers and 0/1
 * booleans to numbers. Throws 400 `Parameter verification failed.` with every failing parameter.
 */
export function validateParams(raw: Readonly<Record<string, string>>, schema: ParamSchema): ParsedParams {
  const errors: Record<string, string> = {};
  const parsed: ParsedParams = {};
  for (const [name, value] of Object.entries(raw)) {
    const spec = lookupSpec(schema, name);
    if (!spec) {
      errors[name] = NOT_IN_SCHEMA;
      continue;
    }
    const complaint = checkValue(name, value, spec, false);
    if (complaint !== undefined) errors[name] = complaint;
    else parsed[name] = convert(value, spec.type);
  }
  for (const [name, spec] of Object.entries(schema)) {
    if (spec.optional || name.endsWith('[n]')) continue;
    if (raw[name] === undefined && errors[name] === undefined) errors[name] = MISSING;
  }
  if (Object.keys(errors).length > 0) throw parameterError(errors);
  return parsed;
}

function convert(value: string, type: ParamType | undefined): ParamValue {
  return type === 'integer' || type === 'number' || type === 'boolean' ? Number(value) : value;
}

/** Returns the complaint about `value`, in the order JSONSchema.pm `check_prop` checks (type, format, pattern, …). */
function checkValue(path: string, value: string, spec: ValueSpec, inPropertyString: boolean): string | undefined {
  const type = spec.type ?? 'string';
  if (type === 'integer' && !INTEGER.test(value)) return `type check ('integer') failed - got '${value}'`;
  if (type === 'number' && !NUMBER.test(value)) return `type check ('number') failed - got '${value}'`;
  if (type === 'boolean') {
    // Top-level form parameters must be 0 or 1; inside property strings Proxmox first maps on/yes/true.
    const normalised = inPropertyString ? parseBoolean(value) : value;
    if (normalised !== '0' && normalised !== '1') return `type check ('boolean') failed - got '${value}'`;
  }
  if (spec.format) {
    const problem = typeof spec.format === 'function' ? spec.format(value) : propertyStringProblem(path, value, spec.format);
    if (problem !== undefined) return `invalid format - ${problem}`;
  }
  if (spec.pattern && !new RegExp(`^(?:${spec.pattern.source})$`, spec.pattern.flags).test(value)) return 'value does not match the regex pattern';
  if (spec.maxLength !== undefined && value.length > spec.maxLength) return `value may only be ${spec.maxLength} characters long`;
  if (spec.minLength !== undefined && value.length < spec.minLength) return `value must be at least ${spec.minLength} characters long`;
  if (NUMBER.test(value)) {
    const number = Number(value);
    if (spec.maximum !== undefined && number > spec.maximum) return `value must have a maximum value of ${spec.maximum}`;
    if (spec.minimum !== undefined && number < spec.minimum) return `value must have a minimum value of ${spec.minimum}`;
  }
  if (spec.enum && !spec.enum.includes(value)) return `value '${value}' does not have a value in the enumeration '${spec.enum.join(', ')}'`;
  return undefined;
}

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.\d+|\d+\.|\.\d+|\d+)(?:[eE][+-]?\d+)?$/;

/** Proxmox's `parse_boolean`: the spellings accepted inside property strings. */
export function parseBoolean(value: string): string | undefined {
  if (/^(?:1|on|yes|true)$/i.test(value)) return '1';
  if (/^(?:0|off|no|false)$/i.test(value)) return '0';
  return undefined;
}

/** A parsed property string: aliases resolved, booleans normalised to `0`/`1`, insertion order kept. */
export type PropertyValues = Record<string, string>;

/** Parses a property string or throws a message like Proxmox's `parse_property_string`. */
export function parsePropertyString(value: string, format: PropertyFormat): PropertyValues {
  const result: PropertyValues = {};
  let defaultKeyUsed = false;
  for (const part of value.split(',')) {
    if (/^\s*$/.test(part)) continue;
    const pair = /^([^=]+)=(.+)$/.exec(part);
    if (pair) {
      let key = pair[1]!;
      let item = pair[2]!;
      if (result[key] !== undefined) throw new Error(`duplicate key in comma-separated list property: ${key}\n`);
      let spec = format[key];
      if (spec?.alias) {
        if (spec.keyAlias) {
          if (result[spec.keyAlias] !== undefined) throw new Error(`key alias '${spec.keyAlias}' is already defined\n`);
          result[spec.keyAlias] = key;
        }
        key = spec.alias;
        spec = format[key];
      }
      if (!spec) throw new Error(`invalid key in comma-separated list property: ${key}\n`);
      if (spec.type === 'boolean') item = parseBoolean(item) ?? item;
      result[key] = item;
    } else if (!part.includes('=')) {
      const defaultKey = Object.keys(format).find((key) => format[key]?.defaultKey);
      if (!defaultKey) throw new Error('value without key, but schema does not define a default key\n');
      if (defaultKeyUsed || result[defaultKey] !== undefined) throw new Error(`duplicate key in comma-separated list property: ${defaultKey}\n`);
      defaultKeyUsed = true;
      result[defaultKey] = part;
    } else {
      throw new Error('missing key in comma-separated list property\n');
    }
  }
  return result;
}

function propertyStringProblem(path: string, value: string, format: PropertyFormat): string | undefined {
  let parsed: PropertyValues;
  try {
    parsed = parsePropertyString(value, format);
  } catch (error) {
    return (error as Error).message;
  }
  const errors: string[] = [];
  for (const [key, item] of Object.entries(parsed)) {
    const spec = format[key];
    if (!spec || spec.alias) continue;
    const complaint = checkValue(`${path}.${key}`, item, spec, true);
    if (complaint !== undefined) errors.push(`${path}.${key}: ${complaint}`);
  }
  for (const [key, spec] of Object.entries(format)) {
    if (spec.optional || spec.alias || spec.defaultKey) continue;
    if (parsed[key] === undefined) errors.push(`${path}.${key}: ${MISSING}`);
  }
  // A default key is required unless the grammar marks it optional (e.g. the drive volume).
  const defaultKey = Object.keys(format).find((key) => format[key]?.defaultKey);
  if (defaultKey && !format[defaultKey]?.optional && parsed[defaultKey] === undefined) errors.push(`${path}.${defaultKey}: ${MISSING}`);
  if (errors.length > 0) return `format error\n${errors.map((line) => `${line}\n`).join('')}`;
  return undefined;
}

/**
 * Prints a property string the way Proxmox stores it: the default key first (as `model=MAC` for aliased
 * pairs such as `virtio=BC:24:11:…`), then the other keys sorted.
 */
export function printPropertyString(values: PropertyValues, format: PropertyFormat): string {
  const parts: string[] = [];
  const used = new Set<string>();
  const aliasPair = Object.entries(format).find(([, spec]) => spec.alias && spec.keyAlias);
  if (aliasPair) {
    const [, spec] = aliasPair;
    const model = values[spec.keyAlias!];
    const mac = values[spec.alias!];
    if (model !== undefined && mac !== undefined) {
      parts.push(`${model}=${mac}`);
      used.add(spec.keyAlias!).add(spec.alias!);
    }
  }
  const defaultKey = Object.keys(format).find((key) => format[key]?.defaultKey);
  if (defaultKey && values[defaultKey] !== undefined && !used.has(defaultKey)) {
    parts.push(values[defaultKey]);
    used.add(defaultKey);
  }
  for (const key of Object.keys(values).sort()) {
    if (used.has(key)) continue;
    parts.push(`${key}=${values[key]}`);
  }
  return parts.join(',');
}
