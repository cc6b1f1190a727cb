/**
 * CloudStack's JSON merge of a `prepare` answer into the VirtualMachineTO ([JMU] `mergeJsonPatch`):
 * objects merge recursively, `null`/primitives/new keys overwrite, and arrays whose elements are all objects
 * carrying `uuid` (on both sides) merge element-wise by `uuid`; any other array replaces the original.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function allHaveUuid(values: Json[]): values is Array<{ [key: string]: Json }> {
  return values.every((value) => isObject(value) && 'uuid' in value);
}

export function mergeJsonPatch(original: Json, patch: Json): Json {
  if (isObject(original) && isObject(patch)) {
    const result: { [key: string]: Json } = { ...original };
    for (const [key, value] of Object.entries(patch)) {
      result[key] = key in original ? mergeJsonPatch(original[key] as Json, value) : value;
    }
    return result;
  }
  if (Array.isArray(original) && Array.isArray(patch) && patch.length > 0 && allHaveUuid(original) && allHaveUuid(patch)) {
    const byUuid = new Map<string, { [key: string]: Json }>();
    for (const item of original) byUuid.set(String(item.uuid), item);
    for (const item of patch) {
      const key = String(item.uuid);
      const existing = byUuid.get(key);
      byUuid.set(key, existing ? (mergeJsonPatch(existing, item) as { [key: string]: Json }) : item);
    }
    return [...byUuid.values()];
  }
  return patch;
}
