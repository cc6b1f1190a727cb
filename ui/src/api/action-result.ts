// How CloudStack's UI shows a custom action's result (orchestrator.md §9.7): `result.details` is the
// extension's stdout; when it is JSON with `printmessage` true and an object/array `message`, that is a table.
import type { ApiObject } from './types.ts';

export interface ActionOutcome {
  success: boolean;
  message: string;
  /** Rows to show as a table, when the extension asked for it. */
  table?: Array<Record<string, unknown>>;
}

/** CloudStack UI's rule: `result.details` as JSON with `printmessage` true and an object/array `message`. */
export function interpretResult(result: ApiObject): ActionOutcome {
  const inner = (result.customactionresult ?? result) as { success?: boolean; result?: { message?: string; details?: string } };
  const success = inner.success === true;
  const message = String(inner.result?.message ?? (success ? 'Done' : 'Failed'));
  try {
    const output = JSON.parse(String(inner.result?.details ?? '')) as { printmessage?: unknown; message?: unknown };
    if (String(output.printmessage).toLowerCase() === 'true' && output.message && typeof output.message === 'object') {
      const rows = Array.isArray(output.message) ? output.message : [output.message];
      return { success, message, table: rows.map((row) => (row && typeof row === 'object' ? (row as Record<string, unknown>) : { value: row })) };
    }
  } catch {
    // Plain-text output: the message is all there is to show.
  }
  return { success, message };
}
