// Feeds extension action latency into the metrics registry: the orchestrator reports every finished
// invocation (in-process or executable, in-built or user-defined) to the observer made here.
import type { InvocationObserver } from '../orchestrator/index.ts';
import type { ExtorchMetrics } from './registry.ts';

export function observeInvocations(metrics: ExtorchMetrics): InvocationObserver {
  return ({ extension, action, outcome, seconds }) => metrics.actionLatency.observe({ extension, action, outcome }, seconds);
}
