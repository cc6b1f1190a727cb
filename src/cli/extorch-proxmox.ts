import { runExecutableMain } from '../contract/executable.ts';
import { proxmoxExtension } from '../extensions/proxmox/index.ts';
await runExecutableMain(proxmoxExtension);
