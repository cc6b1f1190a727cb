// Request parameters as CloudStack's servlet sees them: query string and form body merged (the first value of
// a repeated name wins), names kept as received for signing, lower-cased for binding (cloudstack-api.md §1.1, §1.3).
import { ApiError, ApiErrorCode, CsExceptionCode } from './errors.ts';

export type RawParams = ReadonlyArray<readonly [string, string]>;

export function parseRequestParams(rawQuery: string, formBody: string | undefined): RawParams {
  const seen = new Set<string>();
  const params: Array<[string, string]> = [];
  for (const source of [rawQuery, formBody ?? '']) {
    for (const [name, value] of new URLSearchParams(source)) {
      if (name === '' || seen.has(name)) continue;
      seen.add(name);
      params.push([name, value]);
    }
  }
  return params;
}

/** A map parameter: index → field → value (`details[0].key=…`), before any flattening. */
export type IndexedMap = Map<number, Map<string, string>>;

export interface BindableParams {
  /** Scalar parameters by lower-cased name. */
  scalars: Map<string, string>;
  /** Map parameters by lower-cased name. */
  maps: Map<string, IndexedMap>;
}

const MAP_PARAM = /^([^[\]]+)\[([^\]]*)\]\.(.+)$/;

/** Splits scalars from `name[index].field` map parameters; malformed map keys are a 430 as in CloudStack. */
export function bindParams(params: RawParams): BindableParams {
  const scalars = new Map<string, string>();
  const maps = new Map<string, IndexedMap>();
  for (const [name, value] of params) {
    if (!name.includes('[')) {
      scalars.set(name.toLowerCase(), value);
      continue;
    }
    const match = MAP_PARAM.exec(name);
    if (!match || !/^\d+$/.test(match[2]!)) {
      throw new ApiError(
        ApiErrorCode.malformedParameter,
        `Unable to decode parameter ${name}; if specifying an object array, please use parameter[index].field=XXX, e.g. userGroupList[0].group=httpGroup`,
        CsExceptionCode.serverApi,
      );
    }
    const mapName = match[1]!.toLowerCase();
    const index = Number(match[2]);
    const field = match[3]!;
    const indexed = maps.get(mapName) ?? new Map<number, Map<string, string>>();
    maps.set(mapName, indexed);
    const entry = indexed.get(index) ?? new Map<string, string>();
    indexed.set(index, entry);
    entry.set(field, value);
  }
  return { scalars, maps };
}

/** BaseCmd.convertDetailsToMap: every field of every index flattened into one map (later indexes win). */
export function flattenMap(indexed: IndexedMap): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const index of [...indexed.keys()].sort((a, b) => a - b)) {
    for (const [field, value] of indexed.get(index)!) flat[field] = value;
  }
  return flat;
}

/** One object per index, in index order (addCustomAction `parameters[i].name/type/…`). */
export function mapToObjectList(indexed: IndexedMap): Array<Record<string, string>> {
  return [...indexed.keys()].sort((a, b) => a - b).map((index) => Object.fromEntries(indexed.get(index)!));
}

/** checkCharacterInkParams: CloudStack refuses ASCII control characters in values. */
export function findControlCharacterParam(params: RawParams): string | undefined {
  // eslint-disable-next-line no-control-regex
  return params.find(([, value]) => /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(value))?.[0];
}
