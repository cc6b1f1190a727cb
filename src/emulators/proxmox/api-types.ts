import type { Cluster } from './cluster.ts';
import { configIdFormat, nodeFormat, storageIdFormat, vmidFormat } from './formats.ts';
import type { ParamSchema, ParamSpec, ParsedParams } from './validation.ts';

export interface ApiContext {
  readonly cluster: Cluster;
  readonly params: ParsedParams;
  /** The authenticated id as it appears in UPIDs: `root@pam` or `root@pam!<tokenid>`. */
  readonly authId: string;
  readonly certificatePem: string;
}

/** A result with extra top-level envelope attributes (e.g. `total` next to `data`). */
export class ResultWithAttributes {
  constructor(
    readonly data: unknown,
    readonly attributes: Record<string, unknown>,
  ) {}
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Template such as `/nodes/{node}/qemu/{vmid}/clone`. */
  readonly path: string;
  /** Every parameter the endpoint accepts, path parameters included. */
  readonly params: ParamSchema;
  /** Reachable without authentication (only the login). */
  readonly public?: boolean;
  /** Returns the `data` (or a promise of it, for the few calls that wait on a task). */
  handler(context: ApiContext): unknown;
}

export const NODE: ParamSpec = { type: 'string', format: nodeFormat };
export const VMID: ParamSpec = { type: 'integer', format: vmidFormat, minimum: 100, maximum: 999_999_999 };
export const OPTIONAL_VMID: ParamSpec = { ...VMID, optional: true };
export const SNAPNAME: ParamSpec = { type: 'string', format: configIdFormat, maxLength: 40 };
export const STORAGE_ID: ParamSpec = { type: 'string', format: storageIdFormat };
export const BOOL: ParamSpec = { type: 'boolean', optional: true };
export const OPTIONAL_INT = (minimum?: number, maximum?: number): ParamSpec => ({ type: 'integer', optional: true, minimum, maximum });
export const OPTIONAL_STRING: ParamSpec = { type: 'string', optional: true };

export function str(params: ParsedParams, name: string): string | undefined {
  const value = params[name];
  return value === undefined ? undefined : String(value);
}

export function num(params: ParsedParams, name: string): number | undefined {
  const value = params[name];
  return value === undefined ? undefined : Number(value);
}

export function flag(params: ParsedParams, name: string): boolean | undefined {
  const value = params[name];
  return value === undefined ? undefined : Number(value) === 1;
}
