import { Command } from 'commander';
import { registerEmulateCommand } from './emulate.ts';

const program = new Command('extorch')
  .description('Orchestrator for external hypervisors, compatible with Apache CloudStack extensions')
  .showHelpAfterError();

registerEmulateCommand(program);

await program.parseAsync(process.argv);
