import type { Kysely, Selectable } from 'kysely';
import type { Database, HostsTable, InstancesTable } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';
import { notFound } from './errors.ts';
import type { InstancesServiceImpl } from './lifecycle/instances.ts';
import { parsePowerState, powerStateOf } from './lifecycle/payload.ts';
import type { PowerReport, PowerSyncService } from './services.ts';
import { mapBounded } from './support/concurrency.ts';
import { parseDetails } from './support/json.ts';
import type { InstanceState, PowerState } from './types.ts';

type InstanceRow = Selectable<InstancesTable>;

/** Ids per bulk update of confirmed reports (well under every database's parameter limit). */
const CONFIRM_BATCH = 500;

/** Whether a report drives a state transition (out-of-band start or stop). */
function changesState(state: string, reported: PowerState): boolean {
  return (reported === 'PowerOn' && state === 'Stopped') || (reported === 'PowerOff' && state === 'Running');
}

/** States in which an instance is expected to report, so a missing report means something. */
const EXPECTED_TO_REPORT: ReadonlySet<string> = new Set(['Running', 'Starting', 'Stopping']);

/**
 * Power-state synchronisation (orchestrator.md §7): per host, one `statuses` call, falling back to per-instance
 * `status` (bounded concurrency); out-of-band PowerOn/PowerOff transitions; `PowerReportMissing` after a grace
 * period. Instances with an operation in flight are left to that operation.
 */
export class PowerSyncServiceImpl implements PowerSyncService {
  readonly #context: ServiceContext;
  readonly #instances: InstancesServiceImpl;

  constructor(context: ServiceContext, instances: InstancesServiceImpl) {
    this.#context = context;
    this.#instances = instances;
  }

  get #db(): Kysely<Database> {
    return this.#context.db;
  }

  /** Every Up host, or those `sweeps` gives this node when several nodes share the database (ADR 0064). */
  async syncAll(sweeps: (hostId: number) => boolean = () => true): Promise<PowerReport[]> {
    const hosts = await this.#db.selectFrom('hosts').selectAll().where('removed', 'is', null).where('status', '=', 'Up').orderBy('id').execute();
    return Promise.all(hosts.filter((host) => sweeps(host.id)).map((host) => this.#syncHost(host)));
  }

  async syncHost(hostId: string): Promise<PowerReport> {
    const host = await this.#db.selectFrom('hosts').selectAll().where('uuid', '=', hostId).where('removed', 'is', null).executeTakeFirst();
    if (!host) throw notFound('host', hostId, 'hostid');
    return this.#syncHost(host);
  }

  async #syncHost(host: Selectable<HostsTable>): Promise<PowerReport> {
    const instances = await this.#instances.instancesOfHost(host.id);
    const report: PowerReport = { hostId: host.uuid, method: 'statuses', states: {}, transitions: [] };
    if (instances.length === 0) return report;
    const bulk = await this.#bulk(host, instances);
    let states: Map<number, PowerState | undefined>;
    let method: PowerReport['method'];
    if (bulk) {
      states = bulk;
      method = 'statuses';
    } else {
      method = 'status';
      const results = await mapBounded(instances, this.#context.policy.statusFallbackConcurrency, async (instance) => {
        const result = await this.#instances.invokeForHost(host, 'status', instance);
        return result ? parsePowerState(result.success, result.output) : 'PowerUnknown';
      });
      states = new Map(instances.map((instance, index) => [instance.id, results[index]]));
    }
    const transitions: PowerReport['transitions'] = [];
    // Most reports confirm what is stored: those only refresh the report time, in bulk.
    const confirmed: number[] = [];
    const now = this.#context.now().getTime();
    for (const instance of instances) {
      const reported = states.get(instance.id);
      report.states[instance.instance_name] = reported ?? 'PowerReportMissing';
      if (reported !== undefined && reported === instance.power_state && !changesState(instance.state, reported)) {
        if (!this.#instances.isBusy(instance.uuid)) confirmed.push(instance.id);
        continue;
      }
      if (reported === undefined) {
        const lastReport = instance.power_state_updated ? Date.parse(instance.power_state_updated) : 0;
        const due = EXPECTED_TO_REPORT.has(instance.state) && instance.power_state !== 'PowerReportMissing' && now - lastReport >= this.#context.timings.powerReportGraceMs;
        if (!due) continue;
      }
      const transition = await this.#instances.whenIdle(instance.uuid, () => this.#apply(host, instance.id, reported));
      if (transition) transitions.push(transition);
    }
    const stamp = this.#context.nowIso();
    for (let offset = 0; offset < confirmed.length; offset += CONFIRM_BATCH) {
      await this.#db.updateTable('instances').set({ power_state_updated: stamp }).where('id', 'in', confirmed.slice(offset, offset + CONFIRM_BATCH)).execute();
    }
    return { ...report, method, transitions };
  }

  /** One `statuses` call mapped to instances (by instance name, then `vm_name`); null = unsupported. */
  async #bulk(host: Selectable<HostsTable>, instances: readonly InstanceRow[]): Promise<Map<number, PowerState | undefined> | null> {
    const result = await this.#instances.invokeForHost(host, 'statuses');
    if (!result || !result.success) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.output);
    } catch {
      return null;
    }
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { status, power_state: powerStates } = parsed as { status?: unknown; power_state?: unknown };
    if (status !== 'success' || typeof powerStates !== 'object' || powerStates === null || Array.isArray(powerStates)) return null;
    const byName = new Map(Object.entries(powerStates as Record<string, unknown>).map(([name, state]) => [name, powerStateOf(state)]));
    return new Map(
      instances.map((instance) => {
        const vmName = parseDetails(instance.details)['External:vm_name'];
        const state = byName.get(instance.instance_name) ?? (vmName ? byName.get(vmName) : undefined);
        return [instance.id, state];
      }),
    );
  }

  async #apply(
    host: Selectable<HostsTable>,
    instanceId: number,
    reported: PowerState | undefined,
  ): Promise<PowerReport['transitions'][number] | undefined> {
    const instance = await this.#db.selectFrom('instances').selectAll().where('id', '=', instanceId).executeTakeFirst();
    if (!instance || instance.removed !== null) return undefined;
    const now = this.#context.now();
    const from = instance.state as InstanceState;
    const event = async (to: InstanceState, powerState: PowerState, description: string) => {
      await this.#context.recordEvent(null, { type: 'VM.POWER.STATE', description, outcome: 'success', resourceType: 'VirtualMachine', resourceId: instance.uuid, level: powerState === 'PowerReportMissing' ? 'WARN' : 'INFO' });
      return { instanceId: instance.uuid, from, to, powerState };
    };
    if (reported === undefined) {
      if (!EXPECTED_TO_REPORT.has(instance.state) || instance.power_state === 'PowerReportMissing') return undefined;
      const lastReport = instance.power_state_updated ? Date.parse(instance.power_state_updated) : 0;
      if (now.getTime() - lastReport < this.#context.timings.powerReportGraceMs) return undefined;
      await this.#db.updateTable('instances').set({ power_state: 'PowerReportMissing', power_state_updated: now.toISOString() }).where('id', '=', instance.id).execute();
      return event(from, 'PowerReportMissing', `Instance ${instance.instance_name} is missing from the power report of host ${host.name}`);
    }
    const changes: Partial<InstanceRow> = { power_state: reported, power_state_updated: now.toISOString() };
    let to: InstanceState = from;
    if (reported === 'PowerOn' && instance.state === 'Stopped') {
      to = 'Running';
      Object.assign(changes, { state: to, host_id: host.id, last_host_id: host.id });
    } else if (reported === 'PowerOff' && instance.state === 'Running') {
      to = 'Stopped';
      Object.assign(changes, { state: to, host_id: null, last_host_id: host.id });
    }
    await this.#db.updateTable('instances').set(changes).where('id', '=', instance.id).execute();
    if (to !== from) return event(to, reported, `Instance ${instance.instance_name} was powered ${reported === 'PowerOn' ? 'on' : 'off'} out of band on host ${host.name}: ${from} → ${to}`);
    if (instance.power_state !== reported && reported !== 'PowerUnknown') {
      await this.#context.recordEvent(null, { type: 'VM.POWER.STATE', description: `Instance ${instance.instance_name} reports ${reported}`, outcome: 'success', resourceType: 'VirtualMachine', resourceId: instance.uuid });
    }
    return undefined;
  }
}
