import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.ts';
import type { InfrastructureServiceImpl } from '../infrastructure.ts';
import type { JobsServiceImpl } from '../jobs.ts';
import type { InstancesServiceImpl } from '../lifecycle/instances.ts';
import type { PowerSyncServiceImpl } from '../power-sync.ts';
import type { PowerReport } from '../services.ts';
import type { NodeInfo, NodeRegistry } from './nodes.ts';

/** What a node did in one round of its node loop. */
export interface NodeRound {
  /** Nodes found dead (lease run out) in this round. */
  readonly deadNodes: readonly string[];
  /** Resumable jobs of dead nodes this node claimed and resumed (the others it claimed are failed at once). */
  readonly jobsTakenOver: number;
}

/** This orchestrator as one node among several on a shared database (ADR 0064). */
export interface ClusterService {
  readonly nodeId: string;
  readonly nodeName: string;
  listNodes(): Promise<NodeInfo[]>;
  /** Uuids of the hosts this node sweeps (power sync, health checks) as membership stands now. */
  sweptHosts(): Promise<string[]>;
  /** Power sync of this node's hosts (what the power-sync loop runs). */
  syncPower(): Promise<PowerReport[]>;
  /** Health check of this node's hosts (what the host-health loop runs). */
  checkHostHealth(): Promise<Array<{ hostId: string; state: 'Up' | 'Down' }>>;
  /** Heartbeat, then take over what dead nodes left (what the node loop runs on its interval). */
  tick(): Promise<NodeRound>;
}

export class ClusterServiceImpl implements ClusterService {
  readonly #db: Kysely<Database>;
  readonly #node: NodeRegistry;
  readonly #jobs: JobsServiceImpl;
  readonly #instances: InstancesServiceImpl;
  readonly #powerSync: PowerSyncServiceImpl;
  readonly #infrastructure: InfrastructureServiceImpl;

  constructor(
    db: Kysely<Database>,
    node: NodeRegistry,
    services: { jobs: JobsServiceImpl; instances: InstancesServiceImpl; powerSync: PowerSyncServiceImpl; infrastructure: InfrastructureServiceImpl },
  ) {
    this.#db = db;
    this.#node = node;
    this.#jobs = services.jobs;
    this.#instances = services.instances;
    this.#powerSync = services.powerSync;
    this.#infrastructure = services.infrastructure;
  }

  get nodeId(): string {
    return this.#node.uuid;
  }

  get nodeName(): string {
    return this.#node.name;
  }

  listNodes(): Promise<NodeInfo[]> {
    return this.#node.list();
  }

  async sweptHosts(): Promise<string[]> {
    const sweeps = await this.#node.hostShare();
    const hosts = await this.#db.selectFrom('hosts').select(['id', 'uuid']).where('removed', 'is', null).orderBy('id').execute();
    return hosts.filter((host) => sweeps(host.id)).map((host) => host.uuid);
  }

  async syncPower(): Promise<PowerReport[]> {
    return this.#powerSync.syncAll(await this.#node.hostShare());
  }

  async checkHostHealth(): Promise<Array<{ hostId: string; state: 'Up' | 'Down' }>> {
    return this.#infrastructure.checkHostHealth(await this.#node.hostShare());
  }

  /** At start: what previous processes and dead nodes left, including instances stuck mid-transition. */
  async recoverAtStart(): Promise<void> {
    await this.#node.markDead();
    await this.#instances.resumePending(await this.#jobs.takeOverPending());
  }

  async tick(): Promise<NodeRound> {
    if (this.#jobs.closed) return { deadNodes: [], jobsTakenOver: 0 };
    await this.#node.heartbeat();
    const deadNodes = await this.#node.markDead();
    const taken = await this.#jobs.takeOverPending();
    // Instances stuck mid-transition can appear only when a node died; otherwise a look costs a scan for nothing.
    if (taken.length > 0 || deadNodes.length > 0) await this.#instances.resumePending(taken, { settleOrphans: deadNodes.length > 0 });
    return { deadNodes, jobsTakenOver: taken.length };
  }
}
