// The entry of dist/sova.cjs: the whole CLI in one CommonJS file, which bin/run.js compiles with
// the V8 code cache the build made (scripts/code-cache.mjs), so that a stage starts without
// resolving, reading and compiling some fifty ES modules. oclif loads the command map from a file
// (package.json oclif.commands); in this bundle that file is dist/commands.cjs, which hands over
// these stand-ins through a registered symbol, so the commands run from this same compiled code.
import {COMMANDS} from './commands-lazy.js'

export {run} from './cli.js'

;(globalThis as Record<symbol, unknown>)[Symbol.for('sova.commands')] = COMMANDS

/** A worker thread of `sova evaluate --jobs` (bin/evaluate-worker.js): loaded only there. */
export async function runPolicyInWorker(): Promise<void> {
  const {runPolicyInWorker: run} = await import('./lib/evaluate/workers.js')
  return run()
}
