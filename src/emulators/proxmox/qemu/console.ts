import { randomBytes } from 'node:crypto';
import type { ApiContext } from '../api-types.ts';
import { flag, num, str } from '../api-types.ts';
import { TaskFailure } from '../errors.ts';
import { nowSeconds } from '../state.ts';
import { sleepTaskDuration, startTask } from './shared.ts';

/** VNC proxy ports cycle through 5900–5999 like `next_vnc_port`; nothing actually listens on them. */
let nextVncPort = 5900;

/** Printable characters ('!'..'`') as qemu-server's generated VNC passwords use. */
function vncPassword(): string {
  return [...randomBytes(8)].map((byte) => String.fromCharCode((byte & 0x3f) + 33)).join('');
}

export function vncProxy(context: ApiContext): unknown {
  const { cluster, params } = context;
  const node = str(params, 'node')!;
  const vmid = num(params, 'vmid')!;
  cluster.vmOnNode(node, vmid);
  const port = nextVncPort;
  nextVncPort = nextVncPort >= 5999 ? 5900 : nextVncPort + 1;
  const ticket = `PVEVNC:${nowSeconds().toString(16).toUpperCase().padStart(8, '0')}::${randomBytes(96).toString('base64')}`;
  // The real worker waits 10 s for a viewer to connect; no viewer ever connects to the emulator.
  const upid = startTask(context, node, 'vncproxy', String(vmid), async (task) => {
    await sleepTaskDuration(task);
    task.failIfInjected();
    throw new TaskFailure('connection timed out');
  });
  const password = flag(params, 'generate-password') ? vncPassword() : undefined;
  return { user: context.authId, ticket, port, upid, cert: context.certificatePem, ...(password ? { password } : {}) };
}
