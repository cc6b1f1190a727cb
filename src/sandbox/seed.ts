// Seeds the sandbox the way an admin follows the documented workflow (orchestrator.md §19): a zone and pod,
// one External cluster per in-built extension (enabling Proxmox and HyperV first), its hosts with the
// emulators' connection details, templates, an offering and a VLAN network. Idempotent: every object is
// looked up by name first, so a restart adds nothing; host details are refreshed because the emulators
// listen on new ports (and Proxmox/WinRM present new self-signed certificates) after each start.
import { ISO_VOLID, TEMPLATE_VMID } from '../emulators/proxmox/state.ts';
import type { Orchestrator } from '../orchestrator/index.ts';
import type { DetailMap } from '../orchestrator/types.ts';
import type { SandboxEmulators } from './emulators.ts';

export const SANDBOX_NAMES = {
  zone: 'sandbox-zone',
  pod: 'sandbox-pod',
  offering: 'sandbox-small',
  networkOffering: 'sandbox-vlan-offering',
  network: 'sandbox-vlan-100',
  clusters: { Proxmox: 'proxmox-cluster', HyperV: 'hyperv-cluster', MaaS: 'maas-cluster' },
  templates: {
    proxmoxTemplate: 'proxmox-ubuntu-template',
    proxmoxIso: 'proxmox-ubuntu-iso',
    hypervTemplate: 'hyperv-ubuntu-template',
    hypervIso: 'hyperv-ubuntu-iso',
    maasUbuntu: 'maas-ubuntu-noble',
  },
  hypervHost: 'hyperv-emulator',
  maasHost: 'maas-emulator',
} as const;

export const SANDBOX_VLAN = 100;

/** What was seeded (or found), for the workflow tests and the printed summary. */
export interface SandboxInventory {
  readonly zoneId: string;
  readonly podId: string;
  readonly offeringId: string;
  readonly networkId: string;
  readonly extensionIds: Record<'Proxmox' | 'HyperV' | 'MaaS', string>;
  readonly clusterIds: Record<'Proxmox' | 'HyperV' | 'MaaS', string>;
  readonly templateIds: Record<keyof typeof SANDBOX_NAMES.templates, string>;
}

type ExtensionName = 'Proxmox' | 'HyperV' | 'MaaS';

/** Host external details for each in-built extension, from the running emulators. */
export function emulatorHostDetails(emulators: SandboxEmulators): { proxmox: Array<{ name: string; url: string; details: DetailMap }>; hyperv: DetailMap; maas: DetailMap } {
  const proxmox = emulators.proxmox;
  const hyperv = emulators.hyperv.readyInfo();
  const maas = emulators.maas.readyInfo();
  return {
    proxmox: proxmox.nodes.map((node) => ({
      name: node,
      url: proxmox.url,
      details: {
        url: proxmox.url,
        user: proxmox.user,
        token: proxmox.token,
        secret: proxmox.secret,
        node,
        network_bridge: 'vmbr0',
        // The emulator's certificate is self-signed: trust exactly it rather than switching verification off.
        tls_ca_certificate: proxmox.certificatePem,
      },
    })),
    hyperv: {
      url: hyperv.url,
      username: hyperv.username,
      password: hyperv.password,
      network_bridge: hyperv.network_bridge,
      vhd_path: hyperv.vhd_path,
      vm_path: hyperv.vm_path,
      // The Hyper-V extension has no CA detail (the reference's has none either); the emulator is self-signed.
      verify_tls_certificate: 'false',
    },
    maas: { endpoint: maas.endpoint, apikey: maas.apikey },
  };
}

/** Template external details per seeded template (orchestrator.md §19.2 `registerTemplate`). */
export function sandboxTemplateDetails(emulators: SandboxEmulators): Record<keyof typeof SANDBOX_NAMES.templates, { extension: ExtensionName; details: DetailMap }> {
  const hyperv = emulators.hyperv.readyInfo();
  return {
    proxmoxTemplate: { extension: 'Proxmox', details: { template_type: 'template', template_id: String(TEMPLATE_VMID) } },
    proxmoxIso: { extension: 'Proxmox', details: { template_type: 'iso', iso_path: ISO_VOLID, disk_size_gb: '8' } },
    hypervTemplate: { extension: 'HyperV', details: { template_type: 'template', template_path: hyperv.template_path, generation: '2' } },
    hypervIso: { extension: 'HyperV', details: { template_type: 'iso', iso_path: hyperv.iso_path, vhd_size_gb: '20', generation: '2' } },
    maasUbuntu: { extension: 'MaaS', details: { os: 'ubuntu', distro_series: 'noble' } },
  };
}

export async function seedSandbox(orchestrator: Orchestrator, emulators: SandboxEmulators): Promise<SandboxInventory> {
  const admin = await orchestrator.iam.systemAdmin();
  const { infrastructure, extensions, templates } = orchestrator;

  const extensionIds = {} as Record<ExtensionName, string>;
  for (const name of ['Proxmox', 'HyperV', 'MaaS'] as const) {
    const extension = (await extensions.listExtensions(admin, { name })).items[0];
    if (!extension) throw new Error(`The in-built extension ${name} is not seeded`);
    // Proxmox and HyperV wait for the admin to enable them (the documented first step).
    if (extension.state !== 'Enabled') await extensions.updateExtension(admin, extension.id, { state: 'Enabled' });
    extensionIds[name] = extension.id;
  }

  const zone = (await infrastructure.listZones(admin, { name: SANDBOX_NAMES.zone })).items[0] ?? (await infrastructure.createZone(admin, { name: SANDBOX_NAMES.zone, dns1: '8.8.8.8', internalDns1: '10.0.0.2' }));
  const pod = (await infrastructure.listPods(admin, { name: SANDBOX_NAMES.pod, zoneId: zone.id })).items[0] ?? (await infrastructure.createPod(admin, { name: SANDBOX_NAMES.pod, zoneId: zone.id }));

  const clusterIds = {} as Record<ExtensionName, string>;
  for (const name of ['Proxmox', 'HyperV', 'MaaS'] as const) {
    const clusterName = SANDBOX_NAMES.clusters[name];
    const existing = (await infrastructure.listClusters(admin, { name: clusterName, zoneId: zone.id })).items[0];
    clusterIds[name] = existing?.id ?? (await infrastructure.addCluster(admin, { name: clusterName, zoneId: zone.id, podId: pod.id, hypervisor: 'External', extensionId: extensionIds[name] })).id;
  }

  const hosts = emulatorHostDetails(emulators);
  const ensureHost = async (cluster: ExtensionName, name: string, url: string, details: DetailMap) => {
    const existing = (await infrastructure.listHosts(admin, { name, clusterId: clusterIds[cluster] })).items[0];
    if (existing) await infrastructure.updateHost(admin, existing.id, { externalDetails: details });
    else await infrastructure.addHost(admin, { zoneId: zone.id, podId: pod.id, clusterId: clusterIds[cluster], hypervisor: 'External', url, name, externalDetails: details });
  };
  for (const node of hosts.proxmox) await ensureHost('Proxmox', node.name, node.url, node.details);
  await ensureHost('HyperV', SANDBOX_NAMES.hypervHost, String(hosts.hyperv.url), hosts.hyperv);
  await ensureHost('MaaS', SANDBOX_NAMES.maasHost, String(hosts.maas.endpoint), hosts.maas);
  // Hosts whose emulator moved were Down at the last check: look again now that the details are fresh.
  await infrastructure.checkHostHealth();

  const templateIds = {} as Record<keyof typeof SANDBOX_NAMES.templates, string>;
  for (const [key, { extension, details }] of Object.entries(sandboxTemplateDetails(emulators)) as Array<[keyof typeof SANDBOX_NAMES.templates, { extension: ExtensionName; details: DetailMap }]>) {
    const name = SANDBOX_NAMES.templates[key];
    const existing = (await templates.listTemplates(admin, { name, templateFilter: 'all' })).items[0];
    templateIds[key] =
      existing?.id ??
      (await templates.registerTemplate(admin, { name, displayText: name, format: 'External', hypervisor: 'External', url: 'http://sandbox.invalid/unused', zoneId: zone.id, extensionId: extensionIds[extension], externalDetails: details, isPublic: true })).id;
  }

  const offering =
    (await infrastructure.listServiceOfferings(admin, { name: SANDBOX_NAMES.offering })).items[0] ??
    (await infrastructure.createServiceOffering(admin, { name: SANDBOX_NAMES.offering, displayText: '1 vCPU, 512 MB', cpuNumber: 1, cpuSpeed: 1000, memory: 512 }));
  const networkOffering =
    (await infrastructure.listNetworkOfferings(admin, { name: SANDBOX_NAMES.networkOffering })).items[0] ??
    (await infrastructure.createNetworkOffering(admin, { name: SANDBOX_NAMES.networkOffering, displayText: 'VLAN guest network', guestIpType: 'Isolated', specifyVlan: true }));
  const network =
    (await infrastructure.listNetworks(admin, { name: SANDBOX_NAMES.network, zoneId: zone.id })).items[0] ??
    (await infrastructure.createNetwork(admin, { name: SANDBOX_NAMES.network, zoneId: zone.id, networkOfferingId: networkOffering.id, vlan: SANDBOX_VLAN, gateway: '10.1.100.1', netmask: '255.255.255.0' }));

  return { zoneId: zone.id, podId: pod.id, offeringId: offering.id, networkId: network.id, extensionIds, clusterIds, templateIds };
}

