// The documented in-built extension workflow through the npm CloudStack client `csclient`, against a real
// extorch server and the three emulators.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { csclientClient, type ClientApiError, type WorkflowClient } from './clients.ts';
import { startWorkflowBed, type WorkflowBed } from './harness.ts';
import { createSharedInfrastructure, runDocumentedWorkflow, type SharedInfrastructure } from './workflow.ts';

describe('documented workflow through csclient (npm)', () => {
  let bed: WorkflowBed;
  let client: WorkflowClient;
  let shared: SharedInfrastructure;
  before(async () => {
    bed = await startWorkflowBed();
    client = await csclientClient(bed.server.apiUrl, bed.keys);
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
