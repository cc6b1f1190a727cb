import { runExecutableMain } from '../contract/executable.ts';
import { hypervExtension } from '../extensions/hyperv/index.ts';

await runExecutableMain(hypervExtension);
