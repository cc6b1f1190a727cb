import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';

describe('extorch emulate maas', () => {
  it('prints one JSON line with endpoint and apikey once ready, serves N machines, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['dist/extorch.js', 'emulate', 'maas', '--port', '0', '--machines', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout! });
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
      });
      const ready = JSON.parse(line) as { endpoint: string; apikey: string };
      assert.match(ready.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(ready.apikey, /^[^:]+:[^:]+:[^:]+$/);
      const version = await fetch(`${ready.endpoint}/MAAS/api/2.0/version/`);
      assert.equal(version.status, 200);
      const state = (await (await fetch(`${ready.endpoint}/_emulator/state`)).json()) as { machines: Array<{ statusName: string }> };
      assert.deepEqual(state.machines.map((m) => m.statusName), ['Ready', 'Ready', 'Ready']);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
  });
});
