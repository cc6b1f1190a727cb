import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Deadline } from './deadline.ts';
import { errorOutput, type Extension, type ExtensionResult } from './extension.ts';
import { parsePayload, PayloadError } from './payload.ts';

/**
 * Turns an Extension into a CloudStack extension executable:
 * `<entry> <action> <payload-file> [timeout-seconds]` → exactly one JSON document on stdout, nothing on
 * stderr, exit 0 on success and 1 on failure.
 */

/** Time kept back from the caller's timeout so that cleanup and the answer happen before the kill. */
export function deadlineBudgetMs(timeoutSeconds: number): number {
  const totalMs = timeoutSeconds * 1000;
  const marginMs = Math.min(5_000, totalMs * 0.1);
  return totalMs - marginMs;
}

export function parseTimeoutSeconds(raw: string | undefined, defaultSeconds: number): number {
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return defaultSeconds;
  const seconds = Number(raw);
  return seconds > 0 ? seconds : defaultSeconds;
}

async function readPayloadFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new PayloadError(`JSON file not found: ${path}`);
    throw new PayloadError(`Unable to read JSON file: ${code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new PayloadError('Invalid JSON in file');
  }
}

/**
 * Runs one invocation from argv (without the node and script entries) and returns its result.
 * `elapsedMs` is time already spent since the caller started its clock: CloudStack's timeout runs from the spawn,
 * so an executable's own start-up (Node, loading the bundle) comes out of the deadline.
 */
export async function invokeFromArgv(
  extension: Extension,
  argv: readonly string[],
  signal?: AbortSignal,
  elapsedMs = 0,
): Promise<ExtensionResult> {
  const [action, payloadPath, timeoutArg] = argv;
  if (!action || !payloadPath) {
    return {
      success: false,
      output: errorOutput(`Usage: extorch-${extension.name} <action> <payload-file> [timeout-seconds]`),
    };
  }
  let payload;
  try {
    payload = parsePayload(await readPayloadFile(payloadPath));
  } catch (error) {
    return { success: false, output: errorOutput((error as Error).message) };
  }
  const timeoutSeconds = parseTimeoutSeconds(timeoutArg, extension.defaultTimeoutSeconds);
  const deadline = Deadline.after(deadlineBudgetMs(timeoutSeconds) - elapsedMs, signal);
  try {
    return await extension.run(action, payload, { deadline });
  } finally {
    deadline.dispose();
  }
}

/**
 * The `main` of an extension executable. Keeps stderr silent (CloudStack merges it into stdout and would
 * then fail to parse the JSON), turns every unexpected failure into the error document, and exits as soon
 * as the answer is written so that idle keep-alive sockets cannot delay the process.
 */
export async function runExecutableMain(extension: Extension): Promise<never> {
  process.removeAllListeners('warning');
  process.on('warning', () => {});
  const cancel = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => cancel.abort(new Error(`Interrupted by ${signal}`)));
  }
  let result: ExtensionResult;
  try {
    // performance.now() counts from the start of this process, which is close to CloudStack's spawn.
    result = await invokeFromArgv(extension, process.argv.slice(2), cancel.signal, performance.now());
  } catch (error) {
    result = { success: false, output: errorOutput(`${basename(process.argv[1] ?? extension.name)}: ${(error as Error).message}`) };
  }
  const line = `${JSON.stringify(result.output)}\n`;
  await new Promise<void>((resolve) => process.stdout.write(line, () => resolve()));
  process.exit(result.success ? 0 : 1);
}
