// Vite configuration of the web console. `npm run build` builds it into ui/dist (scripts/build.mjs); during
// development `npx vite ui` serves it with /client/api proxied to an extorch API on port 8080.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  server: { proxy: { '/client': 'http://127.0.0.1:8080' } },
  logLevel: 'warn',
});
