// CloudStack's map parameters as its own UI sends them (cloudstack-api.md §1.3).
import type { ApiParams } from './types.ts';

/** `{a: 1}` → `{'details[0].a': 1}`: every entry in one index, read back flattened by the server. */
export function mapParam(name: string, values: Record<string, string | number | boolean>): ApiParams {
  const params: ApiParams = {};
  for (const [key, value] of Object.entries(values)) params[`${name}[0].${key}`] = value;
  return params;
}

/** A list of objects, one index each (`parameters[0].name=…&parameters[0].type=…`, addCustomAction). */
export function listParam(name: string, items: ReadonlyArray<Record<string, string | number | boolean | undefined>>): ApiParams {
  const params: ApiParams = {};
  items.forEach((item, index) => {
    for (const [key, value] of Object.entries(item)) if (value !== undefined && value !== '') params[`${name}[${index}].${key}`] = value;
  });
  return params;
}

/** `key=value` lines (the console's editor for free-form details) → an object; blank lines are ignored. */
export function parseKeyValueLines(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf('=');
    if (at <= 0) throw new Error(`Each detail must be written key=value; "${trimmed}" is not`);
    result[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
  }
  return result;
}

export function keyValueLines(values: Record<string, unknown> | undefined): string {
  return Object.entries(values ?? {})
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n');
}
