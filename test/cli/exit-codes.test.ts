// Every exit code of ARCHITECTURE.md §5, produced the way a user would meet it.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {BIN, documents, freshStateDir, sova} from './helpers.js'

describe('exit codes', () => {
  it('0: a collect on a fresh simulated cluster succeeds and prints one document', async () => {
    const state = freshStateDir()
    const result = await sova(['collect'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const docs = documents(result.stdout)
    assert.equal(docs.length, 1)
    assert.equal(docs[0].hosts.length, 3)
  })

  it('2: an unknown flag, a bad option value and a one-off without --to are usage errors', async () => {
    const state = freshStateDir()
    for (const args of [['collect', '--bogus'], ['collect', '--format', 'xml'], ['migrate', 'web1'], ['score', '--threshold', 'high']]) {
      const result = await sova(args, {state})
      assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.equal(String(result.stdout), '', 'nothing on stdout')
      assert.equal(String(result.stderr).trim().split('\n').length, 1, `one line: ${result.stderr}`)
    }
  })

  it('65: a malformed document is refused with the field path, nothing executed', async () => {
    const state = freshStateDir()
    const doc = documents((await sova(['collect'], {state})).stdout)[0]
    doc.hosts[2].vms[0].memoryMiB = '2G'
    const result = await sova(['migrate'], {state, input: JSON.stringify(doc)})
    assert.equal(result.exitCode, 65)
    assert.match(String(result.stderr), /hosts\[2\]\.vms\[0\]\.memoryMiB: expected a number/)
    assert.equal(String(result.stdout), '')
  })

  it('69: a host that does not answer: collect writes the others, names it, exits 69; 0 once it is back', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['sim', 'outage', 'host2'], {state})).exitCode, 0)
    const result = await sova(['collect'], {state})
    assert.equal(result.exitCode, 69)
    assert.match(String(result.stderr), /sova collect: host2 gave no readings/)
    assert.deepEqual(documents(result.stdout)[0].missing.map((entry: {host: string}) => entry.host), ['host2'])
    assert.equal((await sova(['sim', 'outage', 'host2', '--clear'], {state})).exitCode, 0)
    assert.equal((await sova(['collect'], {state})).exitCode, 0)
  })

  it('75: a second acting run exits at once while another holds the lock', async () => {
    const state = freshStateDir()
    const first = execa(process.execPath, [BIN, 'run', '--interval', '30s'], {env: {SOVA_STATE_DIR: state}, reject: false})
    // The first document on stdout means the first run holds the lock and has finished a cycle.
    await new Promise<void>((resolve) => first.stdout?.once('data', () => resolve()))
    const started = Date.now()
    const second = await sova(['run', '--once'], {state})
    first.kill('SIGTERM')
    await first
    assert.equal(second.exitCode, 75)
    assert.match(String(second.stderr), /another run holds the lock/)
    assert.ok(Date.now() - started < 5000, 'exits at once')
    // A dead holder does not block the next run.
    assert.equal((await sova(['run', '--once'], {state})).exitCode, 0)
  })

  it('1: an action that fails is reported in the document and the exit code', async () => {
    const state = freshStateDir()
    const doc = documents((await sova(['collect'], {state})).stdout)[0]
    const host = doc.hosts[0]
    const withoutVf = host.vms.filter((vm: any) => !vm.vf).map((vm: any) => vm.name)
    // Fill the pool one VM at a time; the first VM beyond the pool gets a failed action.
    for (const vm of withoutVf.slice(0, host.vfs.free.length)) {
      assert.equal((await sova(['switch-vf', vm, '--to', 'vf'], {state})).exitCode, 0)
    }
    const result = await sova(['switch-vf', withoutVf[host.vfs.free.length], '--to', 'vf'], {state})
    assert.equal(result.exitCode, 1)
    const [out] = documents(result.stdout)
    assert.equal(out.actions[0].status, 'failed')
    assert.match(out.actions[0].error, /no free VF on host1/)
  })

  it('70: a state directory that cannot be opened is an internal error with a remedy', async () => {
    const dir = freshStateDir()
    const file = join(dir, 'not-a-directory')
    writeFileSync(file, 'x')
    const result = await sova(['collect', '--state', file], {state: dir})
    assert.equal(result.exitCode, 70)
    assert.match(String(result.stderr), /state store .*cannot open/)
  })
})
