// The declarations behind listApis: every required command exists with complete, truthful metadata.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Orchestrator } from '../../src/orchestrator/index.ts';
import { describeCommand } from '../../src/api/registry.ts';
import { createCommandRegistry } from '../../src/api/server.ts';
import type { ApiAuthenticator } from '../../src/api/principal.ts';

// Building the registry only reads service references; no command runs in this file.
const registry = createCommandRegistry({} as Orchestrator, {} as ApiAuthenticator);

const REQUIRED_COMMANDS = [
  'listZones', 'createZone', 'listPods', 'createPod', 'listClusters', 'addCluster', 'listHosts', 'addHost', 'updateHost',
  'listServiceOfferings', 'createServiceOffering', 'listNetworkOfferings', 'createNetworkOffering', 'listNetworks', 'createNetwork',
  'registerTemplate', 'listTemplates', 'deployVirtualMachine', 'listVirtualMachines', 'startVirtualMachine', 'stopVirtualMachine',
  'rebootVirtualMachine', 'destroyVirtualMachine', 'expungeVirtualMachine', 'recoverVirtualMachine',
  'createExtension', 'listExtensions', 'updateExtension', 'deleteExtension', 'registerExtension', 'unregisterExtension',
  'updateRegisteredExtension', 'addCustomAction', 'listCustomActions', 'updateCustomAction', 'deleteCustomAction', 'runCustomAction',
  'listAccounts', 'createAccount', 'listUsers', 'createUser', 'registerUserKeys', 'getUserKeys', 'listEvents', 'listCapabilities',
  'listApis', 'queryAsyncJobResult', 'listAsyncJobs', 'login', 'logout',
];

const ASYNC_COMMANDS = new Set([
  'deployVirtualMachine', 'startVirtualMachine', 'stopVirtualMachine', 'rebootVirtualMachine', 'destroyVirtualMachine',
  'expungeVirtualMachine', 'runCustomAction', 'deleteNetwork', 'deleteTemplate',
]);
const PARAM_TYPES = new Set(['string', 'uuid', 'integer', 'long', 'short', 'boolean', 'map', 'list', 'date']);

describe('command registry', () => {
  it('declares every command the workflow needs, with CloudStack async-ness', () => {
    for (const name of REQUIRED_COMMANDS) assert.ok(registry.get(name), `missing ${name}`);
    for (const command of registry.all()) assert.equal(command.isAsync === true, ASYNC_COMMANDS.has(command.name), command.name);
  });

  it('describes every command completely (cmk panics on missing fields)', () => {
    for (const command of registry.all()) {
      const api = describeCommand(command);
      assert.equal(typeof api.name, 'string');
      assert.ok(typeof api.description === 'string' && api.description.length > 0, `${command.name} description`);
      assert.equal(typeof api.isasync, 'boolean');
      assert.ok(Array.isArray(api.response) && (api.response as unknown[]).length > 0, `${command.name} response fields`);
      for (const param of api.params as Array<Record<string, unknown>>) {
        assert.equal(param.name, String(param.name).toLowerCase(), `${command.name}.${String(param.name)} lower-case`);
        assert.ok(typeof param.description === 'string' && param.description.length > 0, `${command.name}.${String(param.name)} description`);
        assert.ok(PARAM_TYPES.has(String(param.type)), `${command.name}.${String(param.name)} type ${String(param.type)}`);
        assert.equal(typeof param.required, 'boolean');
        assert.equal(typeof param.length, 'number');
      }
    }
  });

  it('marks the parameters CloudStack requires as required', () => {
    const required = (name: string) =>
      (describeCommand(registry.get(name)!).params as Array<{ name: string; required: boolean }>).filter((p) => p.required).map((p) => p.name).sort();
    assert.deepEqual(required('addCluster'), ['clustername', 'clustertype', 'hypervisor', 'podid', 'zoneid']);
    assert.deepEqual(required('addHost'), ['hypervisor', 'podid', 'url', 'zoneid']);
    assert.deepEqual(required('registerTemplate'), ['format', 'hypervisor', 'name', 'url']);
    assert.deepEqual(required('deployVirtualMachine'), ['serviceofferingid', 'templateid', 'zoneid']);
    assert.deepEqual(required('listTemplates'), ['templatefilter']);
    assert.deepEqual(required('runCustomAction'), ['customactionid', 'resourceid']);
    assert.deepEqual(required('createExtension'), ['name', 'type']);
    assert.deepEqual(required('registerExtension'), ['extensionid', 'resourceid', 'resourcetype']);
    assert.deepEqual(required('addCustomAction'), ['extensionid', 'name']);
  });

  it('types extension maps as map parameters and list commands take paging', () => {
    const param = (command: string, name: string) =>
      (describeCommand(registry.get(command)!).params as Array<{ name: string; type: string }>).find((p) => p.name === name);
    assert.equal(param('addCluster', 'externaldetails')?.type, 'map');
    assert.equal(param('deployVirtualMachine', 'externaldetails')?.type, 'map');
    assert.equal(param('addCustomAction', 'parameters')?.type, 'map');
    assert.equal(param('addCustomAction', 'allowedroletypes')?.type, 'list');
    for (const command of registry.all().filter((c) => c.name.startsWith('list') && c.name !== 'listApis' && c.name !== 'listCapabilities' && c.name !== 'listHypervisors')) {
      assert.ok(param(command.name, 'pagesize'), `${command.name} pagesize`);
    }
  });
});
