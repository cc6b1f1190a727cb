import { Command } from 'commander';
import { registerEmulateCommand } from './emulate.ts';
import { registerSandboxCommand } from './sandbox.ts';
import { registerServeCommand } from './serve.ts';

const program = new Command('extorch')
  .description('Orchestrator for external hypervisors, compatible with Apache CloudStack extensions')
  .showHelpAfterError();

registerEmulateCommand(program);
registerServeCommand(program);
registerSandboxCommand(program);

await program.parseAsync(process.argv);
