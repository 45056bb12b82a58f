// `sova agent` as a guest runs it: a fake guest tree ($SOVA_AGENT_ROOT), a fake xenstore-write on
// PATH that logs its argv, and bond counters fed through FIFOs so each per-second reading is exact.
import assert from 'node:assert/strict'
import {closeSync, constants, cpSync, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {BIN, documents, freshStateDir, sova} from '../cli/helpers.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const FAKE_BIN = join(FIXTURES, 'bin', 'agent')

/** A writable copy of a fake guest tree, its xenstore-write log, and the env that points sova at both. */
function guest(tree = 'ready', extra: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'sova-agent-'))
  cpSync(join(FIXTURES, 'agent', tree), root, {recursive: true, verbatimSymlinks: true})
  const log = join(root, 'xenstore-write.log')
  const env = {SOVA_AGENT_ROOT: root, SOVA_FAKE_LOG: log, PATH: `${FAKE_BIN}${delimiter}${process.env.PATH}`, ...extra}
  const written = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [])
  return {root, env, written, stats: join(root, 'sys', 'class', 'net', 'bond0', 'statistics')}
}

/** Replaces a counter file with a fresh FIFO in one rename, so no reader can see two values. */
async function freshFifo(path: string): Promise<void> {
  await execa('mkfifo', [`${path}.next`])
  renameSync(`${path}.next`, path)
}

/**
 * Serves one [rx, tx] pair per reading: each write completes only once the agent has opened the
 * FIFO, then the FIFO is replaced for the next reading. Returns a release() that unblocks a feed
 * whose reader went away (the agent failed), so the test cannot hang.
 */
async function feedCounters(stats: string, readings: [number, number][]) {
  const paths = [join(stats, 'rx_bytes'), join(stats, 'tx_bytes')]
  for (const path of paths) rmSync(path)
  await Promise.all(paths.map(freshFifo))
  let stopped = false
  const feeding = (async () => {
    for (const [i, reading] of readings.entries()) {
      if (i > 0) await Promise.all(paths.map(freshFifo))
      if (stopped) return
      await Promise.all(paths.map((path, j) => writeFile(path, `${reading[j]}\n`)))
    }
  })().catch(() => undefined)
  let settled = false
  void feeding.then(() => (settled = true))
  const release = async () => {
    stopped = true
    while (!settled) {
      for (const path of paths) {
        try {
          closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK))
        } catch {}
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return release
}

const waitFor = async (what: () => boolean, ms = 15_000) => {
  const until = Date.now() + ms
  while (!what() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.ok(what(), 'timed out waiting')
}

describe('sova agent --xenstore', () => {
  it('--once measures one interval and writes every key in one xenstore-write; stdout is what it wrote', async () => {
    const g = guest()
    const release = await feedCounters(g.stats, [
      [1000, 2000], // baseline
      [6000, 2100], // rx 5000, tx 100: not active (tx <= 128 bytes)
      [6300, 2300], // rx 300, tx 200: active
    ])
    const before = Math.floor(Date.now() / 1000)
    const result = await sova(['agent', '--xenstore', '--once', '--interval', '2s'], {state: freshStateDir(), env: g.env})
    await release()
    const after = Math.ceil(Date.now() / 1000)
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(String(result.stderr), '')
    assert.equal(g.written().length, 1)
    const match = /^network\/value 5600 network\/freq 1 network\/rx-bytes 5300 network\/tx-bytes 300 network\/active-seconds 1 network\/interval 2 network\/updated (\d+)$/.exec(g.written()[0])
    assert.ok(match, g.written()[0])
    const updated = Number(match[1])
    assert.ok(updated >= before && updated <= after, `updated ${updated} within [${before}, ${after}]`)
    assert.deepEqual(documents(result.stdout), [
      {
        'network/value': 5600,
        'network/freq': 1,
        'network/rx-bytes': 5300,
        'network/tx-bytes': 300,
        'network/active-seconds': 1,
        'network/interval': 2,
        'network/updated': updated,
      },
    ])
  })

  it('--once: a failing xenstore-write exits 69 with the tool\'s own words, nothing on stdout', async () => {
    const g = guest('ready', {SOVA_FAKE_XENSTORE_FAIL: '1'})
    const result = await sova(['agent', '--xenstore', '--once', '--interval', '1s'], {state: freshStateDir(), env: g.env})
    assert.equal(result.exitCode, 69)
    assert.match(String(result.stderr), /^sova agent: xenstore-write failed: could not write path network\/value/)
    assert.equal(String(result.stderr).trim().split('\n').length, 1)
    assert.equal(String(result.stdout), '')
    assert.equal(g.written().length, 1, 'it did try, once')
  })

  it('a missing bond exits 69 with one line naming the path it looked for', async () => {
    const g = guest()
    const result = await sova(['agent', '--xenstore', '--once', '--bond', 'bond9'], {state: freshStateDir(), env: g.env})
    assert.equal(result.exitCode, 69)
    assert.equal(String(result.stderr).trim().split('\n').length, 1)
    assert.ok(String(result.stderr).includes(join(g.root, 'sys/class/net/bond9/statistics/rx_bytes') + ' does not exist'), String(result.stderr))
    assert.deepEqual(g.written(), [])
  })

  it('loop: writes every interval, keeps going after failed writes, logs only on stderr, stops on SIGTERM with 0', async () => {
    for (const fail of [false, true]) {
      const g = guest('ready', fail ? {SOVA_FAKE_XENSTORE_FAIL: '1'} : {})
      const agent = execa(process.execPath, [BIN, 'agent', '--xenstore', '--interval', '1s'], {env: g.env, reject: false})
      await waitFor(() => g.written().length >= 2)
      agent.kill('SIGTERM')
      const result = await agent
      assert.equal(result.exitCode, 0, String(result.stderr))
      assert.equal(String(result.stdout), '')
      assert.match(String(result.stderr), /agent: measuring bond0 every second, writing network\/\* to xenstore every 1 s/)
      assert.match(String(result.stderr), /agent: stopping/)
      assert.match(g.written()[0], /^network\/value 0 network\/freq 0 network\/rx-bytes 0 .* network\/interval 1 network\/updated \d+$/)
      const failures = String(result.stderr).match(/xenstore-write failed: could not write path network\/value; trying again in 1 s/g) ?? []
      assert.equal(failures.length >= 2, fail, String(result.stderr))
    }
  })

  it('--quiet: the loop says nothing at all', async () => {
    const g = guest()
    const agent = execa(process.execPath, [BIN, 'agent', '--xenstore', '--interval', '1s', '--quiet'], {env: g.env, reject: false})
    await waitFor(() => g.written().length >= 1)
    agent.kill('SIGINT')
    const result = await agent
    assert.equal(result.exitCode, 0)
    assert.equal(String(result.stdout) + String(result.stderr), '')
  })

  it('bad usage exits 2 with one line', async () => {
    const g = guest()
    const cases: [string[], RegExp][] = [
      [['agent'], /give --xenstore .* or --check/],
      [['agent', '--xenstore', '--check'], /^sova agent: --(xenstore and --check|check and --xenstore) cannot be used together \(see sova agent --help\)$/m],
      [['agent', '--once'], /--xenstore/],
      [['agent', '--check', '--interval', '5s'], /--xenstore/],
      [['agent', '--xenstore', '--interval', '500ms'], /--interval: expected whole seconds/],
      [['agent', '--xenstore', '--bond', '../etc'], /--bond: "\.\.\/etc" is not an interface name/],
    ]
    for (const [args, message] of cases) {
      const result = await sova(args, {state: freshStateDir(), env: g.env})
      assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(String(result.stderr), message)
      assert.equal(String(result.stderr).trim().split('\n').length, 1, String(result.stderr))
      assert.equal(String(result.stdout), '')
    }
    assert.deepEqual(g.written(), [])
  })
})

describe('sova agent --check', () => {
  const check = (root: string, args: string[] = []) => sova(['agent', '--check', '--format', 'json', ...args], {state: freshStateDir(), env: {SOVA_AGENT_ROOT: root}})

  it('0: a ready bond passes every check', async () => {
    const result = await check(join(FIXTURES, 'agent', 'ready'))
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(String(result.stderr), '')
    const rows = documents(result.stdout)
    assert.deepEqual(rows.map((row) => [row.bond, row.check, row.ok]), [
      ['bond0', 'mode', true],
      ['bond0', 'miimon', true],
      ['bond0', 'primary-vf', true],
      ['bond0', 'active-slave', true],
      ['bond0', 'pv-backup', true],
    ])
    assert.equal(rows[2].detail, 'eth1 (ixgbevf)')
    assert.equal(rows[4].detail, 'eth0 (vif): up')
  })

  it('1: a balance-rr bond is not ready; the rows say why and how to fix it, stderr sums it up', async () => {
    const result = await check(join(FIXTURES, 'agent', 'not-ready'), ['--bond', 'bond0'])
    assert.equal(result.exitCode, 1)
    const rows = documents(result.stdout)
    assert.deepEqual(rows.filter((row) => !row.ok).map((row) => row.check), ['mode', 'primary-vf', 'active-slave'])
    assert.match(rows[0].fix, /mode=active-backup/)
    assert.equal(String(result.stderr).trim().split('\n').length, 1)
    assert.match(String(result.stderr), /^sova agent: bond0 not ready: mode: balance-rr: a VF and its PV backup need active-backup; /)
  })

  it('1: no bonding driver, or no such bond, is a failed "present" check', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'sova-agent-empty-'))
    const none = await check(empty)
    assert.equal(none.exitCode, 1)
    assert.deepEqual(documents(none.stdout).map((row) => [row.check, row.ok]), [['present', false]])
    assert.match(String(none.stderr), /the bonding driver is not loaded/)
    const other = await check(join(FIXTURES, 'agent', 'ready'), ['--bond', 'bond3'])
    assert.equal(other.exitCode, 1)
    assert.match(String(other.stderr), /bond3 not ready: present: no .*\/proc\/net\/bonding\/bond3/)
  })
})
