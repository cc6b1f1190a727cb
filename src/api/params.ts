// Parameter declarations: each parameter is declared once, as a zod schema (which converts and validates the
// raw request value) plus the metadata `listApis` publishes (name, type, required, description, length, since,
// related). Raw input is a string for scalar parameters and an IndexedMap for `name[i].field` parameters.
import { z } from 'zod';
import { flattenMap, mapToObjectList, type IndexedMap } from './request-params.ts';
import { parseCloudStackDate } from './signing.ts';

/** The `type` strings CloudStack's listApis uses for parameters. */
export type ApiParamType = 'string' | 'uuid' | 'integer' | 'long' | 'short' | 'boolean' | 'map' | 'list' | 'date';

export interface ParamMeta {
  type: ApiParamType;
  description: string;
  required: boolean;
  /** Maximum length of a string value (CloudStack's default is 255). */
  length: number;
  since?: string;
  related?: string[];
}

export interface ParamSpec<T> {
  meta: ParamMeta;
  schema: z.ZodType<T, unknown>;
}

interface CommonOptions {
  description: string;
  since?: string;
  related?: string[];
  length?: number;
}
type Required = { required: true };
type Optional = { required?: false };

const DEFAULT_LENGTH = 255;

/** Marker prefixes let the command layer phrase messages the way CloudStack's ParamProcessWorker does. */
export const MISSING = 'missing parameter ';

function declare<T>(
  type: ApiParamType,
  options: CommonOptions & { required?: boolean },
  convert: (raw: unknown, fail: (message: string) => never) => T,
): ParamSpec<T | undefined> {
  const required = options.required === true;
  const length = options.length ?? DEFAULT_LENGTH;
  const schema = z.unknown().transform((raw, ctx) => {
    const fail = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    const blank = raw === undefined || (typeof raw === 'string' && raw === '' && type !== 'string');
    if (blank) {
      if (required) return fail(MISSING);
      return undefined;
    }
    if (typeof raw === 'string' && raw.length > length) return fail(`Value greater than max allowed length ${length} for param: `);
    return convert(raw, fail);
  });
  const meta: ParamMeta = { type, description: options.description, required, length };
  if (options.since) meta.since = options.since;
  if (options.related) meta.related = options.related;
  return { meta, schema };
}

export const INVALID = 'invalid value ';

function asScalar(raw: unknown, fail: (message: string) => never): string {
  // A map-shaped value given for a scalar parameter (`name[0].x=…` where `name` is expected).
  if (typeof raw !== 'string') return fail(INVALID);
  return raw;
}

function integerIn(min: number, max: number) {
  return (raw: unknown, fail: (message: string) => never): number => {
    const text = asScalar(raw, fail).trim();
    if (!/^[+-]?\d+$/.test(text)) return fail(INVALID + text);
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) return fail(INVALID + text);
    return value;
  };
}

export function stringParam(options: CommonOptions & Required): ParamSpec<string>;
export function stringParam(options: CommonOptions & Optional): ParamSpec<string | undefined>;
export function stringParam(options: CommonOptions & { required?: boolean }) {
  return declare('string', options, (raw, fail) => asScalar(raw, fail));
}

/** A resource id (CloudStack resolves UUIDs); the domain reports ids that do not exist. */
export function uuidParam(options: CommonOptions & Required): ParamSpec<string>;
export function uuidParam(options: CommonOptions & Optional): ParamSpec<string | undefined>;
export function uuidParam(options: CommonOptions & { required?: boolean }) {
  return declare('uuid', options, (raw, fail) => asScalar(raw, fail).trim());
}

export function integerParam(options: CommonOptions & Required): ParamSpec<number>;
export function integerParam(options: CommonOptions & Optional): ParamSpec<number | undefined>;
export function integerParam(options: CommonOptions & { required?: boolean }) {
  return declare('integer', options, integerIn(-(2 ** 31), 2 ** 31 - 1));
}

export function longParam(options: CommonOptions & Required): ParamSpec<number>;
export function longParam(options: CommonOptions & Optional): ParamSpec<number | undefined>;
export function longParam(options: CommonOptions & { required?: boolean }) {
  return declare('long', options, integerIn(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
}

/** Strict booleans: CloudStack's Boolean.valueOf turns typos into `false` silently; we name the parameter instead. */
export function booleanParam(options: CommonOptions & Required): ParamSpec<boolean>;
export function booleanParam(options: CommonOptions & Optional): ParamSpec<boolean | undefined>;
export function booleanParam(options: CommonOptions & { required?: boolean }) {
  return declare('boolean', options, (raw, fail) => {
    const text = asScalar(raw, fail).trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    return fail(INVALID + String(raw));
  });
}

export function dateParam(options: CommonOptions & Optional): ParamSpec<Date | undefined> {
  return declare('date', options, (raw, fail) => {
    const text = asScalar(raw, fail);
    const parsed = /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(`${text}T00:00:00Z`) : parseCloudStackDate(text);
    return parsed && !Number.isNaN(parsed.getTime()) ? parsed : fail(INVALID + text);
  });
}

/** Comma-separated list (`allowedroletypes=Admin,User`, `ids=a,b`). */
export function listParam(options: CommonOptions & Required & { itemType?: 'string' | 'uuid' }): ParamSpec<string[]>;
export function listParam(options: CommonOptions & Optional & { itemType?: 'string' | 'uuid' }): ParamSpec<string[] | undefined>;
export function listParam(options: CommonOptions & { required?: boolean }) {
  return declare('list', { length: 4096, ...options }, (raw, fail) =>
    asScalar(raw, fail)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );
}

function asIndexedMap(raw: unknown, fail: (message: string) => never): IndexedMap {
  if (!(raw instanceof Map)) return fail(INVALID + String(raw));
  return raw as IndexedMap;
}

/** A map read with convertDetailsToMap semantics: all fields of all indexes flattened into one object. */
export function mapParam(options: CommonOptions & Optional): ParamSpec<Record<string, string> | undefined> {
  return declare('map', options, (raw, fail) => flattenMap(asIndexedMap(raw, fail)));
}

/** A map used as a list of objects, one per index (addCustomAction `parameters`). */
export function objectListParam(options: CommonOptions & Optional): ParamSpec<Array<Record<string, string>> | undefined> {
  return declare('map', options, (raw, fail) => mapToObjectList(asIndexedMap(raw, fail)));
}

/** A string restricted to listed values (exact match unless `caseInsensitive`); returns the canonical spelling. */
export function enumParam<const V extends string>(options: CommonOptions & Required & { values: readonly V[]; caseInsensitive?: boolean }): ParamSpec<V>;
export function enumParam<const V extends string>(options: CommonOptions & Optional & { values: readonly V[]; caseInsensitive?: boolean }): ParamSpec<V | undefined>;
export function enumParam(options: CommonOptions & { required?: boolean; values: readonly string[]; caseInsensitive?: boolean }) {
  return declare('string', options, (raw, fail) => {
    const text = asScalar(raw, fail);
    const found = options.values.find((value) => (options.caseInsensitive ? value.toLowerCase() === text.toLowerCase() : value === text));
    return found ?? fail(INVALID + text);
  });
}

export type ParamSpecs = Record<string, ParamSpec<unknown>>;
export type ParamValues<P extends ParamSpecs> = { [K in keyof P]: P[K] extends ParamSpec<infer T> ? T : never };

/** Paging parameters every list command takes (BaseListCmd). */
export const pagingParams = {
  keyword: stringParam({ description: 'List by keyword' }),
  page: integerParam({ description: 'The page number of the result set' }),
  pagesize: integerParam({ description: 'The number of entries per page' }),
};
