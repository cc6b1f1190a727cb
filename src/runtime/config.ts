// Configuration of `extorch serve`: a JSON file (optional) overlaid by environment variables, validated in
// one place so a bad value is refused at start with the name of the setting (never echoing a secret).
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DEFAULT_SQLITE_FILE, type DatabaseConfig } from '../store/config.ts';
import { BUILTIN_NAMES, type BuiltinName } from './builtins.ts';

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  extensionsRoot: '.extorch/extensions',
  dataRoot: '.extorch/data',
  powerSyncIntervalSeconds: 60,
  hostHealthIntervalSeconds: 60,
  logLevel: 'info',
} as const;

/** Environment variable → config file key. */
export const SERVE_ENVIRONMENT = {
  EXTORCH_DATABASE_URL: 'databaseUrl',
  EXTORCH_LISTEN_HOST: 'host',
  EXTORCH_LISTEN_PORT: 'port',
  EXTORCH_SECRETS_KEY: 'secretsKey',
  EXTORCH_SECRETS_KEY_FILE: 'secretsKeyFile',
  EXTORCH_EXTENSIONS_ROOT: 'extensionsRoot',
  EXTORCH_DATA_ROOT: 'dataRoot',
  EXTORCH_POWER_SYNC_INTERVAL: 'powerSyncIntervalSeconds',
  EXTORCH_HOST_HEALTH_INTERVAL: 'hostHealthIntervalSeconds',
  EXTORCH_LOG_LEVEL: 'logLevel',
  EXTORCH_ADMIN_PASSWORD: 'adminPassword',
  EXTORCH_EXECUTABLE_BUILTINS: 'executableBuiltins',
  EXTORCH_NODE_NAME: 'nodeName',
} as const;

const seconds = z.coerce.number().int().min(0).max(86_400);
const fileSchema = z
  .object({
    /** `postgres://…` for PostgreSQL, else the path of the SQLite file (or `sqlite:<path>`). */
    databaseUrl: z.string().min(1).optional(),
    host: z.string().min(1).optional(),
    port: z.coerce.number().int().min(0).max(65_535).optional(),
    secretsKey: z.string().min(16, 'must be at least 16 characters').optional(),
    secretsKeyFile: z.string().min(1).optional(),
    extensionsRoot: z.string().min(1).optional(),
    dataRoot: z.string().min(1).optional(),
    powerSyncIntervalSeconds: seconds.optional(),
    hostHealthIntervalSeconds: seconds.optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    adminPassword: z.string().min(1).optional(),
    /** Unique per node when several share one PostgreSQL database (default: the host name). */
    nodeName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, dot, dash, underscore (1-63)').optional(),
    executableBuiltins: z
      .union([z.string(), z.array(z.string())])
      .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((name) => name.trim()).filter(Boolean))
      .pipe(z.array(z.enum(BUILTIN_NAMES as [BuiltinName, ...BuiltinName[]])))
      .optional(),
  })
  .strict();

export interface ServeConfig {
  readonly database: DatabaseConfig;
  readonly host: string;
  readonly port: number;
  readonly secretsKey: string;
  readonly extensionsRoot: string;
  readonly dataRoot: string;
  readonly powerSyncIntervalMs: number;
  readonly hostHealthIntervalMs: number;
  readonly logLevel: string;
  readonly adminPassword?: string;
  readonly nodeName?: string;
  readonly executableBuiltins: readonly BuiltinName[];
}

export class ConfigError extends Error {}

function databaseFrom(url: string | undefined): DatabaseConfig {
  if (url === undefined) return { kind: 'sqlite', file: DEFAULT_SQLITE_FILE };
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url };
  return { kind: 'sqlite', file: url.replace(/^sqlite:/i, '') };
}

/** Reads the optional JSON file, overlays the environment, validates, and resolves the secrets key. */
export async function loadServeConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ServeConfig> {
  const env = options.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  if (options.file) {
    let text: string;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (error) {
      throw new ConfigError(`Cannot read the config file ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new ConfigError(`The config file ${options.file} is not valid JSON`);
    }
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) throw new ConfigError(`The config file ${options.file} must hold a JSON object`);
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [variable, key] of Object.entries(SERVE_ENVIRONMENT)) {
    const value = env[variable]?.trim();
    if (value) merged[key] = value;
  }
  const parsed = fileSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.') || '(config)';
    const variable = Object.entries(SERVE_ENVIRONMENT).find(([, name]) => name === key)?.[0];
    // The message names the setting only: a rejected value may be a secret.
    throw new ConfigError(`Invalid setting ${key}${variable ? ` (${variable})` : ''}: ${issue.code === 'unrecognized_keys' ? issue.message : issue.message.replace(/received .*/i, 'invalid value')}`);
  }
  const config = parsed.data;
  let secretsKey = config.secretsKey;
  if (secretsKey === undefined && config.secretsKeyFile !== undefined) {
    try {
      secretsKey = (await readFile(config.secretsKeyFile, 'utf8')).trim();
    } catch (error) {
      throw new ConfigError(`Cannot read the secrets key file ${config.secretsKeyFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    if (secretsKey.length < 16) throw new ConfigError('Invalid setting secretsKeyFile (EXTORCH_SECRETS_KEY_FILE): the key must be at least 16 characters');
  }
  // Without a stable key the host secrets stored at rest could not be read back after a restart.
  if (secretsKey === undefined) throw new ConfigError('A secrets key is required: set EXTORCH_SECRETS_KEY or EXTORCH_SECRETS_KEY_FILE (or secretsKey/secretsKeyFile in the config file)');
  return {
    database: databaseFrom(config.databaseUrl),
    host: config.host ?? SERVE_DEFAULTS.host,
    port: config.port ?? SERVE_DEFAULTS.port,
    secretsKey,
    extensionsRoot: config.extensionsRoot ?? SERVE_DEFAULTS.extensionsRoot,
    dataRoot: config.dataRoot ?? SERVE_DEFAULTS.dataRoot,
    powerSyncIntervalMs: (config.powerSyncIntervalSeconds ?? SERVE_DEFAULTS.powerSyncIntervalSeconds) * 1000,
    hostHealthIntervalMs: (config.hostHealthIntervalSeconds ?? SERVE_DEFAULTS.hostHealthIntervalSeconds) * 1000,
    logLevel: config.logLevel ?? SERVE_DEFAULTS.logLevel,
    ...(config.adminPassword === undefined ? {} : { adminPassword: config.adminPassword }),
    ...(config.nodeName === undefined ? {} : { nodeName: config.nodeName }),
    executableBuiltins: config.executableBuiltins ?? [],
  };
}
