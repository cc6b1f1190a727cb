import { defineExtension, type Extension } from '../../contract/extension.ts';
import { readConnection } from './config.ts';
import { create } from './create.ts';
import { reboot, start, status, statuses, stop } from './power.ts';
import { prepare } from './prepare.ts';
import { getconsole, remove } from './release.ts';

/**
 * The MAAS bare-metal extension: CloudStack instances are MAAS machines, claimed with `op=allocate` in
 * `prepare`, deployed and waited for in `create`, and released (with disk erase) in `delete`.
 */
export const maasExtension: Extension = defineExtension({
  name: 'maas',
  // Deployments take minutes; CloudStack passes its own timeout, this is only the fallback.
  defaultTimeoutSeconds: 3600,
  validate(_action, payload) {
    readConnection(payload);
  },
  handlers: { prepare, create, start, stop, reboot, status, statuses, delete: remove, getconsole },
});
