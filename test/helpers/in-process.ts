import { Deadline } from '../../src/contract/deadline.ts';
import type { Extension, ExtensionResult } from '../../src/contract/extension.ts';
import { parsePayload } from '../../src/contract/payload.ts';

/**
 * Runs one action in-process as the orchestrator does: the payload parsed as CloudStack wrote it and one deadline
 * for the whole invocation, disposed afterwards so its timer cannot outlive the test.
 */
export async function runInProcess(extension: Extension, action: string, payload: unknown, timeoutMs = 30_000): Promise<ExtensionResult> {
  const deadline = Deadline.after(timeoutMs);
  try {
    return await extension.run(action, parsePayload(payload), { deadline });
  } finally {
    deadline.dispose();
  }
}
