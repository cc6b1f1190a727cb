import type { Deadline } from './deadline.ts';
import { collectSecrets, redact } from './details.ts';
import type { Payload } from './payload.ts';

/** A JSON object as printed on stdout by an extension. */
export type JsonObject = { [key: string]: JsonValue };
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** What one invocation produced: the JSON document for stdout and whether the exit code is 0. */
export interface ExtensionResult {
  readonly success: boolean;
  readonly output: JsonObject;
}

export interface InvocationOptions {
  /** The overall deadline of the invocation (the contract's timeout argument). */
  readonly deadline: Deadline;
}

/**
 * The one interface every extension implements. The orchestrator calls it in-process; the runner in
 * `executable.ts` wraps it into a CloudStack-compatible executable. Action names are matched
 * case-insensitively (CloudStack sends custom action names with their registered case).
 */
export interface Extension {
  readonly name: string;
  /** Lower-case names of the actions this extension implements. */
  readonly actions: readonly string[];
  /** Seconds to allow when the caller gave no usable timeout. */
  readonly defaultTimeoutSeconds: number;
  run(action: string, payload: Payload, options: InvocationOptions): Promise<ExtensionResult>;
}

/** A failure an extension reports to its caller; the message is shown to operators as is. */
export class ExtensionError extends Error {
  override readonly name = 'ExtensionError';
}

export type ActionHandler = (payload: Payload, options: InvocationOptions) => Promise<JsonObject>;

export interface ExtensionDefinition {
  readonly name: string;
  readonly defaultTimeoutSeconds: number;
  readonly handlers: Readonly<Record<string, ActionHandler>>;
  /** Checks that apply to every action (e.g. required connection details), run before the handler. */
  readonly validate?: (action: string, payload: Payload) => void;
}

export function errorOutput(message: string): JsonObject {
  return { status: 'error', error: message };
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/**
 * Builds an Extension from per-action handlers: dispatch on the lower-cased action, shared validation,
 * and one error path that turns any thrown error into `{"status":"error","error":…}` with every secret
 * of the payload scrubbed from the message.
 */
export function defineExtension(definition: ExtensionDefinition): Extension {
  const handlers = new Map(Object.entries(definition.handlers).map(([action, handler]) => [action.toLowerCase(), handler]));
  return {
    name: definition.name,
    actions: [...handlers.keys()],
    defaultTimeoutSeconds: definition.defaultTimeoutSeconds,
    async run(action, payload, options) {
      const secrets = collectSecrets(payload);
      try {
        const normalised = action.trim().toLowerCase();
        const handler = handlers.get(normalised);
        if (!handler) throw new ExtensionError('Invalid action');
        definition.validate?.(normalised, payload);
        const output = await handler(payload, options);
        return { success: true, output };
      } catch (error) {
        return { success: false, output: errorOutput(redact(messageOf(error), secrets)) };
      }
    },
  };
}
