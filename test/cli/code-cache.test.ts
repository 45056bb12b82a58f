// A command runs from dist/sova.cjs compiled with the code cache the build made (bin/load-bundle.js):
// V8 must accept that cache in the Node that built it, and a cache it rejects (another Node's, or
// damaged) must cost only speed, never the command.
import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {freshStateDir} from './helpers.js'

const ROOT = join(import.meta.dirname, '..', '..')

describe('the code cache of the bundle', () => {
  it('is accepted by the Node that built it', async () => {
    const {loadBundle} = await import(join(ROOT, 'bin', 'load-bundle.js'))
    const {script, exports} = loadBundle()
    assert.equal(script.cachedDataRejected, false, 'run npm run build with this Node')
    assert.equal(typeof exports.run, 'function')
  })

  it('a cache V8 rejects: the commands run as without one', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'sova-code-cache-'))
    try {
      for (const part of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) cpSync(join(ROOT, part), join(copy, part), {recursive: true})
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'))
      writeFileSync(join(copy, 'dist', 'sova.cjs.cache'), Buffer.alloc(4096, 7))
      const env = {SOVA_STATE_DIR: freshStateDir(), NO_COLOR: ''}
      const collected = await execa(process.execPath, [join(copy, 'bin', 'run.js'), 'collect', '--quiet'], {env, reject: false})
      assert.equal(collected.exitCode, 0, String(collected.stderr))
      const scored = await execa(process.execPath, [join(copy, 'bin', 'run.js'), 'score', '--quiet'], {env, input: collected.stdout, reject: false})
      assert.equal(scored.exitCode, 0, String(scored.stderr))
      assert.equal(scored.stderr, '')
      assert.ok(JSON.parse(scored.stdout).scores, 'scored')
      // The damaged cache is left as it was: the build makes caches, commands only read them.
      assert.deepEqual(readFileSync(join(copy, 'dist', 'sova.cjs.cache')), Buffer.alloc(4096, 7))
    } finally {
      rmSync(copy, {recursive: true, force: true})
    }
  })
})
