// Zones, pods, clusters, hosts, service offerings, network offerings and networks.
import type { Orchestrator } from '../../orchestrator/index.ts';
import { ApiError, ApiErrorCode } from '../errors.ts';
import { callerOf } from '../orchestrator-adapters.ts';
import { booleanParam, enumParam, integerParam, listParam, mapParam, stringParam, uuidParam } from '../params.ts';
import { ADMIN_ONLY, ALL_ROLES, defineCommand, type AnyCommand } from '../registry.ts';
import { successFields } from '../response-fields.ts';
import {
  clusterResponse,
  hostResponse,
  networkOfferingResponse,
  networkResponse,
  podResponse,
  serviceOfferingResponse,
  zoneResponse,
} from '../responses/catalog.ts';
import { listed, listOfOne, listOptions, single, SUCCESS } from './shared.ts';

export function infrastructureCommands(orchestrator: Orchestrator): AnyCommand[] {
  const infra = orchestrator.infrastructure;
  return [
    defineCommand({
      name: 'listZones',
      description: 'Lists zones',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'the ID of the zone' }),
        name: stringParam({ description: 'the name of the zone' }),
        available: booleanParam({ description: 'true if you want to retrieve all available Zones. False if you only want to return the Zones from which you have at least one VM. Default is false.' }),
        showcapacities: booleanParam({ description: 'flag to display the capacity of the zones' }),
      },
      response: zoneResponse.fields,
      async handler({ id, name, keyword }, { principal, paging }) {
        return listed(zoneResponse, await infra.listZones(callerOf(principal), { id, name, ...listOptions(paging, keyword) }));
      },
    }),
    defineCommand({
      name: 'createZone',
      description: 'Creates a Zone.',
      roles: ADMIN_ONLY,
      params: {
        name: stringParam({ description: 'the name of the Zone', required: true }),
        networktype: enumParam({ description: 'network type of the zone, can be Basic or Advanced', required: true, values: ['Basic', 'Advanced'], caseInsensitive: true }),
        dns1: stringParam({ description: 'the first DNS for the Zone', required: true }),
        dns2: stringParam({ description: 'the second DNS for the Zone' }),
        internaldns1: stringParam({ description: 'the first internal DNS for the Zone', required: true }),
        internaldns2: stringParam({ description: 'the second internal DNS for the Zone' }),
        guestcidraddress: stringParam({ description: 'the guest CIDR address for the Zone' }),
        description: stringParam({ description: 'the description of the Zone' }),
        localstorageenabled: booleanParam({ description: 'true if local storage offering enabled, false otherwise' }),
      },
      response: zoneResponse.fields,
      async handler(p, { principal }) {
        const zone = await infra.createZone(callerOf(principal), {
          name: p.name,
          networkType: p.networktype,
          dns1: p.dns1,
          dns2: p.dns2,
          internalDns1: p.internaldns1,
          internalDns2: p.internaldns2,
          guestCidrAddress: p.guestcidraddress,
          description: p.description,
        });
        return single(zoneResponse, zone);
      },
    }),
    defineCommand({
      name: 'deleteZone',
      description: 'Deletes a Zone.',
      roles: ADMIN_ONLY,
      params: { id: uuidParam({ description: 'the ID of the Zone', required: true }) },
      response: successFields,
      async handler({ id }, { principal }) {
        await infra.deleteZone(callerOf(principal), id);
        return SUCCESS;
      },
    }),
    defineCommand({
      name: 'listPods',
      description: 'Lists all Pods.',
      roles: ADMIN_ONLY,
      list: true,
      params: {
        id: uuidParam({ description: 'list Pods by ID' }),
        name: stringParam({ description: 'list Pods by name' }),
        zoneid: uuidParam({ description: 'list Pods by Zone ID' }),
      },
      response: podResponse.fields,
      async handler({ id, name, zoneid, keyword }, { principal, paging }) {
        return listed(podResponse, await infra.listPods(callerOf(principal), { id, name, zoneId: zoneid, ...listOptions(paging, keyword) }));
      },
    }),
    defineCommand({
      name: 'createPod',
      description: 'Creates a new Pod.',
      roles: ADMIN_ONLY,
      params: {
        name: stringParam({ description: 'the name of the Pod', required: true }),
        zoneid: uuidParam({ description: 'the Zone ID in which the Pod will be created', required: true }),
        gateway: stringParam({ description: 'the gateway for the Pod' }),
        netmask: stringParam({ description: 'the netmask for the Pod' }),
        startip: stringParam({ description: 'the starting IP address for the Pod' }),
        endip: stringParam({ description: 'the ending IP address for the Pod' }),
      },
      response: podResponse.fields,
      async handler(p, { principal }) {
        const pod = await infra.createPod(callerOf(principal), { name: p.name, zoneId: p.zoneid, gateway: p.gateway, netmask: p.netmask, startIp: p.startip, endIp: p.endip });
        return single(podResponse, pod);
      },
    }),
    defineCommand({
      name: 'deletePod',
      description: 'Deletes a Pod.',
      roles: ADMIN_ONLY,
      params: { id: uuidParam({ description: 'the ID of the Pod', required: true }) },
      response: successFields,
      async handler({ id }, { principal }) {
        await infra.deletePod(callerOf(principal), id);
        return SUCCESS;
      },
    }),
    defineCommand({
      name: 'listClusters',
      description: 'Lists clusters.',
      roles: ADMIN_ONLY,
      list: true,
      params: {
        id: uuidParam({ description: 'lists clusters by the cluster ID' }),
        name: stringParam({ description: 'lists clusters by the cluster name' }),
        zoneid: uuidParam({ description: 'lists clusters by Zone ID' }),
        podid: uuidParam({ description: 'lists clusters by Pod ID' }),
        hypervisor: stringParam({ description: 'lists clusters by hypervisor type' }),
        extensionid: uuidParam({ description: 'lists clusters registered with the extension', since: '4.21.0' }),
      },
      response: clusterResponse.fields,
      async handler(p, { principal, paging }) {
        const page = await infra.listClusters(callerOf(principal), {
          id: p.id,
          name: p.name,
          zoneId: p.zoneid,
          podId: p.podid,
          hypervisor: p.hypervisor,
          extensionId: p.extensionid,
          ...listOptions(paging, p.keyword),
        });
        return listed(clusterResponse, page);
      },
    }),
    defineCommand({
      name: 'addCluster',
      description: 'Adds a new cluster',
      roles: ADMIN_ONLY,
      params: {
        clustername: stringParam({ description: 'the cluster name', required: true }),
        clustertype: stringParam({ description: 'type of the cluster: CloudManaged, ExternalManaged', required: true }),
        hypervisor: stringParam({ description: 'hypervisor type of the cluster: XenServer,KVM,VMware,Hyperv,BareMetal,Simulator,Ovm3,External', required: true }),
        podid: uuidParam({ description: 'the Pod ID for the host', required: true }),
        zoneid: uuidParam({ description: 'the Zone ID for the cluster', required: true }),
        extensionid: uuidParam({ description: 'UUID of the extension', since: '4.21.0' }),
        externaldetails: mapParam({ description: 'Details in key/value pairs to be added to the extension-resource mapping. Use the format externaldetails[i].<key>=<value>. Example: externaldetails[0].endpoint.url=https://example.com', since: '4.21.0' }),
        allocationstate: stringParam({ description: 'Allocation state of this cluster for allocation of new resources' }),
      },
      response: clusterResponse.fields,
      async handler(p, { principal }) {
        const cluster = await infra.addCluster(callerOf(principal), {
          name: p.clustername,
          zoneId: p.zoneid,
          podId: p.podid,
          hypervisor: p.hypervisor,
          clusterType: p.clustertype,
          extensionId: p.extensionid,
          externalDetails: p.externaldetails,
        });
        return listOfOne(clusterResponse, cluster);
      },
    }),
    defineCommand({
      name: 'deleteCluster',
      description: 'Deletes a cluster.',
      roles: ADMIN_ONLY,
      params: { id: uuidParam({ description: 'the cluster ID', required: true }) },
      response: successFields,
      async handler({ id }, { principal }) {
        await infra.deleteCluster(callerOf(principal), id);
        return SUCCESS;
      },
    }),
    defineCommand({
      name: 'listHosts',
      description: 'Lists hosts.',
      roles: ADMIN_ONLY,
      list: true,
      params: {
        id: uuidParam({ description: 'the id of the host' }),
        name: stringParam({ description: 'the name of the host' }),
        zoneid: uuidParam({ description: 'the Zone ID for the host' }),
        podid: uuidParam({ description: 'the Pod ID for the host' }),
        clusterid: uuidParam({ description: 'lists hosts existing in particular cluster' }),
        state: stringParam({ description: 'the state of the host' }),
        type: stringParam({ description: 'the host type' }),
        hypervisor: stringParam({ description: 'hypervisor type of host: XenServer,KVM,VMware,Hyperv,BareMetal,Simulator,External' }),
      },
      response: hostResponse.fields,
      async handler(p, { principal, paging }) {
        const page = await infra.listHosts(callerOf(principal), {
          id: p.id,
          name: p.name,
          zoneId: p.zoneid,
          podId: p.podid,
          clusterId: p.clusterid,
          state: p.state,
          ...listOptions(paging, p.keyword),
        });
        // External hosts are all `Routing` hosts on the External hypervisor; other filters match nothing.
        const foreign = (p.type !== undefined && p.type !== 'Routing') || (p.hypervisor !== undefined && p.hypervisor !== 'External');
        return listed(hostResponse, foreign ? { items: [], count: 0 } : page);
      },
    }),
    defineCommand({
      name: 'addHost',
      description: 'Adds a new host.',
      roles: ADMIN_ONLY,
      params: {
        hypervisor: stringParam({ description: 'hypervisor type of the host', required: true }),
        podid: uuidParam({ description: 'the Pod ID for the host', required: true }),
        url: stringParam({ description: 'the host URL', required: true }),
        zoneid: uuidParam({ description: 'the Zone ID for the host', required: true }),
        clusterid: uuidParam({ description: 'the cluster ID for the host' }),
        clustername: stringParam({ description: 'the cluster name for the host' }),
        username: stringParam({ description: 'the username for the host; required to be passed for hypervisors other than VMWare' }),
        password: stringParam({ description: 'the password for the host; required to be passed for hypervisors other than VMWare' }),
        hosttags: listParam({ description: 'list of tags to be added to the host' }),
        externaldetails: mapParam({ description: 'Details in key/value pairs using format externaldetails[i].keyname=keyvalue. Example: externaldetails[0].endpoint.url=urlvalue', since: '4.21.0' }),
      },
      response: hostResponse.fields,
      async handler(p, { principal }) {
        const caller = callerOf(principal);
        let clusterId = p.clusterid;
        if (clusterId === undefined && p.clustername !== undefined) {
          clusterId = (await infra.listClusters(caller, { name: p.clustername, zoneId: p.zoneid })).items[0]?.id;
        }
        if (clusterId === undefined) {
          throw new ApiError(ApiErrorCode.parameterError, 'Unable to execute API command addhost due to missing parameter clusterid');
        }
        // username/password are CloudStack's host credentials; External hosts keep theirs in externaldetails.
        const host = await infra.addHost(caller, {
          zoneId: p.zoneid,
          podId: p.podid,
          clusterId,
          hypervisor: p.hypervisor,
          url: p.url,
          hostTags: p.hosttags,
          externalDetails: p.externaldetails,
        });
        return listOfOne(hostResponse, host);
      },
    }),
    defineCommand({
      name: 'updateHost',
      description: 'Updates a host.',
      roles: ADMIN_ONLY,
      params: {
        id: uuidParam({ description: 'the ID of the host to update', required: true }),
        name: stringParam({ description: 'the new name of the host' }),
        hosttags: listParam({ description: 'list of tags to be added to the host' }),
        allocationstate: enumParam({ description: 'Change resource state of host, valid values are [Enable, Disable]', values: ['Enable', 'Disable'], caseInsensitive: true }),
        externaldetails: mapParam({ description: 'Details in key/value pairs using format externaldetails[i].keyname=keyvalue.', since: '4.21.0' }),
        cleanupexternaldetails: booleanParam({ description: 'Optional boolean field, which indicates if external details should be cleaned up or not', since: '4.22.0' }),
      },
      response: hostResponse.fields,
      async handler(p, { principal }) {
        const host = await infra.updateHost(callerOf(principal), p.id, {
          name: p.name,
          hostTags: p.hosttags,
          resourceState: p.allocationstate === undefined ? undefined : p.allocationstate === 'Enable' ? 'Enabled' : 'Disabled',
          externalDetails: p.externaldetails,
          cleanupExternalDetails: p.cleanupexternaldetails,
        });
        return single(hostResponse, host);
      },
    }),
    defineCommand({
      name: 'deleteHost',
      description: 'Deletes a host.',
      roles: ADMIN_ONLY,
      params: {
        id: uuidParam({ description: 'the host ID', required: true }),
        forced: booleanParam({ description: 'Force delete the host.' }),
      },
      response: successFields,
      async handler({ id }, { principal }) {
        await infra.deleteHost(callerOf(principal), id);
        return SUCCESS;
      },
    }),
    defineCommand({
      name: 'listServiceOfferings',
      description: 'Lists all available service offerings.',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'ID of the service offering' }),
        name: stringParam({ description: 'name of the service offering' }),
        issystem: booleanParam({ description: 'is this a system vm offering' }),
      },
      response: serviceOfferingResponse.fields,
      async handler({ id, name, issystem, keyword }, { principal, paging }) {
        if (issystem) return { type: 'list', name: serviceOfferingResponse.name, items: [], count: 0 };
        return listed(serviceOfferingResponse, await infra.listServiceOfferings(callerOf(principal), { id, name, ...listOptions(paging, keyword) }));
      },
    }),
    defineCommand({
      name: 'createServiceOffering',
      description: 'Creates a service offering.',
      roles: ADMIN_ONLY,
      params: {
        name: stringParam({ description: 'the name of the service offering', required: true }),
        displaytext: stringParam({ description: 'The display text of the service offering, defaults to \'name\'.' }),
        cpunumber: integerParam({ description: 'the CPU number of the service offering' }),
        cpuspeed: integerParam({ description: 'the CPU speed of the service offering in MHz.' }),
        memory: integerParam({ description: 'the total memory of the service offering in MB' }),
        hosttags: stringParam({ description: 'the host tag for this service offering.' }),
        externaldetails: mapParam({ description: 'Details in key/value pairs using format externaldetails[i].keyname=keyvalue. Example: externaldetails[0].endpoint.url=urlvalue', since: '4.21.0' }),
      },
      response: serviceOfferingResponse.fields,
      async handler(p, { principal }) {
        const offering = await infra.createServiceOffering(callerOf(principal), {
          name: p.name,
          displayText: p.displaytext ?? p.name,
          cpuNumber: p.cpunumber ?? 1,
          cpuSpeed: p.cpuspeed ?? 1000,
          memory: p.memory ?? 512,
          hostTags: p.hosttags,
          externalDetails: p.externaldetails,
        });
        return single(serviceOfferingResponse, offering);
      },
    }),
    defineCommand({
      name: 'deleteServiceOffering',
      description: 'Deletes a service offering.',
      roles: ADMIN_ONLY,
      params: { id: uuidParam({ description: 'the ID of the service offering', required: true }) },
      response: successFields,
      async handler({ id }, { principal }) {
        await infra.deleteServiceOffering(callerOf(principal), id);
        return SUCCESS;
      },
    }),
    defineCommand({
      name: 'listNetworkOfferings',
      description: 'Lists all available network offerings.',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'list network offerings by ID' }),
        name: stringParam({ description: 'list network offerings by name' }),
      },
      response: networkOfferingResponse.fields,
      async handler({ id, name, keyword }, { principal, paging }) {
        return listed(networkOfferingResponse, await infra.listNetworkOfferings(callerOf(principal), { id, name, ...listOptions(paging, keyword) }));
      },
    }),
    defineCommand({
      name: 'createNetworkOffering',
      description: 'Creates a network offering.',
      roles: ADMIN_ONLY,
      params: {
        name: stringParam({ description: 'the name of the network offering', required: true }),
        displaytext: stringParam({ description: 'the display text of the network offering, defaults to the value of \'name\'.' }),
        guestiptype: enumParam({ description: 'guest type of the network offering: Shared, Isolated or L2', required: true, values: ['L2', 'Isolated', 'Shared'], caseInsensitive: true }),
        traffictype: enumParam({ description: 'the traffic type for the network offering. Supported type in current release is GUEST only', required: true, values: ['Guest'], caseInsensitive: true }),
        specifyvlan: booleanParam({ description: 'true if network offering supports vlans' }),
        supportedservices: listParam({ description: 'services supported by the network offering' }),
      },
      response: networkOfferingResponse.fields,
      async handler(p, { principal }) {
        const offering = await infra.createNetworkOffering(callerOf(principal), {
          name: p.name,
          displayText: p.displaytext ?? p.name,
          guestIpType: p.guestiptype,
          specifyVlan: p.specifyvlan,
        });
        return single(networkOfferingResponse, offering);
      },
    }),
    defineCommand({
      name: 'listNetworks',
      description: 'Lists all available networks.',
      roles: ALL_ROLES,
      list: true,
      params: {
        id: uuidParam({ description: 'list networks by ID' }),
        name: stringParam({ description: 'list networks by name' }),
        zoneid: uuidParam({ description: 'the zone ID of the network' }),
        account: stringParam({ description: 'list resources by account. Must be used with the domainId parameter.' }),
        domainid: uuidParam({ description: 'list only resources belonging to the domain specified' }),
        listall: booleanParam({ description: 'If set to false, list only resources belonging to the command\'s caller; if set to true - list resources that the caller is authorized to see. Default value is false' }),
      },
      response: networkResponse.fields,
      async handler({ id, name, zoneid, keyword }, { principal, paging }) {
        return listed(networkResponse, await infra.listNetworks(callerOf(principal), { id, name, zoneId: zoneid, ...listOptions(paging, keyword) }));
      },
    }),
    defineCommand({
      name: 'createNetwork',
      description: 'Creates a network',
      roles: ALL_ROLES,
      params: {
        name: stringParam({ description: 'the name of the network', required: true }),
        displaytext: stringParam({ description: 'the display text of the network' }),
        networkofferingid: uuidParam({ description: 'the network offering ID', required: true }),
        zoneid: uuidParam({ description: 'the zone ID for the network', required: true }),
        vlan: stringParam({ description: 'the ID or VID of the network' }),
        gateway: stringParam({ description: 'the gateway of the network. Required for shared networks and isolated networks when it belongs to VPC' }),
        netmask: stringParam({ description: 'the netmask of the network. Required for shared networks and isolated networks when it belongs to VPC' }),
        dns1: stringParam({ description: 'the first IPv4 DNS for the network' }),
        dns2: stringParam({ description: 'the second IPv4 DNS for the network' }),
      },
      response: networkResponse.fields,
      async handler(p, { principal }) {
        const vlan = p.vlan === undefined ? undefined : parseVlan(p.vlan);
        const network = await infra.createNetwork(callerOf(principal), {
          name: p.name,
          displayText: p.displaytext,
          zoneId: p.zoneid,
          networkOfferingId: p.networkofferingid,
          vlan,
          gateway: p.gateway,
          netmask: p.netmask,
          dns1: p.dns1,
          dns2: p.dns2,
        });
        return single(networkResponse, network);
      },
    }),
    defineCommand({
      name: 'deleteNetwork',
      description: 'Deletes a network',
      roles: ALL_ROLES,
      isAsync: true,
      params: { id: uuidParam({ description: 'the ID of the network', required: true }), forced: booleanParam({ description: 'Force delete a network.' }) },
      response: successFields,
      async handler({ id }, { principal, jobs, command }) {
        const jobid = await jobs.submit({
          command,
          principal,
          instanceType: 'Network',
          instanceId: id,
          run: async () => {
            await infra.deleteNetwork(callerOf(principal), id);
            return { success: true };
          },
        });
        return { type: 'job', jobid };
      },
    }),
  ];
}

/** `vlan=100` or `vlan=vlan://100` → 100; the domain checks the range. */
function parseVlan(text: string): number {
  const match = /^(?:vlan:\/\/)?(\d+)$/i.exec(text.trim());
  if (!match) throw new ApiError(ApiErrorCode.parameterError, `Unable to execute API command createnetwork due to invalid value ${text} for parameter vlan`);
  return Number(match[1]);
}
