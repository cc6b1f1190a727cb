import { constants } from 'node:fs';
import { access, chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { invalidParameter } from '../errors.ts';

/** CloudStack's `Extension.getDirectoryName`: unsafe characters → `_`, lower case. */
export function directoryName(name: string): string {
  return name.replace(/[^a-zA-Z0-9._-]/g, '_').toLowerCase();
}

/** Sub-directories allowed below the extension's own directory (extension-contract.md §2.2). */
const MAX_NESTED_DIRECTORIES = 2;

/**
 * The relative entry-point path of a user-defined extension, by CloudStack's rules, plus a rejection of `..`
 * and empty segments (CloudStack lets `x/../y` through; confining the path is the safe superset).
 */
export function validatedRelativePath(extensionName: string, path: string | undefined): string {
  const dir = directoryName(extensionName);
  if (path === undefined || path.trim() === '') return `${dir}/${dir}.sh`;
  let normalised = path.trim().replace(/\\/g, '/').replace(/^\/+/, '');
  if (normalised === dir) normalised = `${dir}/${dir}`;
  if (!normalised.startsWith(`${dir}/`)) normalised = `${dir}/${normalised}`;
  const segments = normalised.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.' || segment === '')) {
    throw invalidParameter('Entry point path must not contain "..", "." or empty segments', 'path');
  }
  if (segments.length - 1 > MAX_NESTED_DIRECTORIES + 1) {
    throw invalidParameter('Entry point path cannot be nested more than two sub-directories deep', 'path');
  }
  return normalised;
}

/** The absolute path of `relativePath` under `root`, refusing anything that would leave `root`. */
export function confinedPath(root: string, relativePath: string): string {
  const absoluteRoot = resolve(root);
  const target = resolve(absoluteRoot, relativePath);
  const rel = relative(absoluteRoot, target);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw invalidParameter('Entry point path must stay under the extensions root', 'path');
  }
  return target;
}

/** CloudStack's "checked path": a regular, readable, executable file. */
export async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.R_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * extorch's own scaffold for a new user-defined `.sh` entry point (CloudStack copies its base
 * `provisioner.sh`): answers every lifecycle action with success, `status` with poweron, and refuses
 * `statuses` so the orchestrator falls back to per-instance `status`.
 */
const SCAFFOLD = `#!/bin/sh
# Scaffold written by extorch for a new extension. Replace it with your implementation.
# Contract: <this file> <action> <payload.json> <timeout seconds>; print JSON; exit 0 on success.
action="$1"
if [ -z "$action" ] || [ -z "$2" ]; then echo '{"error":"Missing arguments"}'; exit 1; fi
case "$action" in
  prepare) exit 0 ;;
  create|delete|start|stop|reboot) echo "{\\"status\\":\\"success\\",\\"message\\":\\"$action done\\"}" ;;
  status) echo '{"status":"success","power_state":"poweron"}' ;;
  statuses) echo '{"status":"error","message":"Not supported"}' ;;
  *) echo '{"error":"Invalid action"}'; exit 1 ;;
esac
`;

/** Writes the scaffold when a `.sh` entry point does not exist yet (CloudStack's "prepare path"). */
export async function scaffoldEntryPoint(path: string): Promise<void> {
  if (!path.endsWith('.sh')) return;
  try {
    await stat(path);
    return;
  } catch {
    // missing: write it below
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFile(path, SCAFFOLD, { mode: 0o755, flag: 'wx' }).catch(() => undefined);
  await chmod(path, 0o755).catch(() => undefined);
}
