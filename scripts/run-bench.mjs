// Runs every bench/*.bench.ts (TypeScript through tsx), one process each, one after another so that they
// do not disturb each other's timings. Usage: npm run bench [-- name-substring ...]. Build first (`npm run build`):
// benchmarks spawn the bundled executables from dist/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2);
const files = readdirSync('bench')
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();
if (files.length === 0) {
  console.error('no benchmark matched');
  process.exit(1);
}
let failed = false;
for (const file of files) {
  console.log(`\n# ${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join('bench', file)], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
