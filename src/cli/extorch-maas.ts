import { runExecutableMain } from '../contract/executable.ts';
import { maasExtension } from '../extensions/maas/index.ts';

await runExecutableMain(maasExtension);
