// Two acting commands joined by a shell pipe act at once on one cluster unless the lock refuses
// one of them. Only `migrate | switch-vf` reading one stream share it; every other pair exits 75.
// The second command starts only once the first holds the lock (wait-lock.mjs polls the store),
// so no test depends on the machine's speed.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {BIN, freshStateDir, sova} from './helpers.js'

const WAIT_LOCK = join(import.meta.dirname, '..', 'fixtures', 'bin', 'lock', 'wait-lock.mjs')
const SOVA = `"${process.execPath}" "${BIN}"`

/**
 * `first | { wait until first holds the lock; second; }`, one shell pipe between them (or, with
 * `secondUpstream`, `{ wait; second; } | first`). The first keeps the lock until the second is
 * done: a stream stage by an input that ends only then, `run` by a pause of an hour that the
 * SIGTERM sent to its pid then ends. `release`: a command once whose lock the first is fed a
 * planned document (collect | score | balance) instead, then the end of its input. Returns the second's
 * exit code and stderr.
 */
async function pair(state: string, first: string, firstCommand: string, second: string, options: {secondUpstream?: boolean; release?: string} = {}): Promise<{code: number | 'both-held'; stderr: string}> {
  const file = (name: string) => `"${join(state, name)}"`
  const holdInput = options.release
    ? `node "${WAIT_LOCK}" "${state}" ${options.release}; ${['collect', 'score', 'balance'].map((stage) => `${SOVA} ${stage} --format json`).join(' | ')}`
    : `while [ ! -e ${file('second-done')} ]; do sleep 0.05; done`
  const firstAlone = `sh -c 'echo $$ > ${file('first-pid')}; exec ${SOVA} ${first}' 2>/dev/null`
  const firstCmd = options.secondUpstream ? firstAlone : `{ ${holdInput}; } | ${firstAlone}`
  // Ends the first: the end of its input (stream stages), SIGTERM to its pid (run's pause).
  const stopFirst = `touch ${file('second-done')}; kill -TERM "$(cat ${file('first-pid')})" 2>/dev/null`
  // Unless the pair may share, a second that takes the lock too is caught at once (and stopped):
  // its exit code is then "both held" instead of 75.
  const runSecond = options.release
    ? `${SOVA} ${second} 2>${file('second-err')}; echo $? > ${file('second-rc')}`
    : `${SOVA} ${second} 0<&0 2>${file('second-err')} & S=$!; `
      + `if [ "$(node "${WAIT_LOCK}" "${state}" --pid $S)" = held ]; then echo both-held > ${file('second-rc')}; ${stopFirst}; kill -TERM $S; wait $S; `
      + `else wait $S; echo $? > ${file('second-rc')}; fi`
  const secondCmd = `{ node "${WAIT_LOCK}" "${state}" ${firstCommand}; ${runSecond}; ${stopFirst}; }`
  const script = options.secondUpstream ? `${secondCmd} | ${firstCmd} > /dev/null` : `${firstCmd} | ${secondCmd} > /dev/null`
  await execa('bash', ['-c', script], {env: {SOVA_STATE_DIR: state}, extendEnv: true, reject: false})
  const rc = readFileSync(join(state, 'second-rc'), 'utf8').trim()
  return {code: rc === 'both-held' ? rc : Number(rc), stderr: readFileSync(join(state, 'second-err'), 'utf8')}
}

describe('the run lock between the commands of a pipe', () => {
  const forbidden: {first: string; command: string; second: string}[] = [
    {first: 'run --cycles 2 --interval 1h --format json', command: 'run', second: 'run --once --format json'},
    {first: 'run --cycles 2 --interval 1h --format json', command: 'run', second: 'migrate --format json'},
    {first: 'switch-vf --format json', command: 'switch-vf', second: 'run --once --format json'},
    {first: 'switch-vf --format json', command: 'switch-vf', second: 'migrate --format json'},
    {first: 'migrate --format json', command: 'migrate', second: 'migrate --format json'},
    {first: 'migrate --format json', command: 'migrate', second: 'switch-vf web1 --to pv --format json'},
  ]
  for (const {first, command, second} of forbidden) {
    it(`sova ${first} | sova ${second}: the second exits 75 naming the holder`, async () => {
      const state = freshStateDir()
      const {code, stderr} = await pair(state, first, command, second)
      assert.equal(code, 75, stderr)
      assert.match(stderr, new RegExp(`another run holds the lock: "sova ${command}" \\(pid \\d+`))
    })
  }

  it('sova run --once | sova migrate, the migrate holding first: the run exits 75', async () => {
    const state = freshStateDir()
    const {code, stderr} = await pair(state, 'migrate --format json', 'migrate', 'run --once --format json', {secondUpstream: true})
    assert.equal(code, 75, stderr)
  })

  it('sova migrate | sova switch-vf, the stages of one pipeline, share it', async () => {
    const state = freshStateDir()
    const {code, stderr} = await pair(state, 'migrate --format json', 'migrate', 'switch-vf --format json', {release: 'switch-vf'})
    assert.equal(code, 0, stderr)
  })

  it('the whole pipeline still runs', async () => {
    const state = freshStateDir()
    const result = await execa('bash', ['-o', 'pipefail', '-c', ['collect', 'score', 'balance', 'migrate', 'switch-vf'].map((stage) => `${SOVA} ${stage} --format json`).join(' | ')], {
      env: {SOVA_STATE_DIR: state}, extendEnv: true, reject: false,
    })
    assert.equal(result.exitCode, 0, result.stderr)
    assert.equal((await sova(['check'], {state})).exitCode, 0)
  })
})
