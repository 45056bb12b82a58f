// Bundles the CLI with esbuild: one entry for oclif's runtime, one for the explicit command map,
// shared code split into chunks, heavy modules loaded lazily inside run(). See TOOLING.md.
import {build} from 'esbuild'
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {precompiledDocumentCheck} from './precompiled-check.mjs'

rmSync('dist', {recursive: true, force: true})
await build({
  entryPoints: {cli: 'src/cli.ts', commands: 'src/commands.ts'},
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Native addon and dev-only loaders stay outside the bundle.
  external: ['better-sqlite3', 'typescript', 'ts-node', 'tsx'],
  // oclif is CommonJS inside an ESM bundle: give it require/__filename/__dirname.
  banner: {
    js: [
      "import {createRequire as __sovaCreateRequire} from 'node:module';",
      "import {fileURLToPath as __sovaFileURLToPath} from 'node:url';",
      "import {dirname as __sovaDirname} from 'node:path';",
      'const require = __sovaCreateRequire(import.meta.url);',
      'const __filename = __sovaFileURLToPath(import.meta.url);',
      'const __dirname = __sovaDirname(__filename);',
    ].join('\n'),
  },
  minify: process.env.SOVA_BUILD_DEBUG ? false : true,
  logLevel: 'warning',
  // The document's checker, compiled from the schema here rather than at every start.
  plugins: [precompiledDocumentCheck(join(import.meta.dirname, '..'))],
})
