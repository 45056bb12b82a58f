// The document's compiled shape check, as the build precompiles it into dist/ and as the sources
// compile it on first use, must answer exactly as TypeBox's interpreted Check does.
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {build, type Plugin} from 'esbuild'
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {Check} from '@sinclair/typebox/value'
import {isDocumentShape} from '../../src/lib/document/document-check.js'
import {SovaDocument} from '../../src/lib/document/schema.js'
import '../../src/lib/document/validate.js' // schema.ts registers the date-time format (formats.ts) for the interpreted check
import {doc, host, hostScore, seedScores, vm} from '../helpers/build.js'

const ROOT = join(import.meta.dirname, '..', '..')

/** The precompiled module as scripts/build.mjs bundles it (its formats from formats.ts, as TypeBox's registry has them). */
async function precompiled(): Promise<(value: unknown) => boolean> {
  const plugin = join(ROOT, 'scripts', 'precompiled-check.mjs')
  const {precompiledDocumentCheck} = (await import(pathToFileURL(plugin).href)) as {precompiledDocumentCheck: (root: string) => Plugin}
  const dir = mkdtempSync(join(ROOT, '.build-check-test-'))
  try {
    const outfile = join(dir, 'check.mjs')
    await build({
      entryPoints: [join(ROOT, 'src/lib/document/document-check.ts')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      plugins: [precompiledDocumentCheck(ROOT)],
      logLevel: 'warning',
    })
    return ((await import(pathToFileURL(outfile).href)) as {isDocumentShape: (value: unknown) => boolean}).isDocumentShape
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Valid documents and near misses: each a change a stage or an attacker could make. */
function corpus(): [string, unknown][] {
  const valid = () => doc([host('h0'), host('h1', [vm('a'), vm('b', {vf: '0000:03:10.0'})])])
  const scored = valid()
  scored.scores = seedScores({h0: hostScore(), h1: hostScore({hot: true, utilisation: 0.9})})
  const edit = (why: string, change: (value: Record<string, any>) => void): [string, unknown] => {
    const value = structuredClone(scored) as Record<string, any>
    change(value)
    return [why, value]
  }
  return [
    ['a plain document', valid()],
    ['a scored document', scored],
    edit('memory as a string', (d) => (d.hosts[1].vms[0].memoryMiB = '2G')),
    edit('an unknown key', (d) => (d.hosts[0].extra = 1)),
    edit('a missing required key', (d) => delete d.hosts[0].nic),
    edit('a date that is not one', (d) => (d.at = '2024-02-30T25:00:00Z')),
    edit('a date in another format', (d) => (d.at = 'yesterday')),
    edit('a negative rate', (d) => (d.hosts[1].vms[0].net.rxBps = -1)),
    edit('a path that is no path', (d) => (d.hosts[1].vms[0].path = 'sr-iov')),
    edit('a forecast of null', (d) => (d.scores.hosts.h0.forecast = null)),
    edit('a forecast of a string', (d) => (d.scores.hosts.h0.forecast = '0.5')),
    edit('a score of an unknown VM', (d) => (d.scores.vms['nobody'] = {...d.scores.vms.a, host: 7})),
    edit('hosts as an object', (d) => (d.hosts = {})),
    edit('null', (d) => (d.hosts[0] = null)),
  ]
}

describe('the document shape check', () => {
  it('precompiled by the build, answers as the interpreted Check does', async () => {
    const check = await precompiled()
    const answers = corpus().map(([why, value]) => [why, check(value)])
    assert.deepEqual(answers, corpus().map(([why, value]) => [why, Check(SovaDocument, value)]))
    assert.ok(answers.some(([, ok]) => ok) && answers.some(([, ok]) => !ok), 'the corpus has valid and invalid documents')
  })

  it('compiled from the sources, answers as the interpreted Check does', () => {
    for (const [why, value] of corpus()) assert.equal(isDocumentShape(value), Check(SovaDocument, value), why)
  })
})
