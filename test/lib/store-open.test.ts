// The stages of a pipeline open the same new state store at the same moment: every one of them
// must come up with the whole schema, none may die setting it up twice.
import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'

const STORE = join(import.meta.dirname, '..', '..', 'src', 'lib', 'store', 'store.ts')

describe('opening a new state store', () => {
  it('eight processes at once on an empty directory all succeed and agree on the schema', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'sova-store-race-'))
      const script = `const {Store} = await import(${JSON.stringify(STORE)}); const s = Store.open(${JSON.stringify(dir)}); s.close()`
      const results = await Promise.all(
        Array.from({length: 8}, () => execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {reject: false})),
      )
      for (const result of results) assert.equal(result.exitCode, 0, result.stderr)
    }
  })
})
