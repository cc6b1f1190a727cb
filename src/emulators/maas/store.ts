import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { makeMachine, newSystemId, newToken, type EmulatedMachine, type EmulatedToken, type EmulatedUser, type MachineSpec } from './model.ts';
import { canTransition, NodeStatus, statusName } from './status.ts';

/** An error MAAS answers as plain text (or a JSON dict of field errors for form validation). */
export class MaasHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string | Record<string, string[]>,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

/** Timing knobs of the state machine (milliseconds). 0 moves on at the next turn of the event loop. */
export interface StepTimes {
  /** Deploying → Deployed (or Failed deployment). */
  deployMs: number;
  /** Releasing → Ready (or → Disk erasing when erasing). */
  releaseMs: number;
  /** Disk erasing → Ready. */
  eraseMs: number;
  /** Delay before a power action shows in `power_state`. */
  powerMs: number;
}

export interface EmulatorConfig extends StepTimes {
  /** `true` fails every deployment; a list fails those system ids. */
  failDeployments: boolean | string[];
  /** Fails the next N deployments, whichever machines they are on. */
  failNextDeployments: number;
}

export function stepTimes(stepMs: number): StepTimes {
  return { deployMs: stepMs, releaseMs: stepMs, eraseMs: stepMs, powerMs: 0 };
}

interface PersistedState {
  readonly users: EmulatedUser[];
  readonly tokens: EmulatedToken[];
  readonly machines: EmulatedMachine[];
  readonly config?: Partial<EmulatorConfig>;
}

export const DEFAULT_USERNAME = 'extorch';

/** Distro series with boot images in the emulated region (osystem/series, as MAAS lists them). */
export const AVAILABLE_RELEASES = ['ubuntu/focal', 'ubuntu/jammy', 'ubuntu/noble', 'centos/centos8-stream', 'rhel/8'] as const;
export const DEFAULT_OSYSTEM = 'ubuntu';
export const DEFAULT_DISTRO_SERIES = 'jammy';

/**
 * The whole emulated region: users and their API tokens, machines, and the node status machine with timers.
 * Everything runs on one thread, so each API operation is atomic, as MAAS's per-request transaction is.
 */
export class MaasStore {
  users = new Map<string, EmulatedUser>();
  tokens = new Map<string, EmulatedToken>();
  machines = new Map<string, EmulatedMachine>();
  config: EmulatorConfig;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #initialMachineCount: number;

  constructor(machineCount: number, config: EmulatorConfig) {
    this.config = config;
    this.#initialMachineCount = machineCount;
  }

  /** Fresh state: the default user with one token, and N Ready machines. Keeps the given token when resetting. */
  seed(keep?: EmulatedToken): EmulatedToken {
    this.cancelTimers();
    this.users.clear();
    this.tokens.clear();
    this.machines.clear();
    this.addUser(DEFAULT_USERNAME, false);
    const token = keep ?? newToken(DEFAULT_USERNAME);
    this.tokens.set(token.tokenKey, token);
    this.addMachines(this.#initialMachineCount);
    return token;
  }

  load(path: string): boolean {
    let state: PersistedState;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as PersistedState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new Error(`Cannot load MAAS emulator state from ${path}: ${(error as Error).message}`);
    }
    this.users = new Map(state.users.map((user) => [user.username, user]));
    this.tokens = new Map(state.tokens.map((token) => [token.tokenKey, token]));
    this.machines = new Map(state.machines.map((machine) => [machine.systemId, machine]));
    this.config = { ...this.config, ...state.config };
    // Transitions in flight when the state was saved finish now, as a restarted region would pick them up.
    for (const machine of this.machines.values()) this.#resumeTransition(machine);
    return true;
  }

  async save(path: string): Promise<void> {
    const state: PersistedState = { users: [...this.users.values()], tokens: [...this.tokens.values()], machines: [...this.machines.values()], config: this.config };
    await writeFile(path, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  }

  addUser(username: string, isSuperuser: boolean): EmulatedUser {
    const user = { username, email: `${username}@example.com`, isSuperuser };
    this.users.set(username, user);
    return user;
  }

  addToken(username: string): EmulatedToken {
    if (!this.users.has(username)) throw new Error(`No user named '${username}'`);
    const token = newToken(username);
    this.tokens.set(token.tokenKey, token);
    return token;
  }

  addMachines(count: number, spec: MachineSpec = {}): EmulatedMachine[] {
    const taken = new Set(this.machines.keys());
    const hostnames = new Set([...this.machines.values()].map((m) => m.hostname));
    const added: EmulatedMachine[] = [];
    let index = this.machines.size;
    for (let i = 0; i < count; i += 1) {
      const systemId = newSystemId(taken);
      taken.add(systemId);
      let machine = makeMachine(index, systemId, spec);
      while (hostnames.has(machine.hostname)) machine = makeMachine((index += 1), systemId, { ...spec, hostname: undefined });
      hostnames.add(machine.hostname);
      this.machines.set(systemId, machine);
      added.push(machine);
      index += 1;
    }
    return added;
  }

  userOf(token: EmulatedToken): EmulatedUser {
    return this.users.get(token.username) ?? { username: token.username, email: '', isSuperuser: false };
  }

  /** MAAS without RBAC: a non-admin sees and edits unowned machines and their own; admins see all. */
  canAccess(user: EmulatedUser, machine: EmulatedMachine): boolean {
    return user.isSuperuser || machine.owner === null || machine.owner === user.username;
  }

  /** The machine for an API call: 404 when unknown, 403 when another user owns it. */
  machineFor(user: EmulatedUser, systemId: string): EmulatedMachine {
    const machine = this.machines.get(systemId);
    if (!machine) throw new MaasHttpError(404, 'No Machine matches the given query.');
    if (!this.canAccess(user, machine)) throw new MaasHttpError(403, '');
    return machine;
  }

  // ---- state machine ----

  #move(machine: EmulatedMachine, to: number, message: string): void {
    if (machine.status !== to && !canTransition(machine.status, to)) {
      throw new Error(`emulator bug: ${statusName(machine.status)} → ${statusName(to)} is not a MAAS transition`);
    }
    machine.status = to;
    machine.statusMessage = message;
  }

  #schedule(machine: EmulatedMachine, delayMs: number, step: () => void): void {
    this.#cancel(machine.systemId);
    const timer = setTimeout(() => {
      this.#timers.delete(machine.systemId);
      step();
    }, delayMs);
    this.#timers.set(machine.systemId, timer);
  }

  #cancel(systemId: string): void {
    const timer = this.#timers.get(systemId);
    if (timer) clearTimeout(timer);
    this.#timers.delete(systemId);
  }

  cancelTimers(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #setPower(machine: EmulatedMachine, state: 'on' | 'off'): void {
    if (this.config.powerMs <= 0) {
      machine.powerState = state;
      return;
    }
    setTimeout(() => {
      if (this.machines.get(machine.systemId) === machine) machine.powerState = state;
    }, this.config.powerMs).unref();
  }

  #resumeTransition(machine: EmulatedMachine): void {
    if (machine.status === NodeStatus.DEPLOYING) this.#schedule(machine, this.config.deployMs, () => this.#finishDeployment(machine));
    else if (machine.status === NodeStatus.RELEASING) this.#schedule(machine, this.config.releaseMs, () => this.#finishRelease(machine, false));
    else if (machine.status === NodeStatus.DISK_ERASING) this.#schedule(machine, this.config.eraseMs, () => this.#finishRelease(machine, false));
  }

  allocate(machine: EmulatedMachine, token: EmulatedToken, agentName: string): void {
    this.#move(machine, NodeStatus.ALLOCATED, `From 'Ready' to 'Allocated' (to ${token.username})`);
    machine.owner = token.username;
    machine.allocatedTokenKey = token.tokenKey;
    machine.agentName = agentName;
  }

  deploy(machine: EmulatedMachine, token: EmulatedToken, options: { osystem: string; distroSeries: string; userData: string | null; hweKernel: string | null }): void {
    const user = this.userOf(token);
    if (machine.status === NodeStatus.READY && machine.owner === null) this.allocate(machine, token, machine.agentName);
    if (machine.owner !== null && machine.owner !== user.username && !user.isSuperuser) {
      throw new MaasHttpError(409, "Can't allocate a machine belonging to another user.");
    }
    if (machine.status !== NodeStatus.ALLOCATED) {
      throw new MaasHttpError(409, `Can't deploy a machine that is in the '${statusName(machine.status)}' state`);
    }
    machine.osystem = options.osystem;
    machine.distroSeries = options.distroSeries;
    machine.userData = options.userData;
    machine.hweKernel = options.hweKernel ?? 'ga-22.04';
    this.#move(machine, NodeStatus.DEPLOYING, 'Deploying');
    this.#setPower(machine, 'on');
    this.#schedule(machine, this.config.deployMs, () => this.#finishDeployment(machine));
  }

  #deploymentFails(machine: EmulatedMachine): boolean {
    if (this.config.failNextDeployments > 0) {
      this.config.failNextDeployments -= 1;
      return true;
    }
    const { failDeployments } = this.config;
    return failDeployments === true || (Array.isArray(failDeployments) && failDeployments.includes(machine.systemId));
  }

  #finishDeployment(machine: EmulatedMachine): void {
    if (machine.status !== NodeStatus.DEPLOYING) return;
    if (this.#deploymentFails(machine)) {
      this.#move(machine, NodeStatus.FAILED_DEPLOYMENT, 'Installation failed (refer to the installation log for more information).');
      machine.powerState = 'off';
      return;
    }
    this.#move(machine, NodeStatus.DEPLOYED, 'Deployed');
  }

  /** `op=release`: no-op when already Ready or releasing; 409 from states MAAS cannot release. */
  release(machine: EmulatedMachine, erase: boolean): void {
    if (machine.status === NodeStatus.READY || machine.status === NodeStatus.RELEASING || machine.status === NodeStatus.DISK_ERASING) return;
    const releasable: readonly number[] = [NodeStatus.ALLOCATED, NodeStatus.DEPLOYED, NodeStatus.DEPLOYING, NodeStatus.FAILED_DEPLOYMENT, NodeStatus.FAILED_DISK_ERASING, NodeStatus.FAILED_RELEASING];
    if (!releasable.includes(machine.status)) {
      throw new MaasHttpError(409, `Machine cannot be released in its current state ('${statusName(machine.status)}').`);
    }
    this.#cancel(machine.systemId);
    machine.lastReleaseErase = erase;
    this.#move(machine, NodeStatus.RELEASING, 'Releasing');
    this.#setPower(machine, 'off');
    this.#schedule(machine, this.config.releaseMs, () => this.#finishRelease(machine, erase));
  }

  #finishRelease(machine: EmulatedMachine, erase: boolean): void {
    if (erase && machine.status === NodeStatus.RELEASING) {
      this.#move(machine, NodeStatus.DISK_ERASING, 'Disk erasing');
      // Erasing boots the machine into an ephemeral environment.
      machine.powerState = 'on';
      this.#schedule(machine, this.config.eraseMs, () => this.#finishRelease(machine, false));
      return;
    }
    if (machine.status !== NodeStatus.RELEASING && machine.status !== NodeStatus.DISK_ERASING) return;
    this.#move(machine, NodeStatus.READY, 'Released');
    machine.owner = null;
    machine.allocatedTokenKey = null;
    machine.agentName = '';
    machine.osystem = '';
    machine.distroSeries = '';
    machine.hweKernel = null;
    machine.userData = null;
    machine.powerState = 'off';
  }

  /** `op=abort`: stops a deployment (back to Allocated) or a disk erase (Failed disk erasing). */
  abort(machine: EmulatedMachine): void {
    if (machine.status === NodeStatus.DEPLOYING) {
      this.#cancel(machine.systemId);
      this.#move(machine, NodeStatus.ALLOCATED, 'Aborted deployment');
      this.#setPower(machine, 'off');
      return;
    }
    if (machine.status === NodeStatus.DISK_ERASING) {
      this.#cancel(machine.systemId);
      this.#move(machine, NodeStatus.FAILED_DISK_ERASING, 'Aborted disk erasing');
      this.#setPower(machine, 'off');
      return;
    }
    throw new MaasHttpError(409, `Node cannot be aborted in its current state ('${statusName(machine.status)}').`);
  }

  powerOn(machine: EmulatedMachine): void {
    if (machine.owner === null) throw new MaasHttpError(409, "Can't start node: it hasn't been allocated.");
    this.#setPower(machine, 'on');
  }

  powerOff(machine: EmulatedMachine): void {
    this.#setPower(machine, 'off');
  }
}

export function defaultConfig(stepMs: number): EmulatorConfig {
  return { ...stepTimes(stepMs), failDeployments: false, failNextDeployments: 0 };
}
