// What a user feeding the wrong thing sees: one line naming the problem, exit 65 (or 2 for usage),
// nothing on stdout, nothing executed.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {BIN, documents, freshStateDir, sova} from './helpers.js'

async function oneDocument(state: string): Promise<any> {
  return documents((await sova(['collect'], {state})).stdout)[0]
}

function assertRefused(result: {exitCode?: number; stdout: unknown; stderr: unknown}, exit: number, message: RegExp) {
  assert.equal(result.exitCode, exit, String(result.stderr))
  assert.equal(String(result.stdout), '', 'nothing on stdout')
  const lines = String(result.stderr).trim().split('\n')
  assert.equal(lines.length, 1, `one line on stderr: ${result.stderr}`)
  assert.match(lines[0], message)
}

describe('bad input', () => {
  it('empty input', async () => {
    assertRefused(await sova(['score'], {state: freshStateDir(), input: ''}), 65, /no document in the input/)
  })

  it('truncated JSON', async () => {
    const state = freshStateDir()
    const text = JSON.stringify(await oneDocument(state))
    assertRefused(await sova(['score'], {state, input: text.slice(0, text.length / 2)}), 65, /stdin line 1: input ends inside a document/)
  })

  it('a number where an object belongs', async () => {
    const state = freshStateDir()
    const doc = await oneDocument(state)
    doc.hosts[1] = 5
    assertRefused(await sova(['score'], {state, input: JSON.stringify(doc)}), 65, /hosts\[1\]: expected an object, got number 5/)
  })

  it('a document of version 2', async () => {
    const state = freshStateDir()
    const doc = {...(await oneDocument(state)), sova: 2}
    assertRefused(await sova(['balance'], {state, input: JSON.stringify(doc)}), 65, /unsupported document version 2/)
  })

  it('the second document of a stream is bad: the first is processed, then exit 65', async () => {
    const state = freshStateDir()
    const doc = await oneDocument(state)
    const result = await sova(['score'], {state, input: `${JSON.stringify(doc)}\n{"sova": 1}\n`})
    assert.equal(result.exitCode, 65)
    assert.equal(documents(result.stdout).length, 1)
    assert.match(String(result.stderr), /^sova score: stdin line 2: (at|source|hosts): expected a value \(required\)/)
  })

  it('a VM name with shell metacharacters, in a document and on the command line', async () => {
    const state = freshStateDir()
    const doc = await oneDocument(state)
    doc.hosts[0].vms[0].name = 'web1; rm -rf /'
    assertRefused(await sova(['score'], {state, input: JSON.stringify(doc)}), 65, /hosts\[0\]\.vms\[0\]\.name: expected a name/)
    for (const name of ['web1;reboot', '$(id)', '--help=x', '-rf']) {
      const result = await sova(['switch-vf', '--to', 'vf', '--', name], {state})
      assertRefused(result, 2, /is not a valid name/)
    }
    assertRefused(await sova(['migrate', 'web1', '--to', 'host9'], {state}), 2, /--to: host9 is not a host of the cluster/)
    assertRefused(await sova(['migrate', 'nosuchvm', '--to', 'host2'], {state}), 2, /VM nosuchvm is not in the cluster/)
  })

  it('a 50 MB document is handled as a stream, without a crash', async () => {
    const state = freshStateDir()
    const doc = await oneDocument(state)
    // Unknown fields pass through: 50 MB of them in one document.
    doc.annotations = Array.from({length: 52 * 1024}, (_, i) => ({id: i, note: 'x'.repeat(1000)}))
    const input = JSON.stringify(doc)
    assert.ok(input.length > 50 * 1024 * 1024)
    const result = await execa(process.execPath, [BIN, 'score'], {input, reject: false, env: {SOVA_STATE_DIR: state}, maxBuffer: 200 * 1024 * 1024})
    assert.equal(result.exitCode, 0, String(result.stderr).slice(0, 500))
    const out = JSON.parse(result.stdout)
    assert.equal(out.annotations.length, 52 * 1024)
    assert.ok(out.scores.vms.web1)
  })

  it('a stage with a terminal on stdin says how to feed it (exit 2)', async () => {
    // `script` gives the command a real terminal on stdin.
    const state = freshStateDir()
    const result = await execa('script', ['-qec', `"${process.execPath}" "${BIN}" score`, '/dev/null'], {
      reject: false, env: {SOVA_STATE_DIR: state}, input: '',
    })
    assert.equal(result.exitCode, 2, String(result.stdout))
    assert.match(String(result.stdout), /no input: score reads Sova documents on stdin.*sova collect \| sova score/)
  })
})
