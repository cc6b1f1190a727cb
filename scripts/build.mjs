// Bundles the command-line entry points into dist/. The extension executables are fully bundled so
// that a CloudStack management server can spawn them with a cold start close to a bare `node`;
// the main `extorch` command keeps its npm dependencies external (some are native modules).
import { build } from 'esbuild';
import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';

const banner = {
  js: [
    '#!/usr/bin/env node',
    "import { createRequire as __extorchCreateRequire } from 'node:module';",
    'const require = __extorchCreateRequire(import.meta.url);',
  ].join('\n'),
};

/**
 * zod registers every locale it ships under `z.locales` (about 260 KB, more than half of an executable's
 * bundle). Messages are English only (zod loads `locales/en.js` itself), so bundled executables get a
 * `locales` namespace holding just `en`: a smaller file and a faster cold start.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}node_modules${sep}zod${sep}`)
        ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-english-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      loader: 'js',
      resolveDir: dirname(args.path),
    }));
  },
};

/** Entry points: output name -> { source, bundleDependencies }. */
const entries = {
  'extorch': { source: 'src/cli/extorch.ts', bundleDependencies: false },
  'extorch-proxmox': { source: 'src/cli/extorch-proxmox.ts', bundleDependencies: true },
  'extorch-maas': { source: 'src/cli/extorch-maas.ts', bundleDependencies: true },
  'extorch-hyperv': { source: 'src/cli/extorch-hyperv.ts', bundleDependencies: true },
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
      plugins: bundleDependencies ? [zodEnglishOnly] : [],
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
