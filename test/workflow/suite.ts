// The documented in-built extension workflow as one suite, run once per real CloudStack client (each client's
// test file calls this, so the clients run in separate processes, in parallel).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ClientApiError, WorkflowClient } from './clients.ts';
import { startWorkflowBed, type WorkflowBed } from './harness.ts';
import { createSharedInfrastructure, runDocumentedWorkflow, type SharedInfrastructure } from './workflow.ts';

export type ConnectClient = (apiUrl: string, keys: WorkflowBed['keys']) => Promise<WorkflowClient>;

export function describeDocumentedWorkflow(title: string, connect: ConnectClient): void {
  describe(title, () => {
    let bed: WorkflowBed;
    let client: WorkflowClient;
    let shared: SharedInfrastructure;
    before(async () => {
      bed = await startWorkflowBed();
      client = await connect(bed.server.apiUrl, bed.keys);
      shared = await createSharedInfrastructure(client);
    });
    after(async () => {
      await client?.close();
      await bed?.close();
    });

    for (const kind of ['Proxmox', 'HyperV', 'MaaS'] as const) {
      it(`runs the ${kind} workflow`, async () => {
        await runDocumentedWorkflow({ client, emulators: bed.emulators, shared }, kind);
      });
    }

    it('gets a CloudStack error naming the parameter for a deploy without a template', async () => {
      await assert.rejects(client.async('deployVirtualMachine', { zoneid: shared.zoneId, serviceofferingid: shared.offeringId }), (error: ClientApiError) => {
        assert.equal(error.httpStatus, 431);
        assert.match(error.message, /templateid/);
        return true;
      });
    });
  });
}
