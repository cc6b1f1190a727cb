// The command registry: every API command is declared once (parameters as zod-backed specs, description,
// async-ness, roles, response fields) and listApis is generated from the same declarations.
import { ApiError, ApiErrorCode, CsExceptionCode, invalidParameter } from './errors.ts';
import type { ApiJobs } from './jobs.ts';
import { INVALID, MISSING, pagingParams, type ParamMeta, type ParamSpecs, type ParamValues } from './params.ts';
import type { BindableParams } from './request-params.ts';
import type { ApiPrincipal, RoleType } from './principal.ts';

/** A response field as listApis describes it; `response` nests the fields of an object/list field. */
export interface ResponseField {
  name: string;
  description: string;
  type: string;
  response?: ResponseField[];
}

export type CommandResult =
  /** `{ "<cmd>response": { "<name>": {...} } }` */
  | { type: 'object'; name: string; value: Record<string, unknown> }
  /** `{ "<cmd>response": { "count": n, "<name>": [...] } }`, or `{}` when empty. */
  | { type: 'list'; name: string; items: Array<Record<string, unknown>>; count: number }
  /** Fields placed directly in the envelope (`success`, login, queryAsyncJobResult). */
  | { type: 'fields'; value: Record<string, unknown> }
  /** An accepted async command: `{ jobid }`, plus the new object's `id` for create-style commands. */
  | { type: 'job'; jobid: string; id?: string };

export interface Paging {
  page: number;
  /** undefined = everything (`pagesize=-1`). */
  pageSize: number | undefined;
  offset: number;
}

export interface SessionControl {
  /** Starts a session for `principal`; returns the session key the client must echo. */
  start(principal: ApiPrincipal): string;
  /** Ends the caller's session, if any. */
  end(): void;
}

export interface CommandContext {
  command: string;
  principal: ApiPrincipal;
  paging: Paging;
  jobs: ApiJobs;
  session: SessionControl;
  /** The full registry (for listApis). */
  registry: CommandRegistry;
}

export interface CommandDefinition<P extends ParamSpecs = ParamSpecs> {
  name: string;
  description: string;
  since?: string;
  isAsync?: boolean;
  /** Roles allowed to call the command; `unauthenticated` commands (login) need no credentials. */
  roles: readonly RoleType[];
  unauthenticated?: boolean;
  /** Adds `keyword`, `page`, `pagesize` and validates them as BaseListCmd does. */
  list?: boolean;
  related?: string[];
  params: P;
  response: ResponseField[];
  /** `keyword` is present for `list` commands (paging values arrive in `context.paging`). */
  handler: (params: ParamValues<P> & { keyword?: string }, context: CommandContext) => Promise<CommandResult>;
}

// The `P` of each definition is erased in the registry; `defineCommand` keeps handlers type-checked.
export type AnyCommand = CommandDefinition<ParamSpecs>;

export function defineCommand<P extends ParamSpecs>(definition: CommandDefinition<P>): AnyCommand {
  const params = definition.list ? { ...definition.params, ...pagingParams } : definition.params;
  return { ...definition, params } as unknown as AnyCommand;
}

export const ALL_ROLES: readonly RoleType[] = ['Admin', 'ResourceAdmin', 'DomainAdmin', 'User'];
export const ADMIN_ONLY: readonly RoleType[] = ['Admin'];

export class CommandRegistry {
  readonly #commands = new Map<string, AnyCommand>();

  constructor(commands: Iterable<AnyCommand> = []) {
    for (const command of commands) this.add(command);
  }

  add(command: AnyCommand): void {
    if (this.#commands.has(command.name)) throw new Error(`API command ${command.name} declared twice`);
    this.#commands.set(command.name, command);
  }

  /** Exact, case-sensitive lookup as CloudStack does. */
  get(name: string): AnyCommand | undefined {
    return this.#commands.get(name);
  }

  all(): AnyCommand[] {
    return [...this.#commands.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

export function isAllowed(command: AnyCommand, role: RoleType): boolean {
  return command.unauthenticated === true || command.roles.includes(role);
}

/** CloudStack's max page size (`default.page.size`). */
export const MAX_PAGE_SIZE = 500;

/** Converts and validates the bound request parameters; errors name the parameter as CloudStack does. */
export function parseCommandParams(command: AnyCommand, bound: BindableParams): Record<string, unknown> {
  const cmdName = command.name.toLowerCase();
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(command.params)) {
    const raw = spec.meta.type === 'map' ? bound.maps.get(name) : (bound.scalars.get(name) ?? bound.maps.get(name));
    const result = spec.schema.safeParse(raw);
    if (result.success) {
      values[name] = result.data;
      continue;
    }
    const message = result.error.issues[0]?.message ?? INVALID;
    if (message === MISSING) {
      throw new ApiError(ApiErrorCode.parameterError, `Unable to execute API command ${cmdName} due to missing parameter ${name}`);
    }
    if (message.startsWith(INVALID)) {
      const shown = message.length > INVALID.length ? message.slice(INVALID.length) : '';
      throw new ApiError(
        ApiErrorCode.parameterError,
        `Unable to execute API command ${cmdName} due to invalid value ${shown} for parameter ${name}`.replace('value  for', 'value for'),
      );
    }
    throw new ApiError(ApiErrorCode.parameterError, `${message}${name}`, CsExceptionCode.serverApi);
  }
  return values;
}

export function pagingFrom(values: Record<string, unknown>): Paging {
  const page = values.page as number | undefined;
  const pageSize = values.pagesize as number | undefined;
  if (pageSize !== undefined && page === undefined) throw invalidParameter('"page" parameter is required when "pagesize" is specified');
  if (pageSize !== undefined && pageSize !== -1 && pageSize < 1) throw invalidParameter('Page size must be greater than 0');
  if (pageSize !== undefined && pageSize > MAX_PAGE_SIZE) throw invalidParameter(`Page size can't exceed max allowed page size value: ${MAX_PAGE_SIZE}`);
  if (page !== undefined && page < 1) throw invalidParameter('Page must be greater than 0');
  const effectivePage = page ?? 1;
  const effectiveSize = pageSize === -1 ? undefined : (pageSize ?? MAX_PAGE_SIZE);
  return { page: effectivePage, pageSize: effectiveSize, offset: effectiveSize === undefined ? 0 : (effectivePage - 1) * effectiveSize };
}

/** One entry of `listapisresponse.api`. */
export function describeCommand(command: AnyCommand): Record<string, unknown> {
  const params = Object.entries(command.params).map(([name, spec]) => describeParam(name, spec.meta));
  return {
    name: command.name,
    description: command.description,
    isasync: command.isAsync === true,
    since: command.since,
    related: command.related?.join(','),
    params,
    response: command.response,
  };
}

function describeParam(name: string, meta: ParamMeta): Record<string, unknown> {
  return {
    name,
    description: meta.description,
    type: meta.type,
    length: meta.length,
    required: meta.required,
    since: meta.since,
    related: meta.related?.join(','),
  };
}

/** Applies paging to an in-memory list (for commands whose source is not paged already). */
export function pageOf<T>(items: readonly T[], paging: Paging): { items: T[]; count: number } {
  const end = paging.pageSize === undefined ? undefined : paging.offset + paging.pageSize;
  return { items: items.slice(paging.offset, end), count: items.length };
}
