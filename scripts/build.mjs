// Bundles the command-line entry points into dist/. The extension executables are fully bundled so
// that a CloudStack management server can spawn them with a cold start close to a bare `node`;
// the main `extorch` command keeps its npm dependencies external (some are native modules).
import { build } from 'esbuild';
import { chmod, mkdir } from 'node:fs/promises';

const banner = {
  js: [
    '#!/usr/bin/env node',
    "import { createRequire as __extorchCreateRequire } from 'node:module';",
    'const require = __extorchCreateRequire(import.meta.url);',
  ].join('\n'),
};

/** Entry points: output name -> { source, bundleDependencies }. */
const entries = {
  'extorch': { source: 'src/cli/extorch.ts', bundleDependencies: false },
};

await mkdir('dist', { recursive: true });
await Promise.all(
  Object.entries(entries).map(async ([name, { source, bundleDependencies }]) => {
    const outfile = `dist/${name}.js`;
    await build({
      entryPoints: [source],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: bundleDependencies ? undefined : 'external',
      banner,
      sourcemap: false,
      minify: bundleDependencies,
      legalComments: 'none',
      logLevel: 'warning',
    });
    await chmod(outfile, 0o755);
  }),
);

// The web console (ui/, ADR 0080): a static single-page app that the API server serves at `/`.
const { build: buildConsole } = await import('vite');
await buildConsole({ configFile: 'ui/vite.config.ts' });
