// The pieces of `extorch sandbox`, in-process, unseeded: the three emulators (zero task/step time) and a real
// extorch server (SQLite file in a temp directory, API on 127.0.0.1:0), so a client can walk the documented
// workflow from the first step. Also the emulator-side checks that prove an action really happened.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/api/logger.ts';
import { startExtorchServer, type RunningExtorch } from '../../src/runtime/server.ts';
import type { BuiltinName } from '../../src/runtime/builtins.ts';
import { startSandboxEmulators, ZERO_TIMING, type SandboxEmulators } from '../../src/sandbox/emulators.ts';

export interface WorkflowBed {
  readonly server: RunningExtorch;
  readonly emulators: SandboxEmulators;
  readonly keys: { apiKey: string; secretKey: string };
  close(): Promise<void>;
}

export async function startWorkflowBed(options: { executableBuiltins?: BuiltinName[] } = {}): Promise<WorkflowBed> {
  const root = await mkdtemp(join(tmpdir(), 'extorch-workflow-'));
  const emulators = await startSandboxEmulators({ timing: ZERO_TIMING });
  const server = await startExtorchServer({
    database: { kind: 'sqlite', file: join(root, 'extorch.db') },
    secretsKey: 'workflow-test-secrets-key',
    extensionsRoot: join(root, 'extensions'),
    dataRoot: join(root, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
    powerSyncIntervalMs: 0,
    hostHealthIntervalMs: 0,
    logger: createLogger({ level: 'silent' }),
    defaultMetrics: false,
    ...(options.executableBuiltins ? { executableBuiltins: options.executableBuiltins } : {}),
  });
  const admin = await server.orchestrator.iam.systemAdmin();
  const keys = await server.orchestrator.iam.registerUserKeys(admin, admin.userId);
  return {
    server,
    emulators,
    keys,
    async close() {
      await server.close();
      await emulators.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
