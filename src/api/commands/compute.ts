// Templates and instances (virtual machines).
import type { InstanceState, Job, Orchestrator } from '../../orchestrator/index.ts';
import { invalidParameter } from '../errors.ts';
import { callerOf } from '../orchestrator-adapters.ts';
import { booleanParam, enumParam, listParam, mapParam, stringParam, uuidParam } from '../params.ts';
import { ALL_ROLES, defineCommand, type AnyCommand, type CommandResult } from '../registry.ts';
import { successFields } from '../response-fields.ts';
import { templateResponse, virtualMachineResponse } from '../responses/catalog.ts';
import { listed, listOfOne, listOptions, single } from './shared.ts';

const TEMPLATE_FILTERS = ['featured', 'self', 'selfexecutable', 'sharedexecutable', 'executable', 'community', 'all'] as const;
const INSTANCE_STATES: readonly InstanceState[] = ['Stopped', 'Starting', 'Running', 'Stopping', 'Destroyed', 'Expunging', 'Error'];

function accepted(job: Job, id?: string): CommandResult {
  return { type: 'job', jobid: job.id, id };
}

export function computeCommands(orchestrator: Orchestrator): AnyCommand[] {
  const { templates, instances } = orchestrator;
  return [
    defineCommand({
      name: 'registerTemplate',
      description: 'Registers an existing template into the CloudStack cloud.',
      roles: ALL_ROLES,
      params: {
        name: stringParam({ description: 'the name of the template', required: true }),
        displaytext: stringParam({ description: 'The display text of the template, defaults to \'name\'.', length: 4096 }),
        format: stringParam({ description: 'the format for the template. Possible values include QCOW2, RAW, VHD and OVA.', required: true }),
        hypervisor: stringParam({ description: 'the target hypervisor for the template', required: true }),
        url: stringParam({ description: 'the URL of where the template is hosted.', required: true, length: 2048 }),
        zoneid: uuidParam({ description: 'the ID of the zone the template is to be hosted on' }),
        zoneids: listParam({ description: 'A list of zone ids where the template will be hosted. Use this parameter if the template needs to be registered to multiple zones in one go. Use zoneid if the template needs to be registered to only one zone.Passing only -1 to this will cause the template to be registered as a cross zone template and will be copied to all zones. ' }),
        ostypeid: uuidParam({ description: 'the ID of the OS Type that best represents the OS of this template. Not applicable with VMware, as we honour what is defined in the template' }),
        extensionid: uuidParam({ description: 'ID of the extension', since: '4.21.0' }),
        externaldetails: mapParam({ description: 'Details in key/value pairs using format externaldetails[i].keyname=keyvalue. Example: externaldetails[0].endpoint.url=urlvalue', since: '4.21.0' }),
        details: mapParam({ description: 'Template details in key/value pairs using format details[i].keyname=keyvalue. Example: details[0].hypervisortoolsversion=xenserver61' }),
        ispublic: booleanParam({ description: 'true if the template is available to all accounts; default is true' }),
        isfeatured: booleanParam({ description: 'true if this template is a featured template, false otherwise' }),
        isextractable: booleanParam({ description: 'true if the template or its derivatives are extractable; default is false' }),
        passwordenabled: booleanParam({ description: 'true if the template supports the password reset feature; default is false' }),
        requireshvm: booleanParam({ description: 'true if this template requires HVM' }),
      },
      response: templateResponse.fields,
      async handler(p, { principal }) {
        const zoneId = p.zoneid ?? p.zoneids?.find((zone) => zone !== '-1');
        const template = await templates.registerTemplate(callerOf(principal), {
          name: p.name,
          displayText: p.displaytext ?? p.name,
          format: p.format,
          hypervisor: p.hypervisor,
          url: p.url,
          zoneId,
          osTypeId: p.ostypeid,
          extensionId: p.extensionid,
          externalDetails: p.externaldetails,
          details: p.details,
          isPublic: p.ispublic,
          isFeatured: p.isfeatured,
          isExtractable: p.isextractable,
          passwordEnabled: p.passwordenabled,
          requiresHvm: p.requireshvm,
        });
        return listOfOne(templateResponse, template);
      },
    }),
    defineCommand({
      name: 'listTemplates',
      description: 'List all public, private, and privileged templates.',
      roles: ALL_ROLES,
      list: true,
      params: {
        templatefilter: enumParam({
          description: 'possible values are "featured", "self", "selfexecutable","sharedexecutable","executable", and "community". * featured : templates that have been marked as featured and public. * self : templates that have been registered or created by the calling user. * selfexecutable : same as self, but only returns templates that can be used to deploy a new VM. * sharedexecutable : templates ready to be deployed that have been granted to the calling user by another user. * executable : templates that are owned by the calling user, or public templates, that can be used to deploy a VM. * community : templates that have been marked as public but not featured. * all : all templates (only usable by admins).',
          required: true,
          values: TEMPLATE_FILTERS,
        }),
        id: uuidParam({ description: 'the template ID' }),
        name: stringParam({ description: 'the template name' }),
        zoneid: uuidParam({ description: 'list templates by zoneId' }),
        hypervisor: stringParam({ description: 'the hypervisor for which to restrict the search' }),
        extensionid: uuidParam({ description: 'ID of the extension for the template', since: '4.22.0' }),
        listall: booleanParam({ description: 'If set to false, list only resources belonging to the command\'s caller; if set to true - list resources that the caller is authorized to see. Default value is false' }),
      },
      response: templateResponse.fields,
      async handler(p, { principal, paging }) {
        if (p.hypervisor !== undefined && p.hypervisor.toLowerCase() !== 'external') return { type: 'list', name: templateResponse.name, items: [], count: 0 };
        const page = await templates.listTemplates(callerOf(principal), {
          id: p.id,
          name: p.name,
          zoneId: p.zoneid,
          extensionId: p.extensionid,
          templateFilter: p.templatefilter,
          ...listOptions(paging, p.keyword),
        });
        return listed(templateResponse, page);
      },
    }),
    defineCommand({
      name: 'updateTemplate',
      description: 'Updates attributes of a template.',
      roles: ALL_ROLES,
      params: {
        id: uuidParam({ description: 'the ID of the image file', required: true }),
        name: stringParam({ description: 'the name of the image file' }),
        displaytext: stringParam({ description: 'the display text of the image', length: 4096 }),
        externaldetails: mapParam({ description: 'Details in key/value pairs using format externaldetails[i].keyname=keyvalue.', since: '4.21.0' }),
      },
      response: templateResponse.fields,
      async handler(p, { principal }) {
        const template = await templates.updateTemplate(callerOf(principal), p.id, { name: p.name, displayText: p.displaytext, externalDetails: p.externaldetails });
        return single(templateResponse, template);
      },
    }),
    defineCommand({
      name: 'deleteTemplate',
      description: 'Deletes a template from the system. All virtual machines using the deleted template will not be affected.',
      roles: ALL_ROLES,
      isAsync: true,
      params: {
        id: uuidParam({ description: 'the ID of the template', required: true }),
        zoneid: uuidParam({ description: 'the ID of zone of the template' }),
        forced: booleanParam({ description: 'Force delete a template.' }),
      },
      response: successFields,
      async handler({ id }, { principal, jobs, command }) {
        const jobid = await jobs.submit({
          command,
          principal,
          instanceType: 'Template',
          instanceId: id,
          run: async () => {
            await templates.deleteTemplate(callerOf(principal), id);
            return { success: true };
          },
        });
        return { type: 'job', jobid };
      },
    }),
    defineCommand({
      name: 'deployVirtualMachine',
      description: 'Creates and automatically starts a virtual machine based on a service offering, disk offering, and template.',
      roles: ALL_ROLES,
      isAsync: true,
      params: {
        serviceofferingid: uuidParam({ description: 'the ID of the service offering for the virtual machine', required: true }),
        templateid: uuidParam({ description: 'the ID of the template for the virtual machine', required: true }),
        zoneid: uuidParam({ description: 'availability zone for the virtual machine', required: true }),
        networkids: listParam({ description: 'list of network ids used by virtual machine. Can\'t be specified with ipToNetworkList parameter', itemType: 'uuid' }),
        name: stringParam({ description: 'host name for the virtual machine' }),
        displayname: stringParam({ description: 'an optional user generated name for the virtual machine' }),
        hostid: uuidParam({ description: 'destination Host ID to deploy the VM to - parameter available for root admin only' }),
        account: stringParam({ description: 'an optional account for the virtual machine. Must be used with domainId.' }),
        domainid: uuidParam({ description: 'an optional domainId for the virtual machine. If the account parameter is used, domainId must also be used.' }),
        details: mapParam({ description: 'used to specify the custom parameters. \'extraconfig\' is not allowed to be passed in details' }),
        externaldetails: mapParam({ description: 'Details in key/value pairs using format externaldetails[i].keyname=keyvalue. Example: externaldetails[0].server.type=typevalue', since: '4.21.0' }),
        startvm: booleanParam({ description: 'true if start vm after creating; defaulted to true if not specified' }),
      },
      response: virtualMachineResponse.fields,
      async handler(p, { principal }) {
        const caller = callerOf(principal);
        let accountId: string | undefined;
        if (p.account !== undefined) {
          const found = await orchestrator.iam.listAccounts(caller, { name: p.account, domainId: p.domainid });
          accountId = found.items[0]?.id;
          if (accountId === undefined) throw invalidParameter(`Unable to find account ${p.account} in the specified domain`);
        }
        const { instance, job } = await instances.deploy(caller, {
          zoneId: p.zoneid,
          templateId: p.templateid,
          serviceOfferingId: p.serviceofferingid,
          networkIds: p.networkids,
          name: p.name,
          displayName: p.displayname,
          hostId: p.hostid,
          details: p.details,
          externalDetails: p.externaldetails,
          startVm: p.startvm,
          accountId,
        });
        return accepted(job, instance.id);
      },
    }),
    defineCommand({
      name: 'listVirtualMachines',
      description: 'List the virtual machines owned by the account.',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'the ID of the virtual machine' }),
        ids: listParam({ description: 'the IDs of the virtual machines, mutually exclusive with id', itemType: 'uuid' }),
        name: stringParam({ description: 'name of the virtual machine (a substring match is made against the parameter value, data for all matching VMs will be returned)' }),
        state: enumParam({ description: 'state of the virtual machine. Possible values are: Running, Stopped, Present, Destroyed, Expunged. Present is used for the state equal not destroyed.', values: INSTANCE_STATES, caseInsensitive: true }),
        zoneid: uuidParam({ description: 'the availability zone ID' }),
        hostid: uuidParam({ description: 'the host ID' }),
        clusterid: uuidParam({ description: 'the cluster ID' }),
        templateid: uuidParam({ description: 'list vms by template' }),
        extensionid: uuidParam({ description: 'The ID of the Orchestrator extension for the VM', since: '4.22.0' }),
        account: stringParam({ description: 'list resources by account. Must be used with the domainId parameter.' }),
        domainid: uuidParam({ description: 'list only resources belonging to the domain specified' }),
        listall: booleanParam({ description: 'If set to false, list only resources belonging to the command\'s caller; if set to true - list resources that the caller is authorized to see. Default value is false' }),
        details: listParam({ description: 'comma separated list of vm details requested, value can be a list of [all, group, nics, stats, secgrp, tmpl, servoff, diskoff, backoff, iso, volume, min, affgrp]. If no value is passed, all details are returned.' }),
      },
      response: virtualMachineResponse.fields,
      async handler(p, { principal, paging }) {
        const caller = callerOf(principal);
        let accountId: string | undefined;
        if (p.account !== undefined) {
          accountId = (await orchestrator.iam.listAccounts(caller, { name: p.account, domainId: p.domainid })).items[0]?.id;
          if (accountId === undefined) return { type: 'list', name: virtualMachineResponse.name, items: [], count: 0 };
        }
        const page = await instances.list(caller, {
          id: p.id,
          ids: p.ids,
          name: p.name,
          state: p.state,
          zoneId: p.zoneid,
          hostId: p.hostid,
          clusterId: p.clusterid,
          templateId: p.templateid,
          extensionId: p.extensionid,
          accountId,
          domainId: p.domainid,
          listAll: p.listall,
          ...listOptions(paging, p.keyword),
        });
        return listed(virtualMachineResponse, page);
      },
    }),
    defineCommand({
      name: 'startVirtualMachine',
      description: 'Starts a virtual machine.',
      roles: ALL_ROLES,
      isAsync: true,
      params: {
        id: uuidParam({ description: 'The ID of the virtual machine', required: true }),
        hostid: uuidParam({ description: 'destination Host ID to deploy the VM to - parameter available for root admin only' }),
        considerlasthost: booleanParam({ description: 'True by default, CloudStack will firstly try to start the VM on the last host where it run on before stopping, if destination host is not specified.' }),
      },
      response: virtualMachineResponse.fields,
      async handler({ id, hostid }, { principal }) {
        return accepted(await instances.start(callerOf(principal), id, { hostId: hostid }));
      },
    }),
    defineCommand({
      name: 'stopVirtualMachine',
      description: 'Stops a virtual machine.',
      roles: ALL_ROLES,
      isAsync: true,
      params: {
        id: uuidParam({ description: 'The ID of the virtual machine', required: true }),
        forced: booleanParam({ description: 'Force stop the VM (vm is marked as Stopped even when command fails to be send to the backend, otherwise a force poweroff is attempted).' }),
      },
      response: virtualMachineResponse.fields,
      async handler({ id, forced }, { principal }) {
        return accepted(await instances.stop(callerOf(principal), id, { forced }));
      },
    }),
    defineCommand({
      name: 'rebootVirtualMachine',
      description: 'Reboots a virtual machine.',
      roles: ALL_ROLES,
      isAsync: true,
      params: {
        id: uuidParam({ description: 'The ID of the virtual machine', required: true }),
        forced: booleanParam({ description: 'Force reboot the VM (VM is Stopped and then Started)' }),
      },
      response: virtualMachineResponse.fields,
      async handler({ id }, { principal }) {
        return accepted(await instances.reboot(callerOf(principal), id));
      },
    }),
    defineCommand({
      name: 'destroyVirtualMachine',
      description: 'Destroys a virtual machine. Once destroyed, only the administrator can recover it.',
      roles: ALL_ROLES,
      isAsync: true,
      params: {
        id: uuidParam({ description: 'The ID of the virtual machine', required: true }),
        expunge: booleanParam({ description: 'If true is passed, the vm is expunged immediately. False by default.' }),
        volumeids: listParam({ description: 'Comma separated list of UUIDs for volumes that will be deleted' }),
      },
      response: virtualMachineResponse.fields,
      async handler({ id, expunge }, { principal }) {
        return accepted(await instances.destroy(callerOf(principal), id, { expunge }));
      },
    }),
    defineCommand({
      name: 'expungeVirtualMachine',
      description: 'Expunge a virtual machine. Once expunged, it cannot be recoverd.',
      roles: ALL_ROLES,
      isAsync: true,
      params: { id: uuidParam({ description: 'The ID of the virtual machine', required: true }) },
      response: successFields,
      async handler({ id }, { principal }) {
        return accepted(await instances.expunge(callerOf(principal), id));
      },
    }),
    defineCommand({
      name: 'recoverVirtualMachine',
      description: 'Recovers a virtual machine.',
      roles: ALL_ROLES,
      params: { id: uuidParam({ description: 'The ID of the virtual machine', required: true }) },
      response: virtualMachineResponse.fields,
      async handler({ id }, { principal }) {
        return single(virtualMachineResponse, await instances.recover(callerOf(principal), id));
      },
    }),
  ];
}
