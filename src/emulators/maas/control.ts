import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { FaultInjector } from '../shared/faults.ts';
import { readBody, sendJson } from '../shared/server.ts';
import type { EmulatedToken } from './model.ts';
import { statusName } from './status.ts';
import type { MaasStore } from './store.ts';

export const CONTROL_PREFIX = '/_emulator/';

export interface ControlContext {
  readonly store: MaasStore;
  readonly faults: FaultInjector;
  readonly requests: { total: number; byRoute: Map<string, number> };
  /** Back to the initial machines and users (the default API key stays valid). */
  reset(): void;
}

const configSchema = z.strictObject({
  stepMs: z.number().int().nonnegative().optional(),
  deployMs: z.number().int().nonnegative().optional(),
  releaseMs: z.number().int().nonnegative().optional(),
  eraseMs: z.number().int().nonnegative().optional(),
  powerMs: z.number().int().nonnegative().optional(),
  failDeployments: z.union([z.boolean(), z.array(z.string())]).optional(),
  failNextDeployments: z.number().int().nonnegative().optional(),
});

const userSchema = z.strictObject({
  username: z.string().regex(/^[A-Za-z0-9@.+_-]{1,150}$/),
  isSuperuser: z.boolean().optional(),
});

const machinesSchema = z.strictObject({
  count: z.number().int().positive().max(100_000).optional(),
  hostname: z.string().optional(),
  cpuCount: z.number().int().positive().optional(),
  memory: z.number().int().positive().optional(),
  architecture: z.string().optional(),
  tags: z.array(z.string()).optional(),
  pool: z.string().optional(),
  zone: z.string().optional(),
  interfaces: z.number().int().min(0).max(16).optional(),
});

export function apiKeyOf(token: EmulatedToken): string {
  return `${token.consumerKey}:${token.tokenKey}:${token.tokenSecret}`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req, 1024 * 1024)).toString('utf8');
  return text.trim() === '' ? {} : JSON.parse(text);
}

/**
 * The emulator's control API (outside `/MAAS/`, no authentication, JSON): inspection, reset, fault
 * injection, timing and failure knobs, request counters, and creating users, API keys and machines.
 */
export async function handleControlRequest(context: ControlContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/+$/, '');
  const method = req.method ?? 'GET';
  const { store } = context;
  try {
    if (path === 'state' && method === 'GET') {
      return sendJson(res, 200, {
        users: [...store.users.values()].map((user) => ({ ...user, apiKeys: [...store.tokens.values()].filter((t) => t.username === user.username).length })),
        machines: [...store.machines.values()].map((m) => ({ ...m, statusName: statusName(m.status) })),
        config: store.config,
      });
    }
    if (path === 'reset' && method === 'POST') {
      context.reset();
      return sendJson(res, 200, { reset: true });
    }
    if (path === 'faults') {
      if (method === 'GET') return sendJson(res, 200, context.faults.list());
      if (method === 'POST') return sendJson(res, 201, { id: context.faults.add(await readJson(req)) });
      if (method === 'DELETE') {
        context.faults.clear();
        return sendJson(res, 200, { cleared: true });
      }
    }
    if (path === 'config') {
      if (method === 'PUT') {
        const input = configSchema.parse(await readJson(req));
        const { stepMs, ...rest } = input;
        if (stepMs !== undefined) Object.assign(store.config, { deployMs: stepMs, releaseMs: stepMs, eraseMs: stepMs });
        Object.assign(store.config, Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined)));
      }
      if (method === 'PUT' || method === 'GET') return sendJson(res, 200, store.config);
    }
    if (path === 'requests') {
      if (method === 'DELETE') {
        context.requests.total = 0;
        context.requests.byRoute.clear();
      }
      if (method === 'GET' || method === 'DELETE') return sendJson(res, 200, { total: context.requests.total, byRoute: Object.fromEntries(context.requests.byRoute) });
    }
    if (path === 'users' && method === 'POST') {
      const input = userSchema.parse(await readJson(req));
      if (store.users.has(input.username)) return sendJson(res, 409, { error: `User '${input.username}' already exists` });
      store.addUser(input.username, input.isSuperuser ?? false);
      return sendJson(res, 201, { username: input.username, apikey: apiKeyOf(store.addToken(input.username)) });
    }
    const keyMatch = /^users\/([^/]+)\/keys$/.exec(path);
    if (keyMatch && method === 'POST') {
      const username = decodeURIComponent(keyMatch[1]!);
      if (!store.users.has(username)) return sendJson(res, 404, { error: `No user named '${username}'` });
      return sendJson(res, 201, { username, apikey: apiKeyOf(store.addToken(username)) });
    }
    if (path === 'machines' && method === 'POST') {
      const input = machinesSchema.parse(await readJson(req));
      const added = store.addMachines(input.count ?? 1, {
        hostname: input.hostname,
        cpuCount: input.cpuCount,
        memory: input.memory,
        architecture: input.architecture,
        tagNames: input.tags,
        pool: input.pool,
        zone: input.zone,
        interfaces: input.interfaces,
      });
      return sendJson(res, 201, added.map((m) => ({ systemId: m.systemId, hostname: m.hostname })));
    }
    return sendJson(res, 404, { error: `Unknown control endpoint ${method} ${url.pathname}` });
  } catch (error) {
    if (error instanceof z.ZodError) return sendJson(res, 400, { error: error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
    if (error instanceof SyntaxError) return sendJson(res, 400, { error: 'Body is not valid JSON' });
    throw error;
  }
}
