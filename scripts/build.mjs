// Bundles the CLI with esbuild: one entry for oclif's runtime, one for the explicit command map
// (stand-ins that import each command when it runs), one for the real command classes (read once
// here, for oclif.manifest.json), shared code split into chunks, heavy modules loaded lazily inside
// run(). See TOOLING.md.
import {build} from 'esbuild'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {precompiledDocumentCheck} from './precompiled-check.mjs'

const ROOT = join(import.meta.dirname, '..')
const MANIFEST = join(ROOT, 'oclif.manifest.json')

rmSync('dist', {recursive: true, force: true})
rmSync(MANIFEST, {force: true})
await build({
  entryPoints: {cli: 'src/cli.ts', commands: 'src/commands-lazy.ts', 'command-classes': 'src/commands.ts'},
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
  plugins: [precompiledDocumentCheck(ROOT)],
})

// What oclif knows of every command without loading it (help, the command list, did-you-mean,
// completion): its manifest, from the real classes. oclif reads it at every start; the stand-ins
// of dist/commands.js load only the command that runs.
const {Config} = await import('@oclif/core')
const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
pjson.oclif.commands = {...pjson.oclif.commands, target: './dist/command-classes.js'}
const config = await Config.load({root: ROOT, pjson})
const manifest = config.getPluginsList().find((plugin) => plugin.isRoot).manifest
if (!manifest.commands.score || manifest.commands.score.flags.policy === undefined) throw new Error('build: the manifest lacks the commands or their flags')
writeFileSync(MANIFEST, JSON.stringify(manifest) + '\n')
