import { Command } from 'commander';

const program = new Command('extorch')
  .description('Orchestrator for external hypervisors, compatible with Apache CloudStack extensions')
  .showHelpAfterError();

await program.parseAsync(process.argv);
