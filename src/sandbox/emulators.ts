// The three emulators of the sandbox, each keeping its state in a file under the sandbox directory so that
// a restart finds the VMs, checkpoints and machines it left (the emulators save on close).
import { join } from 'node:path';
import { startHyperVEmulator, type HyperVEmulator } from '../emulators/hyperv/index.ts';
import { startMaasEmulator, type MaasEmulator } from '../emulators/maas/index.ts';
import { startProxmoxEmulator, type ProxmoxEmulator } from '../emulators/proxmox/index.ts';

/** How long emulated work takes: visible to a human in the sandbox, zero in tests and benches. */
export interface EmulatorTiming {
  readonly proxmoxTaskMs: number;
  readonly maasStepMs: number;
}

export const INTERACTIVE_TIMING: EmulatorTiming = { proxmoxTaskMs: 300, maasStepMs: 500 };
export const ZERO_TIMING: EmulatorTiming = { proxmoxTaskMs: 0, maasStepMs: 0 };

/** One Proxmox node holds the template and the ISO, so every Proxmox host can deploy both. */
export const SANDBOX_PROXMOX_NODES = ['pve1'];
export const SANDBOX_MAAS_MACHINES = 4;

export interface SandboxEmulators {
  readonly proxmox: ProxmoxEmulator;
  readonly hyperv: HyperVEmulator;
  readonly maas: MaasEmulator;
  close(): Promise<void>;
}

/** Each emulator's ready information (URL and credentials), as `extorch emulate <name> --json` prints it. */
export interface EmulatorConnections {
  readonly proxmox: ReturnType<ProxmoxEmulator['readyInfo']>;
  readonly hyperv: ReturnType<HyperVEmulator['readyInfo']>;
  readonly maas: ReturnType<MaasEmulator['readyInfo']>;
}

export function emulatorConnections(emulators: SandboxEmulators): EmulatorConnections {
  return { proxmox: emulators.proxmox.readyInfo(), hyperv: emulators.hyperv.readyInfo(), maas: emulators.maas.readyInfo() };
}

export const EMULATOR_STATE_FILES = {
  proxmox: 'proxmox-emulator.json',
  hyperv: 'hyperv-emulator.json',
  maas: 'maas-emulator.json',
} as const;

/** Starts the emulators on loopback (any free port); `stateDirectory` absent = no persistence. */
export async function startSandboxEmulators(options: { stateDirectory?: string; timing: EmulatorTiming }): Promise<SandboxEmulators> {
  const stateFile = (name: keyof typeof EMULATOR_STATE_FILES) => (options.stateDirectory ? { stateFile: join(options.stateDirectory, EMULATOR_STATE_FILES[name]) } : {});
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const proxmox = await startProxmoxEmulator({ nodes: SANDBOX_PROXMOX_NODES, taskDurationMs: options.timing.proxmoxTaskMs, ...stateFile('proxmox') });
    started.push(proxmox);
    const hyperv = await startHyperVEmulator({ ...stateFile('hyperv') });
    started.push(hyperv);
    const maas = await startMaasEmulator({ machines: SANDBOX_MAAS_MACHINES, stepMs: options.timing.maasStepMs, ...stateFile('maas') });
    started.push(maas);
    return {
      proxmox,
      hyperv,
      maas,
      async close() {
        await Promise.all(started.map((emulator) => emulator.close()));
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((emulator) => emulator.close()));
    throw error;
  }
}
