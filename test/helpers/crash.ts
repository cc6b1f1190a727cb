import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { OrchestratorConfig } from '../../src/orchestrator/orchestrator.ts';
import type { Infrastructure, TestBed } from './orchestrator.ts';
import { waitFor } from './wait.ts';

export interface CrashedJobs {
  readonly instanceId: string;
  readonly jobId: string;
  readonly genericJobId: string;
}

/**
 * Runs a deploy in a child orchestrator (`config`, the bed's by default) and SIGKILLs it while the extension's
 * `create` is running; `whileRunning` runs first, with the child alive and its create in progress.
 */
export async function crashDuringCreate(
  bed: TestBed,
  infra: Infrastructure,
  options: { config?: OrchestratorConfig; whileRunning?: (ids: CrashedJobs) => Promise<void>; deadlineMs?: number } = {},
): Promise<CrashedJobs> {
  const deadlineMs = options.deadlineMs ?? 60_000;
  const startedMarker = join(bed.extension.stateDir, 'started-create');
  await rm(startedMarker, { force: true });
  const deploy = { zoneId: infra.zoneId, templateId: infra.templateId, serviceOfferingId: infra.offeringId, networkIds: [infra.networkId] };
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/crash-child.ts', JSON.stringify({ config: options.config ?? bed.config, deploy })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const firstLine = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const ids = JSON.parse(firstLine) as CrashedJobs;
    await waitFor(() => existsSync(startedMarker), 'the extension create to start', deadlineMs);
    await options.whileRunning?.(ids);
    return ids;
  } finally {
    child.kill('SIGKILL');
    await exited;
    // The extension process lives in its own group and would finish on its own; stop it as a crashed host would.
    const extensionPid = Number(await readFile(startedMarker, 'utf8').catch(() => '0'));
    try {
      if (extensionPid > 0) process.kill(-extensionPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
