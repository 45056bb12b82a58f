// Bundles the CLI with esbuild: one entry for oclif's runtime, one for the explicit command map
// (stand-ins that import each command when it runs), one for the real command classes (read once
// here, for oclif.manifest.json), shared code split into chunks, heavy modules loaded lazily inside
// run(). See TOOLING.md.
import {build} from 'esbuild'
import {spawnSync} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {precompiledDocumentCheck} from './precompiled-check.mjs'

const ROOT = join(import.meta.dirname, '..')
const MANIFEST = join(ROOT, 'oclif.manifest.json')

rmSync('dist', {recursive: true, force: true})
rmSync(MANIFEST, {force: true})
const BANNER = [
  "import {createRequire as __sovaCreateRequire} from 'node:module';",
  "import {fileURLToPath as __sovaFileURLToPath} from 'node:url';",
  "import {dirname as __sovaDirname} from 'node:path';",
  'const require = __sovaCreateRequire(import.meta.url);',
  'const __filename = __sovaFileURLToPath(import.meta.url);',
  'const __dirname = __sovaDirname(__filename);',
].join('\n')
/** What both builds share. */
const COMMON = {
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // Native addon and dev-only loaders stay outside the bundle.
  external: ['better-sqlite3', 'typescript', 'ts-node', 'tsx'],
  minify: process.env.SOVA_BUILD_DEBUG ? false : true,
  logLevel: 'warning',
  // The document's checker, compiled from the schema here rather than at every start.
  plugins: [precompiledDocumentCheck(ROOT)],
}
await build({
  ...COMMON,
  entryPoints: {cli: 'src/cli.ts', commands: 'src/commands-lazy.ts', 'command-classes': 'src/commands.ts'},
  splitting: true,
  format: 'esm',
  // oclif is CommonJS inside an ESM bundle: give it require/__filename/__dirname.
  banner: {js: BANNER},
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

// The same CLI as one CommonJS file (src/cli-bundle.ts), which bin/run.js compiles with a V8 code
// cache made here (scripts/code-cache.mjs): a command starts without loading the ES modules above
// one by one. oclif finds the bundle's command map through dist/commands.cjs.
await build({
  ...COMMON,
  entryPoints: {sova: 'src/cli-bundle.ts'},
  outExtension: {'.js': '.cjs'},
  format: 'cjs',
  // A script compiled from a code cache cannot import() (Node 20 loses its loader), so every
  // import() becomes a require(): Sova's are of bundled modules and of Node's own; oclif imports
  // only ES-module plugins, which this bundle never loads (src/cli.ts, fromBundle).
  supported: {'dynamic-import': false},
})
writeFileSync(
  join(ROOT, 'dist', 'commands.cjs'),
  "// oclif's command map in dist/sova.cjs: the stand-ins that bundle registered (src/cli-bundle.ts).\nexports.COMMANDS = globalThis[Symbol.for('sova.commands')]\n",
)
const cache = spawnSync(process.execPath, [join(ROOT, 'scripts', 'code-cache.mjs')], {stdio: ['ignore', 'ignore', 'inherit']})
if (cache.status !== 0) throw new Error(`build: scripts/code-cache.mjs exited ${cache.status}`)
