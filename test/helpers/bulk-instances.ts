// Bulk seeding for the benches and tests that need thousands of instances: rows go straight into the store in
// batches, because deploying them one by one through the orchestrator takes minutes (~20 deploys/s on a loaded
// machine) and only the reads are being exercised.
import { randomUUID } from 'node:crypto';
import type { DatabaseConfig } from '../../src/store/config.ts';
import { openDatabase, sql } from '../../src/store/database.ts';
import { SecretBox } from '../../src/orchestrator/support/crypto.ts';

/** Rows per INSERT: well under SQLite's 32,766 bound variables with 18 columns a row. */
const BATCH = 500;

export interface InsertInstancesOptions {
  /** The orchestrator's secrets key (VNC passwords are stored sealed with it). */
  secretsKey: string;
  /** Receives every instance name (with its power state) so a stand-in extension can report it. */
  known?: Map<string, string>;
  /** Gives every instance one default NIC on this network (by UUID), as a deploy would. */
  networkId?: string;
  /** Details of the n-th instance (e.g. the `proxmox_vmid` its `prepare` would have recorded). */
  detailsOf?: (n: number) => Record<string, string>;
}

/** What was inserted, so a bench can give each instance its VM on an emulated host. */
export interface InsertedInstance {
  readonly uuid: string;
  readonly name: string;
  /** The name of the instance's host (null when the store has no host). */
  readonly hostName: string | null;
}

/**
 * Inserts `count` Running instances owned by `admin`, spread round-robin over the hosts, using the first
 * zone, template and service offering of the store at `config` (set up beforehand through the orchestrator).
 */
export async function insertInstances(config: DatabaseConfig, count: number, options: InsertInstancesOptions): Promise<InsertedInstance[]> {
  const store = await openDatabase(config);
  const insertedInstances: InsertedInstance[] = [];
  try {
    const hosts = await store.db.selectFrom('hosts').select(['id', 'name']).orderBy('id').execute();
    const template = await store.db.selectFrom('templates').select('id').executeTakeFirstOrThrow();
    const offering = await store.db.selectFrom('service_offerings').select('id').executeTakeFirstOrThrow();
    const zone = await store.db.selectFrom('zones').select('id').executeTakeFirstOrThrow();
    const user = await store.db.selectFrom('users').select(['id', 'account_id']).where('username', '=', 'admin').executeTakeFirstOrThrow();
    const network = options.networkId === undefined
      ? undefined
      : await store.db.selectFrom('networks').select('id').where('uuid', '=', options.networkId).executeTakeFirstOrThrow();
    const vnc = new SecretBox(options.secretsKey).seal('bench-vnc');
    const now = new Date().toISOString();
    for (let offset = 0; offset < count; offset += BATCH) {
      const rows = Array.from({ length: Math.min(BATCH, count - offset) }, (_, i) => {
        const n = offset + i;
        const name = `i-${user.account_id}-b${n}-VM`;
        options.known?.set(name, 'poweron');
        const host = hosts[n % hosts.length];
        const uuid = randomUUID();
        insertedInstances.push({ uuid, name, hostName: host?.name ?? null });
        return {
          uuid,
          name,
          display_name: name,
          instance_name: name,
          state: 'Running',
          power_state: 'PowerOn',
          power_state_updated: now,
          zone_id: zone.id,
          host_id: host?.id ?? null,
          last_host_id: host?.id ?? null,
          template_id: template.id,
          service_offering_id: offering.id,
          account_id: user.account_id,
          user_id: user.id,
          vnc_password: vnc,
          details: JSON.stringify(options.detailsOf?.(n) ?? {}),
          created: now,
          removed: null,
        };
      });
      const inserted = await store.db.insertInto('instances').values(rows).returning('id').execute();
      if (network) {
        const nics = inserted.map(({ id }, i) => ({
          uuid: randomUUID(),
          instance_id: id,
          network_id: network.id,
          device_id: 0,
          mac: macAddress(offset + i),
          ip: ipAddress(offset + i),
          ip6: null,
          is_default: 1,
          created: now,
        }));
        await store.db.insertInto('nics').values(nics).execute();
      }
    }
    // A running PostgreSQL has fresh statistics and visibility maps (autovacuum, which index-only scans rely on);
    // after a bulk load they must be made.
    if (store.dialect === 'postgres') await sql`vacuum analyze`.execute(store.db);
  } finally {
    await store.close();
  }
  return insertedInstances;
}

function macAddress(n: number): string {
  const bytes = [0x1e, 0x00, (n >> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** Addresses in 10.0.0.0/16 from 10.0.1.0 up (the benches' networks are /16 with the gateway at 10.0.0.1). */
function ipAddress(n: number): string {
  const host = 256 + n;
  return `10.0.${(host >> 8) & 0xff}.${host & 0xff}`;
}
