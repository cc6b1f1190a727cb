// `extorch sandbox`: the emulators, the orchestrator on SQLite and the API, in one process, seeded and ready
// for a CloudStack client. Everything lives under one directory (default `.extorch/`) so a restart keeps state.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { findConsoleRoot } from '../api/index.ts';
import { startExtorchServer, type RunningExtorch } from '../runtime/server.ts';
import type { BuiltinName } from '../runtime/builtins.ts';
import { emulatorConnections, INTERACTIVE_TIMING, startSandboxEmulators, type EmulatorTiming, type SandboxEmulators } from './emulators.ts';
import { DEFAULT_SANDBOX_DIRECTORY, SANDBOX_EMULATORS_FILE, SANDBOX_INFO_FILE } from './files.ts';
import { seedSandbox, type SandboxInventory } from './seed.ts';

export { DEFAULT_SANDBOX_DIRECTORY, SANDBOX_EMULATORS_FILE, SANDBOX_INFO_FILE };

const SECRETS_KEY_FILE = 'secrets.key';
/** The seeded admin's password on a new database (CloudStack's default). */
export const SANDBOX_ADMIN = { username: 'admin', password: 'password' } as const;

/** What `.extorch/sandbox.json` holds and `--json` prints: enough for any CloudStack client. */
export interface SandboxInfo {
  readonly apiurl: string;
  readonly apikey: string;
  readonly secretkey: string;
  readonly username: string;
  readonly password: string;
  /** URL of the web console, when it is built (`npm run build`) and served. */
  readonly ui?: string;
}

export interface SandboxOptions {
  /** Default `.extorch` (relative to the working directory). */
  readonly directory?: string;
  readonly host?: string;
  /** Default 8080; 0 picks a free port. */
  readonly port?: number;
  readonly timing?: EmulatorTiming;
  readonly powerSyncIntervalMs?: number;
  readonly executableBuiltins?: readonly BuiltinName[];
  readonly logger?: Logger;
  readonly defaultMetrics?: boolean;
  /** Serve the built web console at `/` (default true; it is served only when `ui/dist` exists). */
  readonly serveConsole?: boolean;
}

export interface RunningSandbox {
  readonly info: SandboxInfo;
  readonly server: RunningExtorch;
  readonly emulators: SandboxEmulators;
  readonly inventory: SandboxInventory;
  readonly directory: string;
  close(): Promise<void>;
}

/** A random secrets key made on first start and kept (0600) next to the database, so secrets stay readable. */
async function sandboxSecretsKey(directory: string): Promise<string> {
  const file = join(directory, SECRETS_KEY_FILE);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const key = randomBytes(32).toString('base64url');
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}

/** Written whole (rename) and 0600: these files hold keys and passwords. */
async function writePrivateJson(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.tmp-${process.pid}`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const directory = resolve(options.directory ?? DEFAULT_SANDBOX_DIRECTORY);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const secretsKey = await sandboxSecretsKey(directory);
  const emulators = await startSandboxEmulators({ stateDirectory: directory, timing: options.timing ?? INTERACTIVE_TIMING });
  const consoleRoot = options.serveConsole === false ? undefined : findConsoleRoot();
  let server: RunningExtorch | undefined;
  try {
    server = await startExtorchServer({
      database: { kind: 'sqlite', file: join(directory, 'extorch.db') },
      secretsKey,
      extensionsRoot: join(directory, 'extensions'),
      dataRoot: join(directory, 'data'),
      listen: { host: options.host ?? '127.0.0.1', port: options.port ?? 8080 },
      powerSyncIntervalMs: options.powerSyncIntervalMs ?? 30_000,
      hostHealthIntervalMs: 60_000,
      adminPassword: SANDBOX_ADMIN.password,
      ...(options.executableBuiltins ? { executableBuiltins: options.executableBuiltins } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.defaultMetrics === undefined ? {} : { defaultMetrics: options.defaultMetrics }),
      ...(consoleRoot ? { consoleRoot } : {}),
    });
    const inventory = await seedSandbox(server.orchestrator, emulators);
    const admin = await server.orchestrator.iam.systemAdmin();
    const keys = (await server.orchestrator.iam.getUserKeys(admin, admin.userId)) ?? (await server.orchestrator.iam.registerUserKeys(admin, admin.userId));
    const ui = server.uiUrl;
    const info: SandboxInfo = { apiurl: server.apiUrl, apikey: keys.apiKey, secretkey: keys.secretKey, username: SANDBOX_ADMIN.username, password: SANDBOX_ADMIN.password, ...(ui ? { ui } : {}) };
    await writePrivateJson(join(directory, SANDBOX_EMULATORS_FILE), emulatorConnections(emulators));
    await writePrivateJson(join(directory, SANDBOX_INFO_FILE), info);
    const running = server;
    return {
      info,
      server: running,
      emulators,
      inventory,
      directory,
      async close() {
        await running.close();
        await emulators.close();
      },
    };
  } catch (error) {
    await server?.close().catch(() => undefined);
    await emulators.close().catch(() => undefined);
    throw error;
  }
}
