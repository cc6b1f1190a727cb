import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ClusterData } from './state.ts';

/**
 * The `--state FILE` format: the cluster data plus the token secret and password, so that a restarted
 * emulator keeps its VMs and its clients keep working. Written atomically and readable only by the owner
 * (it holds the secret).
 */
const snapshotSchema = z.object({
  name: z.string(),
  description: z.string(),
  snaptime: z.number(),
  vmstate: z.boolean(),
  parent: z.string().optional(),
  config: z.record(z.string(), z.string()),
  running: z.boolean(),
});

const stateFileSchema = z.object({
  format: z.literal('extorch-proxmox-emulator/1'),
  secret: z.string().min(1),
  password: z.string().min(1),
  cluster: z.object({
    nodes: z.array(z.string()).min(1),
    storages: z.array(z.object({ storage: z.string(), type: z.enum(['dir', 'lvmthin', 'rbd']), content: z.array(z.string()), shared: z.boolean(), totalBytes: z.number() })),
    volumes: z.array(
      z.object({
        volid: z.string(),
        storage: z.string(),
        node: z.string().optional(),
        content: z.enum(['images', 'iso', 'vztmpl', 'backup']),
        format: z.string(),
        sizeBytes: z.number(),
        vmid: z.number().optional(),
        ctime: z.number(),
      }),
    ),
    vms: z.array(
      z.object({
        vmid: z.number().int(),
        node: z.string(),
        config: z.record(z.string(), z.string()),
        status: z.enum(['running', 'stopped']),
        paused: z.boolean(),
        startedAt: z.number().optional(),
        pid: z.number().optional(),
        snapshots: z.array(snapshotSchema),
        parent: z.string().optional(),
      }),
    ),
  }),
});

export type StateFile = z.infer<typeof stateFileSchema>;

/** Reads a state file; undefined when it does not exist, an error when it is unreadable or malformed. */
export async function loadStateFile(path: string): Promise<StateFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`State file ${path} is not valid JSON`);
  }
  const parsed = stateFileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`State file ${path} is not an extorch Proxmox emulator state: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export async function saveStateFile(path: string, secret: string, password: string, cluster: ClusterData): Promise<void> {
  const content: StateFile = { format: 'extorch-proxmox-emulator/1', secret, password, cluster };
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
