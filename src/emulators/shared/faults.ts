import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { sleep } from '../../contract/deadline.ts';

/**
 * Fault injection shared by every emulator. Rules are matched in order against each API request (never
 * against the control API) and can delay it, fail it with a status, or drop the connection.
 */
export const faultRuleSchema = z.strictObject({
  /** HTTP method to match; any when absent. */
  method: z.string().optional(),
  /** Regular expression matched against the path (without query); any when absent. */
  path: z.string().optional(),
  /** Added delay before the request is handled. */
  latencyMs: z.number().int().nonnegative().optional(),
  /** Probability (0..1) that a matching request fails; 1 when absent and `status` or `drop` is set. */
  errorRate: z.number().min(0).max(1).optional(),
  /** Status to answer with instead of handling the request. */
  status: z.number().int().min(400).max(599).optional(),
  /** Reason phrase / message of the injected error. */
  message: z.string().optional(),
  /** Destroy the connection instead of answering. */
  drop: z.boolean().optional(),
  /** How many requests the rule applies to before it expires; unlimited when absent. */
  times: z.number().int().positive().optional(),
});

export type FaultRule = z.infer<typeof faultRuleSchema>;

interface ActiveRule {
  readonly id: number;
  readonly rule: FaultRule;
  readonly pattern?: RegExp;
  remaining: number;
  hits: number;
}

export type InjectedError = (res: ServerResponse, status: number, message: string) => void;

export class FaultInjector {
  #rules: ActiveRule[] = [];
  #nextId = 1;
  /** Source of randomness for error rates; replaceable for deterministic tests. */
  random: () => number = Math.random;

  add(input: unknown): number {
    const rule = faultRuleSchema.parse(input);
    const id = this.#nextId++;
    this.#rules.push({ id, rule, pattern: rule.path ? new RegExp(rule.path) : undefined, remaining: rule.times ?? Infinity, hits: 0 });
    return id;
  }

  clear(): void {
    this.#rules = [];
  }

  list(): Array<FaultRule & { id: number; hits: number }> {
    return this.#rules.map(({ id, rule, hits }) => ({ id, hits, ...rule }));
  }

  /**
   * Applies matching rules. Returns true when the request was answered (or dropped) by a fault and must
   * not be handled further; `sendError` formats the error the way the emulated API does.
   */
  async apply(req: IncomingMessage, res: ServerResponse, sendError: InjectedError): Promise<boolean> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    for (const active of this.#rules) {
      const { rule } = active;
      if (active.remaining <= 0) continue;
      if (rule.method && rule.method.toUpperCase() !== req.method) continue;
      if (active.pattern && !active.pattern.test(path)) continue;
      active.remaining -= 1;
      active.hits += 1;
      if (rule.latencyMs) await sleep(rule.latencyMs);
      const fails = rule.status !== undefined || rule.drop === true;
      if (!fails) continue;
      if (this.random() >= (rule.errorRate ?? 1)) continue;
      if (rule.drop) {
        req.socket.destroy();
        return true;
      }
      sendError(res, rule.status ?? 500, rule.message ?? 'Injected fault');
      return true;
    }
    this.#rules = this.#rules.filter((active) => active.remaining > 0);
    return false;
  }
}
