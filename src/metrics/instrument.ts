// Feeds extension action latency into the metrics registry by wrapping an in-process Extension: the
// coordinator wraps the in-built extensions with this when it wires them into the orchestrator.
import type { Extension } from '../contract/extension.ts';
import type { ExtorchMetrics } from './registry.ts';

export function instrumentExtension(extension: Extension, metrics: ExtorchMetrics): Extension {
  return {
    name: extension.name,
    actions: extension.actions,
    defaultTimeoutSeconds: extension.defaultTimeoutSeconds,
    async run(action, payload, options) {
      const stop = metrics.actionLatency.startTimer({ extension: extension.name, action: action.toLowerCase() });
      try {
        const result = await extension.run(action, payload, options);
        stop({ outcome: result.success ? 'success' : 'failure' });
        return result;
      } catch (error) {
        stop({ outcome: 'failure' });
        throw error;
      }
    },
  };
}
