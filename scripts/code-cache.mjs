// Makes dist/sova.cjs.cache, the V8 code cache bin/run.js compiles the bundle with: in this
// process, the bundle runs `sova run --once --dry-run` on the simulated cluster (a fresh state
// directory, an empty configuration: nothing of this machine's), which compiles what every stage
// runs (collect, score, balance, migrate, switch-vf, output); then V8 serialises the code of every
// function compiled so far. A function not run here compiles lazily, as without a cache.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {CODE_CACHE, loadBundle} from '../bin/load-bundle.js'

const state = mkdtempSync(join(tmpdir(), 'sova-code-cache-'))
try {
  const config = join(state, 'config.json')
  writeFileSync(config, '{}\n')
  process.env.SOVA_STATE_DIR = state
  process.env.SOVA_CONFIG = config
  const bin = join(import.meta.dirname, '..', 'bin', 'run.js')
  const {exports: bundle, script} = loadBundle({useCache: false})
  process.argv = [process.argv[0], bin, 'run', '--once', '--dry-run', '--quiet', '--format', 'json']
  await bundle.run(pathToFileURL(bin).href, {fromBundle: true})
  if (process.exitCode) throw new Error(`code cache: sova run --once --dry-run exited ${process.exitCode}`)
  writeFileSync(CODE_CACHE, script.createCachedData())
} finally {
  rmSync(state, {recursive: true, force: true})
}
