// SIGTERM/SIGINT stop an acting run after the action under way, whatever the interval and however
// busy the backend keeps the process (the simulator never waits for I/O); a second signal exits at once.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, it} from 'node:test'
import {BIN, documents, freshStateDir, sova} from './helpers.js'

const STOPPED = /^not started: a stop was requested/

/** Linux's default pipe holds 16 pages; 1 MiB covers pages of up to 64 KiB. */
const PIPE_CAPACITY_BOUND = 1 << 20

/** Polls of 50 ms before a child that should have stopped counts as ignoring the signal. */
const EXIT_POLL_BUDGET = 1200

interface Signalled {
  docs: any[]
  /** Documents read when the signals were sent. */
  docsAtSignal: number
  /** Bytes of stdout read when the signals were sent: the child can have written at most a pipe's worth more. */
  bytesAtSignal: number
  exitCode: number | null
  stderr: string
}

/**
 * Runs `sova ARGS` and sends `signals` once `trigger` sees a stdout document or a stderr line;
 * then waits for the child to exit, within EXIT_POLL_BUDGET polls (killed and failed beyond it).
 */
async function signalWhen(args: string[], state: string, signals: NodeJS.Signals[], trigger: {doc?: (doc: any) => boolean; stderr?: RegExp}): Promise<Signalled> {
  const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, SOVA_STATE_DIR: state, NO_COLOR: ''}, stdio: ['ignore', 'pipe', 'pipe']})
  const docs: any[] = []
  let stdout = ''
  let bytes = 0
  let stderr = ''
  let sent: {docs: number; bytes: number} | undefined
  const send = () => {
    if (sent) return
    sent = {docs: docs.length, bytes}
    for (const signal of signals) child.kill(signal)
  }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    bytes += Buffer.byteLength(chunk)
    stdout += chunk
    for (let nl = stdout.indexOf('\n'); nl >= 0; nl = stdout.indexOf('\n')) {
      docs.push(JSON.parse(stdout.slice(0, nl)))
      stdout = stdout.slice(nl + 1)
      if (trigger.doc?.(docs.at(-1))) send()
    }
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    if (trigger.stderr?.test(stderr)) send()
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  let closed = false
  void exited.then(() => (closed = true))
  for (let polls = 0; !closed; polls++) {
    if (sent && polls > EXIT_POLL_BUDGET) {
      child.kill('SIGKILL')
      await exited
      assert.fail(`still running ${EXIT_POLL_BUDGET} polls after ${signals.join(' + ')}: ${docs.length} documents so far`)
    }
    // Before the signal, only the trigger is awaited; a run that ends without it fails below.
    if (!sent) polls = 0
    await sleep(50)
  }
  const exitCode = await exited
  assert.ok(sent, `the trigger was never seen (exit ${exitCode}): ${stderr}`)
  return {docs, docsAtSignal: sent.docs, bytesAtSignal: sent.bytes, exitCode, stderr}
}

/** The run's journal rows, oldest first. */
async function journal(state: string): Promise<any[]> {
  return documents((await sova(['history', '--format', 'json', '--limit', '1000000'], {state})).stdout)
}

/** Rows stopped by the signal come after every row that ran, and nothing is left half done. */
function assertStoppedAtTheEnd(rows: any[]): any[] {
  const first = rows.findIndex((row) => STOPPED.test(row.error))
  const stopped = first < 0 ? [] : rows.slice(first)
  for (const row of stopped) assert.ok(row.status === 'skipped' && STOPPED.test(row.error), `after the stop, only actions not started: ${JSON.stringify(row)}`)
  for (const row of rows) assert.ok(['done', 'failed', 'skipped', 'rolled-back'].includes(row.status), `settled: ${JSON.stringify(row)}`)
  return stopped
}

const acted = (doc: any) => (doc.actions ?? []).some((action: any) => action.status === 'done')

describe('signals stop an acting run after the action under way', () => {
  it('run --cycles 1000 --interval 0s: SIGTERM after the first action ends it within the cycles already written, exit 0', async () => {
    const state = freshStateDir()
    const run = await signalWhen(['run', '--cycles', '1000', '--interval', '0s', '--quiet'], state, ['SIGTERM'], {doc: acted})
    assert.equal(run.exitCode, 0, run.stderr)
    // When the signal was sent, the child was at most a pipe's worth of documents ahead of what was
    // read, then finished the cycle under way: no cycle started after the signal was seen.
    const smallest = Math.min(...run.docs.map((doc) => JSON.stringify(doc).length + 1))
    const ahead = Math.ceil(PIPE_CAPACITY_BOUND / smallest) + 1
    assert.ok(run.docs.length <= run.docsAtSignal + ahead, `${run.docs.length} documents, ${run.docsAtSignal} when signalled (at most ${ahead} more)`)
    assert.ok(run.docs.length < 1000, 'not every cycle ran')
    const rows = await journal(state)
    assertStoppedAtTheEnd(rows)
    // What the documents say was done is what the journal says, and nothing more ran.
    const done = run.docs.flatMap((doc) => doc.actions).filter((action: any) => action.status === 'done').length
    assert.equal(rows.filter((row) => row.status === 'done').length, done)
  })

  it('run --once on 100 simulated hosts: SIGINT while it works stops it after the action under way; the rest is journalled not started', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['sim', 'reset', '--scenario', 'large', '--hosts', '100', '--vms-per-host', '20'], {state})).exitCode, 0)
    // The first line a fresh run writes comes before its sample, scores, plan and every action.
    // The seed policy acts at once on a first sample, on every VM it ranks: some 200 actions.
    const run = await signalWhen(['run', '--once', '--policy', 'seed'], state, ['SIGINT'], {stderr: /sampling for/})
    assert.equal(run.exitCode, 0, run.stderr)
    assert.match(run.stderr, /^run: stopping after the current action$/m)
    const [doc] = run.docs
    const stoppedInDoc = doc.actions.filter((action: any) => action.status === 'skipped' && STOPPED.test(action.error))
    assert.ok(stoppedInDoc.length > 0, `some planned action was not started: ${doc.actions.length} actions`)
    const rows = await journal(state)
    const stopped = assertStoppedAtTheEnd(rows)
    assert.equal(stopped.length, stoppedInDoc.length)
    // The signal came during the sample, before any action: at most the steps of one action ran.
    assert.ok(rows.filter((row) => row.status === 'done').length <= 3, `${rows.length - stopped.length} rows ran`)
  })

  it('a second signal exits at once (130 after SIGINT, 143 after SIGTERM), without finishing the cycle', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['sim', 'reset', '--scenario', 'large', '--hosts', '100', '--vms-per-host', '20'], {state})).exitCode, 0)
    // Two different signals: two of the same sent together may reach the process as one.
    const run = await signalWhen(['run', '--once', '--policy', 'seed'], state, ['SIGINT', 'SIGTERM'], {stderr: /sampling for/})
    assert.ok(run.exitCode === 130 || run.exitCode === 143, `exit ${run.exitCode}: ${run.stderr}`)
    assert.deepEqual(run.docs, [], 'no document: the cycle did not finish')
    // Nothing ran past the first action; the simulator's steps are instantaneous, so none was cut
    // in half (a real one would be left "started" for the next run to settle).
    const rows = await journal(state)
    assert.ok(rows.length <= 3, `at most the steps of the action under way: ${rows.length} rows`)
    assert.ok(rows.every((row) => row.status === 'done'), JSON.stringify(rows.filter((row) => row.status !== 'done')))
  })
})
