import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { readBody, sendJson } from '../shared/server.ts';
import { BodyFormatError, parseBodyParams, parseQueryParams, type Params } from './forms.ts';
import type { EmulatedMachine, EmulatedToken, EmulatedUser } from './model.ts';
import { verifyOAuth } from './oauth.ts';
import { parseStatusFilter } from './status.ts';
import { AVAILABLE_RELEASES, DEFAULT_DISTRO_SERIES, DEFAULT_OSYSTEM, MaasHttpError, type MaasStore } from './store.ts';
import { machineView } from './view.ts';

export const API_PREFIX = '/MAAS/api/2.0/';

/** What the API layer needs from the running emulator. */
export interface ApiContext {
  readonly store: MaasStore;
  readonly secure: boolean;
  /** Counts one request under its route template (`POST machines/{system_id}/?op=deploy`). */
  count(route: string): void;
}

/** Sends a MAAS error: plain text (`text/plain; charset=utf-8`), or JSON for a dict of field errors. */
export function sendMaasError(res: ServerResponse, status: number, body: string | Record<string, string[]>): void {
  if (typeof body !== 'string') {
    sendJson(res, status, body, STATUS_CODES[status]);
    return;
  }
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, STATUS_CODES[status] ?? '', { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(bytes.length) });
  res.end(bytes);
}

interface Request {
  readonly method: string;
  readonly op: string | undefined;
  readonly params: Params;
  readonly token: EmulatedToken | undefined;
}

function requireToken(request: Request): EmulatedToken {
  // MAAS answers anonymous calls to protected handlers with 401 (piston's "FORBIDDEN" is really a 401).
  if (!request.token) throw new MaasHttpError(401, 'Authorization Error: Unauthorized: authentication credentials were not provided.');
  return request.token;
}

/** Django's BooleanField: absent, empty, "false" and "0" are false; anything else is true. */
function formBoolean(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !['', 'false', '0', 'off', 'no'].includes(value.trim().toLowerCase());
}

function nonNegativeNumber(params: Params, name: string, errors: Record<string, string[]>): number | undefined {
  const raw = params.get(name);
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    errors[name] = [`Invalid ${name}: number of ${name === 'mem' ? 'MiB' : 'CPUs'} must be a positive number.`];
    return undefined;
  }
  return value;
}

/** `arch=amd64` matches `amd64/generic` (any subarchitecture); `arch=amd64/generic` must match exactly. */
function archMatches(machineArch: string, wanted: string): boolean {
  return machineArch === wanted || machineArch.startsWith(`${wanted}/`);
}

/** `POST machines/?op=allocate`: filters Ready machines by the constraints and claims the best fit. */
function allocate(context: ApiContext, request: Request): Record<string, unknown> {
  const token = requireToken(request);
  const { params } = request;
  const errors: Record<string, string[]> = {};
  const cpuCount = nonNegativeNumber(params, 'cpu_count', errors);
  const mem = nonNegativeNumber(params, 'mem', errors);
  if (Object.keys(errors).length > 0) throw new MaasHttpError(400, errors);
  const systemId = params.get('system_id');
  const name = params.get('name');
  const arches = params.getAll('arch');
  const tags = params.getAll('tags').flatMap((tag) => tag.split(',')).map((tag) => tag.trim()).filter(Boolean);
  const notTags = params.getAll('not_tags').flatMap((tag) => tag.split(',')).map((tag) => tag.trim()).filter(Boolean);
  const pool = params.get('pool');
  const zone = params.get('zone');
  const candidates = [...context.store.machines.values()].filter(
    (m) =>
      m.status === 4 &&
      m.owner === null &&
      !m.locked &&
      (systemId === undefined || m.systemId === systemId) &&
      (name === undefined || m.hostname === name || `${m.hostname}.maas` === name) &&
      (cpuCount === undefined || m.cpuCount >= cpuCount) &&
      (mem === undefined || m.memory >= mem) &&
      (arches.length === 0 || arches.some((arch) => archMatches(m.architecture, arch))) &&
      tags.every((tag) => m.tagNames.includes(tag)) &&
      !notTags.some((tag) => m.tagNames.includes(tag)) &&
      (pool === undefined || m.pool === pool) &&
      (zone === undefined || m.zone === zone),
  );
  // Smallest machine that fits first, as MAAS prefers exact matches for cpu_count/mem.
  candidates.sort((a, b) => a.cpuCount - b.cpuCount || a.memory - b.memory || a.id - b.id);
  const chosen = candidates[0];
  if (!chosen) {
    const constraintNames = ['name', 'system_id', 'arch', 'cpu_count', 'mem', 'tags', 'not_tags', 'zone', 'pool'];
    const given = constraintNames.filter((key) => params.has(key)).map((key) => [key, params.getAll(key)] as const);
    if (given.length === 0) throw new MaasHttpError(409, 'No machine available.');
    const listed = given.map(([key, values]) => `('${key}', [${values.map((v) => `'${v}'`).join(', ')}])`).join(', ');
    const resolved = given.map(([key, values]) => `${key}=${values.join(',')}`).join(' ');
    throw new MaasHttpError(409, `No available machine matches constraints: [${listed}] (resolved to "${resolved}")`);
  }
  context.store.allocate(chosen, token, params.get('agent_name') ?? '');
  const constraintsByType: Record<string, unknown> = {};
  return { ...machineView(chosen), constraints_by_type: constraintsByType };
}

function normaliseRelease(osystemParam: string | undefined, seriesParam: string | undefined): { osystem: string; distroSeries: string } {
  let osystem = osystemParam?.trim() || '';
  let series = seriesParam?.trim() || '';
  if (series.includes('/')) [osystem, series] = series.split('/', 2) as [string, string];
  if (series === '') series = osystem === '' || osystem === DEFAULT_OSYSTEM ? DEFAULT_DISTRO_SERIES : '';
  if (osystem === '') osystem = DEFAULT_OSYSTEM;
  const aliases: Record<string, string> = { '20.04': 'focal', '22.04': 'jammy', '24.04': 'noble' };
  series = aliases[series] ?? series;
  if (!AVAILABLE_RELEASES.includes(`${osystem}/${series}` as (typeof AVAILABLE_RELEASES)[number])) {
    const choices = ["''", ...AVAILABLE_RELEASES.map((release) => `'${release}'`)].join(', ');
    throw new MaasHttpError(400, { distro_series: [`'${seriesParam ?? osystemParam}' is not a valid distro_series.  It should be one of: ${choices}.`] });
  }
  return { osystem, distroSeries: series };
}

function deploy(context: ApiContext, request: Request, machine: EmulatedMachine): Record<string, unknown> {
  const token = requireToken(request);
  const { params } = request;
  const userData = params.get('user_data');
  if (userData !== undefined && userData !== '' && !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(userData)) {
    throw new MaasHttpError(400, { user_data: ['User data must be base64-encoded.'] });
  }
  const release = normaliseRelease(params.get('osystem'), params.get('distro_series'));
  context.store.deploy(machine, token, { ...release, userData: userData ?? null, hweKernel: params.get('hwe_kernel') ?? null });
  return machineView(machine);
}

const HOSTNAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function update(context: ApiContext, request: Request, machine: EmulatedMachine): Record<string, unknown> {
  const hostname = request.params.get('hostname');
  if (hostname !== undefined) {
    if (!HOSTNAME_PATTERN.test(hostname)) throw new MaasHttpError(400, { hostname: [`Invalid hostname: Label cannot start or end with hyphen or contain invalid characters.`] });
    const clash = [...context.store.machines.values()].some((m) => m !== machine && m.hostname.toLowerCase() === hostname.toLowerCase());
    if (clash) throw new MaasHttpError(400, { hostname: [`Node with hostname "${hostname}" already exists`] });
    machine.hostname = hostname;
  }
  const description = request.params.get('description');
  if (description !== undefined) machine.description = description;
  return machineView(machine);
}

function listMachines(context: ApiContext, request: Request, user: EmulatedUser): unknown[] {
  const { params } = request;
  const hostnames = params.getAll('hostname');
  const ids = params.getAll('id');
  const macs = params.getAll('mac_address').map((mac) => mac.toLowerCase());
  const statuses = params.getAll('status').map((value) => {
    const code = parseStatusFilter(value);
    if (code === undefined) throw new MaasHttpError(400, { status: [`Select a valid choice. ${value} is not one of the available choices.`] });
    return code;
  });
  const zone = params.get('zone');
  const pool = params.get('pool');
  const agentName = params.get('agent_name');
  return [...context.store.machines.values()]
    .filter(
      (m) =>
        context.store.canAccess(user, m) &&
        (hostnames.length === 0 || hostnames.includes(m.hostname)) &&
        (ids.length === 0 || ids.includes(m.systemId)) &&
        (macs.length === 0 || m.interfaces.some((nic) => macs.includes(nic.mac))) &&
        (statuses.length === 0 || statuses.includes(m.status)) &&
        (zone === undefined || m.zone === zone) &&
        (pool === undefined || m.pool === pool) &&
        (agentName === undefined || m.agentName === agentName),
    )
    .sort((a, b) => a.id - b.id)
    .map(machineView);
}

function unrecognised(request: Request): MaasHttpError {
  return new MaasHttpError(400, `Unrecognised signature: method=${request.method} op=${request.op ?? 'None'}`);
}

/** Dispatches one request under `/MAAS/api/2.0/`; returns the JSON answer or throws a MaasHttpError. */
function dispatch(context: ApiContext, path: string, request: Request): unknown {
  const { store } = context;
  const { method, op } = request;
  const segments = path.split('/').filter(Boolean);
  const route = (template: string) => context.count(`${method} ${template}${op ? `?op=${op}` : ''}`);

  if (segments.length === 1 && segments[0] === 'version') {
    route('version/');
    if (method !== 'GET') throw new MaasHttpError(405, '');
    return { capabilities: ['networks-management', 'static-ipaddresses', 'ipv6-deployment-ubuntu', 'devices-management', 'storage-deployment-ubuntu', 'network-deployment-ubuntu', 'bridging-interface-ubuntu', 'bridging-automatic-ubuntu', 'authenticate-api'], version: '3.5.4', subversion: 'extorch-emulator' };
  }
  if (segments.length === 1 && segments[0] === 'users') {
    route('users/');
    const user = store.userOf(requireToken(request));
    if (method === 'GET' && op === 'whoami') return { is_superuser: user.isSuperuser, username: user.username, email: user.email, is_local: true, resource_uri: `/MAAS/api/2.0/users/${user.username}/` };
    throw unrecognised(request);
  }
  if (segments[0] === 'machines' && segments.length === 1) {
    route('machines/');
    const token = requireToken(request);
    const user = store.userOf(token);
    if (method === 'GET' && op === undefined) return listMachines(context, request, user);
    if (method === 'GET' && op === 'list_allocated') {
      return [...store.machines.values()].filter((m) => m.allocatedTokenKey === token.tokenKey).sort((a, b) => a.id - b.id).map(machineView);
    }
    if (method === 'POST' && op === 'allocate') return allocate(context, request);
    if (method === 'POST' && op === 'release') {
      const ids = request.params.getAll('machines');
      const machines = ids.map((id) => {
        const machine = store.machines.get(id);
        if (!machine) throw new MaasHttpError(400, `Unknown machine(s): ${id}.`);
        if (!store.canAccess(user, machine)) throw new MaasHttpError(403, '');
        return machine;
      });
      const erase = formBoolean(request.params.get('erase'));
      const changed = machines.filter((m) => m.status !== 4 && m.status !== 12 && m.status !== 14);
      for (const machine of machines) store.release(machine, erase);
      return changed.map((m) => m.systemId);
    }
    throw unrecognised(request);
  }
  if (segments[0] === 'machines' && segments.length === 2) {
    route('machines/{system_id}/');
    const token = requireToken(request);
    const user = store.userOf(token);
    const machine = store.machineFor(user, segments[1]!);
    if (method === 'GET' && op === undefined) return machineView(machine);
    if (method === 'GET' && op === 'query_power_state') return { state: machine.powerState };
    if (method === 'PUT' && op === undefined) return update(context, request, machine);
    if (method !== 'POST') throw unrecognised(request);
    const owned = user.isSuperuser || machine.owner === null || machine.owner === user.username;
    if (!owned) throw new MaasHttpError(403, '');
    switch (op) {
      case 'deploy':
        return deploy(context, request, machine);
      case 'release': {
        const erase = formBoolean(request.params.get('erase')) || formBoolean(request.params.get('quick_erase')) || formBoolean(request.params.get('secure_erase'));
        store.release(machine, erase);
        return machineView(machine);
      }
      case 'power_on':
        store.powerOn(machine);
        return machineView(machine);
      case 'power_off':
        store.powerOff(machine);
        return machineView(machine);
      case 'abort':
        store.abort(machine);
        return machineView(machine);
      default:
        throw unrecognised(request);
    }
  }
  context.count(`${method} (unknown)`);
  throw new MaasHttpError(404, `Unknown API endpoint: /MAAS/api/2.0/${segments.join('/')}/.`);
}

/** Handles one API request end to end: body, OAuth, dispatch, and MAAS-shaped errors. */
export async function handleApiRequest(context: ApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const method = (req.method ?? 'GET').toUpperCase();
  try {
    const query = parseQueryParams(url.search);
    let bodyParams;
    try {
      bodyParams = method === 'POST' || method === 'PUT' ? parseBodyParams(req, await readBody(req)) : { params: query, urlencoded: false };
    } catch (error) {
      if (error instanceof BodyFormatError) throw new MaasHttpError(400, error.message);
      throw error;
    }
    const isForm = method === 'POST' || method === 'PUT';
    const signedParams = [...query.pairs, ...(isForm && bodyParams.urlencoded ? bodyParams.params.pairs : [])];
    const outcome = verifyOAuth({ req, secure: context.secure, signedParams }, (tokenKey) => context.store.tokens.get(tokenKey));
    if (outcome.kind === 'bad-request') throw new MaasHttpError(400, `Bad Request: ${outcome.message}`);
    if (outcome.kind === 'unauthorized') throw new MaasHttpError(401, `Authorization Error: ${outcome.message}`);
    const token = outcome.kind === 'authenticated' ? outcome.credentials : undefined;
    const params = isForm ? bodyParams.params : query;
    const op = query.get('op') ?? (isForm ? bodyParams.params.get('op') : undefined);
    const answer = dispatch(context, url.pathname.slice(API_PREFIX.length), { method, op: op || undefined, params, token });
    sendJson(res, 200, answer);
  } catch (error) {
    if (error instanceof MaasHttpError) {
      sendMaasError(res, error.status, error.body);
      return;
    }
    throw error;
  }
}
