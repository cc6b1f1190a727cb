import { randomBytes } from 'node:crypto';
import { NodeStatus } from './status.ts';

/** One physical interface of an emulated machine. */
export interface EmulatedInterface {
  readonly id: number;
  readonly name: string;
  readonly mac: string;
  readonly vid: number;
  readonly fabric: string;
  readonly cidr: string;
  readonly ip: string;
}

export interface EmulatedMachine {
  readonly id: number;
  readonly systemId: string;
  hostname: string;
  description: string;
  cpuCount: number;
  /** MiB, as MAAS reports `memory`. */
  memory: number;
  architecture: string;
  storageMb: number;
  powerType: string;
  status: number;
  statusMessage: string;
  powerState: 'on' | 'off' | 'unknown' | 'error';
  owner: string | null;
  /** The token that allocated the machine (`list_allocated` filters by token, not user). */
  allocatedTokenKey: string | null;
  agentName: string;
  osystem: string;
  distroSeries: string;
  hweKernel: string | null;
  userData: string | null;
  tagNames: string[];
  pool: string;
  zone: string;
  locked: boolean;
  /** Whether the last `op=release` asked for a disk erase (inspection for tests; MAAS logs it as an event). */
  lastReleaseErase: boolean | null;
  interfaces: EmulatedInterface[];
}

export interface EmulatedUser {
  readonly username: string;
  readonly email: string;
  readonly isSuperuser: boolean;
}

export interface EmulatedToken {
  readonly consumerKey: string;
  readonly tokenKey: string;
  readonly tokenSecret: string;
  readonly username: string;
}

export const DOMAIN_NAME = 'maas';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A MAAS-like system id: six lower-case letters and digits. */
export function newSystemId(taken: ReadonlySet<string>): string {
  for (;;) {
    const bytes = randomBytes(6);
    const id = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
    if (!taken.has(id) && /[a-z]/.test(id[0]!)) return id;
  }
}

/** API key parts the way MAAS makes them: 18-character keys, a 32-character secret. */
export function newToken(username: string): EmulatedToken {
  const word = (length: number) => [...randomBytes(length)].map((b) => 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'[b % 56]).join('');
  return { consumerKey: word(18), tokenKey: word(18), tokenSecret: word(32), username };
}

const ADJECTIVES = ['able', 'brave', 'calm', 'eager', 'fair', 'glad', 'keen', 'noble', 'proud', 'quick', 'sharp', 'tidy', 'vivid', 'warm', 'witty', 'bold'];
const ANIMALS = ['ant', 'bat', 'cod', 'eel', 'fox', 'gnu', 'hen', 'jay', 'koi', 'lynx', 'mole', 'newt', 'owl', 'pug', 'ram', 'yak'];

/** A petname like MAAS gives new machines (`calm-cod`), made unique with a number when needed. */
export function petName(index: number): string {
  const adjective = ADJECTIVES[index % ADJECTIVES.length]!;
  const animal = ANIMALS[Math.floor(index / ADJECTIVES.length) % ANIMALS.length]!;
  const round = Math.floor(index / (ADJECTIVES.length * ANIMALS.length));
  return round === 0 ? `${adjective}-${animal}` : `${adjective}-${animal}-${round}`;
}

function mac(index: number, nic: number): string {
  const bytes = [0x52, 0x54, 0x00, (index >> 8) & 0xff, index & 0xff, nic & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export interface MachineSpec {
  readonly hostname?: string;
  readonly cpuCount?: number;
  readonly memory?: number;
  readonly architecture?: string;
  readonly tagNames?: readonly string[];
  readonly pool?: string;
  readonly zone?: string;
  readonly interfaces?: number;
  readonly status?: number;
}

/** Default hardware: a few sizes in turn so that CPU/RAM constraints have something to choose from. */
const SIZES = [
  { cpuCount: 4, memory: 8192 },
  { cpuCount: 8, memory: 16384 },
  { cpuCount: 16, memory: 65536 },
  { cpuCount: 2, memory: 4096 },
] as const;

export function makeMachine(index: number, systemId: string, spec: MachineSpec = {}): EmulatedMachine {
  const size = SIZES[index % SIZES.length]!;
  const nicCount = spec.interfaces ?? 2;
  const interfaces: EmulatedInterface[] = Array.from({ length: nicCount }, (_, nic) => ({
    id: index * 10 + nic + 1,
    name: `eno${nic + 1}`,
    mac: mac(index + 1, nic + 1),
    vid: 0,
    fabric: `fabric-${nic}`,
    cidr: `10.${20 + nic}.0.0/16`,
    ip: `10.${20 + nic}.${Math.floor((index + 10) / 250)}.${((index + 10) % 250) + 1}`,
  }));
  return {
    id: index + 1,
    systemId,
    hostname: spec.hostname ?? petName(index),
    description: '',
    cpuCount: spec.cpuCount ?? size.cpuCount,
    memory: spec.memory ?? size.memory,
    architecture: spec.architecture ?? 'amd64/generic',
    storageMb: 500_107.86,
    powerType: 'ipmi',
    status: spec.status ?? NodeStatus.READY,
    statusMessage: '',
    powerState: 'off',
    owner: null,
    allocatedTokenKey: null,
    agentName: '',
    osystem: '',
    distroSeries: '',
    hweKernel: null,
    userData: null,
    tagNames: [...(spec.tagNames ?? [])],
    pool: spec.pool ?? 'default',
    zone: spec.zone ?? 'default',
    locked: false,
    lastReleaseErase: null,
    interfaces,
  };
}
