// Child process for the restart tests: opens the orchestrator on the given database, starts a deploy and a
// generic job, prints their ids, and then waits to be killed (SIGKILL) mid-job by the test.
import { createOrchestrator } from '../../src/orchestrator/orchestrator.ts';
import type { OrchestratorConfig } from '../../src/orchestrator/orchestrator.ts';

const input = JSON.parse(process.argv[2] ?? '{}') as { config: OrchestratorConfig; deploy: { zoneId: string; templateId: string; serviceOfferingId: string; networkIds: string[] } };
const orchestrator = await createOrchestrator(input.config);
const admin = await orchestrator.iam.systemAdmin();
const { instance, job } = await orchestrator.instances.deploy(admin, input.deploy);
const generic = await orchestrator.jobs.submit('neverEnding', admin, { type: null, id: null }, () => new Promise<never>(() => undefined));
process.stdout.write(`${JSON.stringify({ instanceId: instance.id, jobId: job.id, genericJobId: generic.id })}\n`);
setInterval(() => undefined, 1000);
