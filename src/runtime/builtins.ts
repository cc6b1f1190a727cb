// Wires the in-built extensions into the orchestrator: in-process by default (same Extension objects the
// bundled executables wrap), or — per extension — as the bundled executable installed at the path CloudStack
// seeds (`<extensions root>/Proxmox/proxmox.sh`), which the orchestrator then runs through the argv contract.
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Extension } from '../contract/extension.ts';
import { hypervExtension } from '../extensions/hyperv/index.ts';
import { maasExtension } from '../extensions/maas/index.ts';
import { proxmoxExtension } from '../extensions/proxmox/index.ts';
import type { BuiltinExtensions } from '../orchestrator/index.ts';

export type BuiltinName = 'Proxmox' | 'HyperV' | 'MaaS';
export const BUILTIN_NAMES: readonly BuiltinName[] = ['Proxmox', 'HyperV', 'MaaS'];

const IN_PROCESS: Record<BuiltinName, Extension> = { Proxmox: proxmoxExtension, HyperV: hypervExtension, MaaS: maasExtension };

/** Where CloudStack's seed puts each in-built entry point, relative to the extensions root (orchestrator.md §12). */
export const BUILTIN_ENTRY_PATHS: Record<BuiltinName, string> = {
  Proxmox: 'Proxmox/proxmox.sh',
  HyperV: 'HyperV/hyperv.py',
  MaaS: 'MaaS/maas.py',
};

/** The bundled executable of each in-built extension (`dist/<file>`). */
const BUNDLED_EXECUTABLES: Record<BuiltinName, string> = {
  Proxmox: 'extorch-proxmox.js',
  HyperV: 'extorch-hyperv.js',
  MaaS: 'extorch-maas.js',
};

export interface BuiltinWiringOptions {
  /** In-built extensions to run as their bundled executable instead of in-process. */
  readonly asExecutable?: readonly BuiltinName[];
}

/** The `builtinExtensions` map for `createOrchestrator`: every in-built extension not run as an executable. */
export function builtinExtensions(options: BuiltinWiringOptions = {}): BuiltinExtensions {
  const wired: Partial<Record<BuiltinName, Extension>> = {};
  for (const name of BUILTIN_NAMES) {
    if (options.asExecutable?.includes(name)) continue;
    wired[name] = IN_PROCESS[name];
  }
  return wired;
}

/**
 * The `dist/` directory holding the bundled executables: next to this module once bundled into
 * `dist/extorch.js`, else `<package root>/dist` when running from source (tests, benches).
 */
export function bundledExecutablesDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [here, resolve(here, '..', '..', 'dist')];
  const found = candidates.find((candidate) => existsSync(join(candidate, BUNDLED_EXECUTABLES.Proxmox)));
  if (!found) throw new Error(`The bundled extension executables are missing (looked in ${candidates.join(', ')}); run \`npm run build\``);
  return found;
}

/** Single-quoted for /bin/sh: the only character needing care inside single quotes is the quote itself. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Installs a two-line launcher at the seeded entry path of each named in-built extension, so the orchestrator
 * finds an executable there (as an operator copying the bundled file would). Returns the paths written.
 */
export async function installBundledExecutables(extensionsRoot: string, names: readonly BuiltinName[]): Promise<string[]> {
  if (names.length === 0) return [];
  const distDirectory = bundledExecutablesDirectory();
  const written: string[] = [];
  for (const name of names) {
    const target = join(extensionsRoot, BUILTIN_ENTRY_PATHS[name]);
    await mkdir(dirname(target), { recursive: true });
    const script = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(join(distDirectory, BUNDLED_EXECUTABLES[name]))} "$@"\n`;
    await writeFile(target, script, { mode: 0o755 });
    await chmod(target, 0o755);
    written.push(target);
  }
  return written;
}
