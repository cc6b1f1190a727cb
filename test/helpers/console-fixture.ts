// What the console's end-to-end tests and the UI benchmark deploy into, and the console has no screen for: a
// zone and pod, a compute offering and a shared guest network (VLAN 1577, usable by every account). Both
// harnesses (the spawned `extorch sandbox` and the in-process one) seed it the same way: through the signed API.
import { listed, type SignedClient } from './signed-client.ts';

export const CONSOLE_FIXTURE = {
  zone: 'zone1',
  pod: 'pod1',
  offering: 'small',
  networkOffering: 'shared',
  network: 'guest-vlan-1577',
  vlan: 1577,
} as const;

export interface ConsoleFixture {
  readonly zoneId: string;
  readonly zoneName: string;
  readonly podId: string;
  readonly offeringId: string;
  readonly networkId: string;
}

function idOf(response: Record<string, unknown>, key: string): string {
  const object = response[key] as { id?: unknown } | undefined;
  if (typeof object?.id !== 'string') throw new Error(`No ${key} id in the response`);
  return object.id;
}

export async function seedConsoleFixture(api: SignedClient): Promise<ConsoleFixture> {
  const zoneId = idOf(await api.call('createZone', { name: CONSOLE_FIXTURE.zone, networktype: 'Advanced', dns1: '8.8.8.8', internaldns1: '10.0.0.2' }), 'zone');
  const podId = idOf(await api.call('createPod', { name: CONSOLE_FIXTURE.pod, zoneid: zoneId }), 'pod');
  const offeringId = idOf(await api.call('createServiceOffering', { name: CONSOLE_FIXTURE.offering, displaytext: 'Small: 1 CPU, 512 MB', cpunumber: '1', cpuspeed: '1000', memory: '512' }), 'serviceoffering');
  const networkOfferingId = idOf(await api.call('createNetworkOffering', { name: CONSOLE_FIXTURE.networkOffering, displaytext: 'Shared guest network', guestiptype: 'Shared', traffictype: 'Guest' }), 'networkoffering');
  const networkId = idOf(
    await api.call('createNetwork', {
      name: CONSOLE_FIXTURE.network,
      zoneid: zoneId,
      networkofferingid: networkOfferingId,
      vlan: String(CONSOLE_FIXTURE.vlan),
      // A /22: room for the 1,000 instances of bench/ui.bench.ts.
      gateway: '10.1.0.1',
      netmask: '255.255.252.0',
    }),
    'network',
  );
  return { zoneId, zoneName: CONSOLE_FIXTURE.zone, podId, offeringId, networkId };
}

/** The id of an extension by name (the in-built ones are always there). */
export async function extensionId(api: SignedClient, name: string): Promise<string> {
  const extension = listed(await api.call('listExtensions', { name }), 'extension')[0];
  if (typeof extension?.id !== 'string') throw new Error(`No extension named ${name}`);
  return extension.id;
}
