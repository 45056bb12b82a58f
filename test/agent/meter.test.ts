// The per-second meter, the xenstore keys and the loop, fed counter sequences on a fake clock.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {UnreachableError} from '../../src/lib/errors.js'
import {XENSTORE_KEYS, entriesRecord, type XenstoreEntry, xenstoreEntries, xenstoreWriteArgs} from '../../src/lib/agent/keys.js'
import {type AgentIo, intervalSecondsOf, measureAndPublish, nextTick} from '../../src/lib/agent/measure-loop.js'
import {type Counters, EMPTY_METER, closeWindow, counterDelta, isActiveSecond, meterOf, observe} from '../../src/lib/agent/meter.js'
import {writeXenstore} from '../../src/lib/agent/xenstore-write.js'
import type {ToolResult} from '../../src/lib/exec.js'

const c = (rx: number | bigint, tx: number | bigint): Counters => ({rxBytes: BigInt(rx), txBytes: BigInt(tx)})

describe('meter', () => {
  it('a second is active only when both directions moved more than 128 bytes', () => {
    assert.equal(isActiveSecond(129, 129), true)
    assert.equal(isActiveSecond(128, 10_000), false)
    assert.equal(isActiveSecond(10_000, 128), false)
    assert.equal(isActiveSecond(0, 0), false)
  })

  it('the first reading is only a baseline; each later one adds a second', () => {
    const state = meterOf([c(1000, 500), c(1300, 700), c(1400, 1000), c(11_400, 6000)])
    assert.deepEqual(state.window, {rxBytes: 10_400, txBytes: 5500, activeSeconds: 2, seconds: 3})
    assert.deepEqual(state.total, state.window)
  })

  it('a counter that goes backwards (reset, wrap) never gives a negative delta', () => {
    assert.equal(counterDelta(5000n, 7000n), 2000)
    assert.equal(counterDelta(5000n, 300n), 300)
    assert.equal(counterDelta(2n ** 64n - 100n, 50n), 50)
    const state = meterOf([c(9_000_000, 9_000_000), c(200, 100), c(500, 400)])
    assert.deepEqual(state.total, {rxBytes: 500, txBytes: 400, activeSeconds: 1, seconds: 2})
  })

  it('u64 counters above 2^53 keep their exact deltas', () => {
    const big = 2n ** 60n
    assert.deepEqual(meterOf([c(big, big), c(big + 1001n, big + 3n)]).total, {rxBytes: 1001, txBytes: 3, activeSeconds: 0, seconds: 1})
  })

  it('an unreadable second drops the baseline: the next reading counts nothing', () => {
    const state = meterOf([c(0, 0), c(1000, 1000), undefined, c(50_000, 50_000), c(51_000, 51_000)])
    assert.deepEqual(state.total, {rxBytes: 2000, txBytes: 2000, activeSeconds: 2, seconds: 2})
  })

  it('closing a window empties it and keeps the totals running', () => {
    const closed = closeWindow(meterOf([c(0, 0), c(1000, 1000)]))
    assert.deepEqual(closed.window, {rxBytes: 1000, txBytes: 1000, activeSeconds: 1, seconds: 1})
    const next = observe(closed.state, c(1100, 2000))
    assert.deepEqual(next.window, {rxBytes: 100, txBytes: 1000, activeSeconds: 0, seconds: 1})
    assert.deepEqual(next.total, {rxBytes: 1100, txBytes: 2000, activeSeconds: 1, seconds: 2})
    assert.deepEqual(EMPTY_METER.total.seconds, 0)
  })
})

describe('xenstore keys', () => {
  const window = {rxBytes: 3000, txBytes: 1000, activeSeconds: 4, seconds: 10}
  const total = {rxBytes: 90_000, txBytes: 40_000, activeSeconds: 17, seconds: 60}

  it('writes the prototype keys for the interval, then the running totals, interval and time', () => {
    const entries = xenstoreEntries(window, total, 1_700_000_000.9)
    assert.deepEqual(xenstoreWriteArgs(entries), [
      'network/value', '4000',
      'network/freq', '4',
      'network/rx-bytes', '90000',
      'network/tx-bytes', '40000',
      'network/active-seconds', '17',
      'network/interval', '10',
      'network/updated', '1700000000',
    ])
    assert.deepEqual(Object.keys(entriesRecord(entries)), Object.values(XENSTORE_KEYS))
  })

  it('one xenstore-write call with a timeout; the tool\'s own words on failure', async () => {
    const calls: {file: string; args: string[]; timeoutMs?: number}[] = []
    const fake = (exitCode: number, stderr: string) => async (file: string, args: string[], options?: {timeoutMs?: number}): Promise<ToolResult> => {
      calls.push({file, args, timeoutMs: options?.timeoutMs})
      return {command: [file, ...args], exitCode, stdout: '', stderr, timedOut: false, notFound: false, durationMs: 3}
    }
    const entries = xenstoreEntries(window, total, 1)
    assert.equal(await writeXenstore(entries, fake(0, '')), undefined)
    assert.equal(await writeXenstore(entries, fake(1, 'could not write path network/value\n')), 'could not write path network/value')
    assert.equal(calls.length, 2)
    assert.equal(calls[0].file, 'xenstore-write')
    assert.deepEqual(calls[0].args, xenstoreWriteArgs(entries))
    assert.ok(calls[0].timeoutMs !== undefined && calls[0].timeoutMs > 0)
  })
})

/** A fake clock that jumps to each sleep's end, readings from a list, writes recorded. */
function fakeIo(readings: (Counters | Error)[], options: {failWrites?: boolean; stopAfterWrites?: number} = {}) {
  let now = 1_700_000_000_000
  const written: XenstoreEntry[][] = []
  const logs: string[] = []
  let reads = 0
  const io: AgentIo = {
    async readCounters() {
      const next = readings[Math.min(reads++, readings.length - 1)]
      if (next instanceof Error) throw next
      return next
    },
    async publish(entries) {
      written.push([...entries])
      return options.failWrites ? 'could not write path network/value' : undefined
    },
    now: () => now,
    async sleepUntil(ms) {
      now = Math.max(now, ms) + 7
    },
    stopRequested: () => written.length >= (options.stopAfterWrites ?? Number.POSITIVE_INFINITY) || reads > 100,
    log: (line) => logs.push(line),
  }
  return {io, written, logs, reads: () => reads}
}

describe('measureAndPublish', () => {
  it('--once: a baseline, then one reading a second until the interval is full, then one write', async () => {
    const {io, written} = fakeIo([c(0, 0), c(1000, 200), c(1100, 250), c(5100, 4250)])
    const entries = await measureAndPublish(io, {intervalSeconds: 3, once: true})
    assert.equal(written.length, 1)
    assert.deepEqual(entriesRecord(entries!), {
      'network/value': 9350,
      'network/freq': 2,
      'network/rx-bytes': 5100,
      'network/tx-bytes': 4250,
      'network/active-seconds': 2,
      'network/interval': 3,
      'network/updated': 1_700_000_003,
    })
  })

  it('--once: a failed write is a 69 with the tool\'s words; a missing bond is the baseline\'s error', async () => {
    await assert.rejects(measureAndPublish(fakeIo([c(0, 0)], {failWrites: true}).io, {intervalSeconds: 1, once: true}), (error: Error) => {
      assert.ok(error instanceof UnreachableError)
      assert.match(error.message, /xenstore-write failed: could not write path network\/value/)
      return true
    })
    const missing = new UnreachableError('no bond bond0: /sys/class/net/bond0/statistics/rx_bytes does not exist')
    await assert.rejects(measureAndPublish(fakeIo([missing]).io, {intervalSeconds: 1, once: true}), missing)
  })

  it('loop: totals keep running across intervals while value and freq are per interval', async () => {
    const {io, written} = fakeIo([c(0, 0), c(1000, 1000), c(2000, 2000), c(2000, 2000), c(2100, 2100)], {stopAfterWrites: 2})
    await measureAndPublish(io, {intervalSeconds: 2, once: false})
    assert.deepEqual(written.map((entries) => entriesRecord(entries)['network/value']), [4000, 200])
    assert.deepEqual(written.map((entries) => entriesRecord(entries)['network/freq']), [2, 0])
    assert.deepEqual(written.map((entries) => entriesRecord(entries)['network/rx-bytes']), [2000, 2100])
    assert.deepEqual(written.map((entries) => entriesRecord(entries)['network/active-seconds']), [2, 2])
  })

  it('loop: a failed write is logged and the agent keeps measuring and writing', async () => {
    const {io, written, logs} = fakeIo([c(0, 0), c(1000, 1000)], {failWrites: true, stopAfterWrites: 3})
    await measureAndPublish(io, {intervalSeconds: 1, once: false})
    assert.equal(written.length, 3)
    assert.equal(logs.length, 3)
    assert.match(logs[0], /xenstore-write failed: could not write path network\/value; trying again in 1 s/)
  })

  it('loop: a bond that vanishes is logged once, and measuring resumes from a fresh baseline', async () => {
    const gone = new UnreachableError('no bond bond0: /x does not exist')
    const {io, written, logs} = fakeIo([c(0, 0), c(500, 500), gone, gone, c(9000, 9000), c(9300, 9300), c(9600, 9600)], {stopAfterWrites: 1})
    await measureAndPublish(io, {intervalSeconds: 3, once: false})
    assert.deepEqual(logs, ['agent: no bond bond0: /x does not exist; retrying every second', 'agent: counters readable again; measuring'])
    assert.equal(entriesRecord(written[0])['network/rx-bytes'], 500 + 300 + 300)
  })

  it('ticks stay on a one-second grid and restart from now after a missed second', () => {
    assert.equal(nextTick(10_000, 10_050), 11_000)
    assert.equal(nextTick(10_000, 11_400), 11_000)
    assert.equal(nextTick(10_000, 12_500), 12_500)
  })

  it('the interval is whole seconds, at least one', () => {
    assert.equal(intervalSecondsOf(10), 10)
    assert.throws(() => intervalSecondsOf(0.5), /--interval: expected whole seconds/)
    assert.throws(() => intervalSecondsOf(0), /--interval/)
    assert.throws(() => intervalSecondsOf(2.5), /--interval/)
  })
})
