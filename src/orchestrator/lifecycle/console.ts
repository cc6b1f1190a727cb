// Parsing of the `getconsole` answer (extension-contract.md §5.6): the same checks and messages as CloudStack,
// so an extension that works there is read the same way here.

/** The console an extension hands out: a URL to open (`direct`), or a VNC target with a (one-time) password. */
export interface InstanceConsole {
  readonly protocol: string;
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly password?: string;
  readonly passwordOneTimeUseOnly: boolean;
}

export class ConsoleOutputError extends Error {
  override readonly name = 'ConsoleOutputError';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** CloudStack converts `port` through String → Integer, so "5900" and 5900 are both fine, "59x0" is not. */
function portOf(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) throw new ConsoleOutputError('Failed to parse output');
  return Number(text);
}

/** Reads a successful `getconsole` output; throws `ConsoleOutputError` with CloudStack's message otherwise. */
export function parseConsoleOutput(output: string): InstanceConsole {
  let document: unknown;
  try {
    document = JSON.parse(output);
  } catch {
    throw new ConsoleOutputError('Failed to parse output');
  }
  if (!isObject(document)) throw new ConsoleOutputError('Failed to parse output');
  const console_ = document.console;
  if (!isObject(console_)) throw new ConsoleOutputError('Missing console object in output');
  const url = optionalString(console_.url);
  const host = optionalString(console_.host);
  const port = portOf(console_.port);
  if (url === undefined && (host === undefined || port === undefined)) throw new ConsoleOutputError('Missing required fields in output');
  const password = optionalString(console_.password);
  return {
    protocol: optionalString(console_.protocol) ?? (url !== undefined && host === undefined ? 'direct' : 'vnc'),
    ...(url !== undefined ? { url } : {}),
    ...(host !== undefined ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(password !== undefined ? { password } : {}),
    passwordOneTimeUseOnly: console_.passwordonetimeuseonly === true || console_.passwordonetimeuseonly === 'true',
  };
}
