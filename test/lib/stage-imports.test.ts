// What a pipeline stage loads to read, score and plan valid documents: not TypeBox (a tenth of a
// stage's start). The precompiled check accepts a document; TypeBox loads only to word a refusal
// (validate.ts) or to check a collected host's limits (rates.ts). Built as scripts/build.mjs
// bundles, so what counts is what a module imports before it runs, not what it may import later.
import assert from 'node:assert/strict'
import {build, type Metafile, type Plugin} from 'esbuild'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, it} from 'node:test'

const ROOT = join(import.meta.dirname, '..', '..')

/** The modules each entry imports statically (its own output and every chunk it imports before running). */
async function staticInputs(entries: string[]): Promise<Map<string, string[]>> {
  const plugin = join(ROOT, 'scripts', 'precompiled-check.mjs')
  const {precompiledDocumentCheck} = (await import(pathToFileURL(plugin).href)) as {precompiledDocumentCheck: (root: string) => Plugin}
  const result = await build({
    entryPoints: entries.map((entry) => join(ROOT, entry)),
    outdir: join(ROOT, 'dist-test-imports'),
    write: false,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    external: ['better-sqlite3'],
    metafile: true,
    plugins: [precompiledDocumentCheck(ROOT)],
    logLevel: 'warning',
  })
  const outputs: Metafile['outputs'] = result.metafile.outputs
  const byEntry = new Map<string, string[]>()
  for (const [file, output] of Object.entries(outputs)) {
    if (!output.entryPoint) continue
    const seen = new Set<string>()
    const walk = (path: string): void => {
      if (seen.has(path)) return
      seen.add(path)
      for (const imported of outputs[path].imports) if (imported.kind === 'import-statement' && !imported.external) walk(imported.path)
    }
    walk(file)
    byEntry.set(output.entryPoint, [...seen].flatMap((path) => Object.keys(outputs[path].inputs)))
  }
  return byEntry
}

describe('what a stage loads', () => {
  it('reading documents, the stages, history and the store import no TypeBox; collect\'s rates and refusals do', async () => {
    const typeboxFree = ['src/lib/document/stream.ts', 'src/lib/loop/stages.ts', 'src/lib/loop/history.ts', 'src/lib/store/store.ts', 'src/commands/score.ts', 'src/commands/balance.ts']
    const withTypebox = ['src/lib/loop/rates.ts', 'src/lib/document/validate.ts']
    const inputs = await staticInputs([...typeboxFree, ...withTypebox])
    for (const entry of typeboxFree) {
      const loaded = inputs.get(entry)
      assert.ok(loaded, `${entry} was built`)
      assert.deepEqual(loaded.filter((input) => input.includes('@sinclair/typebox')), [], `${entry} imports TypeBox before it runs`)
    }
    for (const entry of withTypebox) assert.ok(inputs.get(entry)?.some((input) => input.includes('@sinclair/typebox')), `${entry} checks with TypeBox`)
  })
})
