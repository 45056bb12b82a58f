// `sova doctor` through the built CLI, against the Xen stand-ins of test/fixtures/bin/xen (first on
// PATH): one record per check per host, what failed and how to fix it, and the exit codes an
// operator's script relies on (0 healthy, 1 a check failed, 2 bad usage, 65 invalid configuration).
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {describe, it} from 'node:test'
import {documents, freshStateDir, sova} from './helpers.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const FAKE_BIN = join(FIXTURES, 'bin', 'xen')
const START_WORLD = join(FIXTURES, 'xen', 'world.json')
const config = (name: string) => join(FIXTURES, 'config', name)

const CHECKS = ['ssh reachable', 'xl runs', 'xentop present', 'xenstore-ls present', 'PF found', 'link speed known', 'SR-IOV enabled', 'VFs assignable', 'domains managed', 'port basis']

/** A fresh fake world; `doctor(args)` runs `sova doctor ARGS --format json` with the fakes on PATH. */
function lab() {
  const state = freshStateDir()
  const fake = mkdtempSync(join(tmpdir(), 'sova-doctor-'))
  const log = join(fake, 'calls.ndjson')
  const env = {PATH: [FAKE_BIN, dirname(process.execPath), process.env.PATH].join(delimiter), SOVA_FAKE_STATE: fake, SOVA_FAKE_LOG: log, SOVA_CONFIG: ''}
  return {
    doctor: (args: string[], configFile = config('xen.json')) => sova(['doctor', '--config', configFile, '--format', 'json', ...args], {state, env}),
    calls: (): {host: string; argv: string[]}[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) : []),
    editWorld(change: (w: any) => void) {
      const file = join(fake, 'xen-world.json')
      const world = JSON.parse(readFileSync(existsSync(file) ? file : START_WORLD, 'utf8'))
      change(world)
      writeFileSync(file, JSON.stringify(world))
    },
  }
}

const oneLine = (stderr: unknown) => {
  const lines = String(stderr).trim().split('\n')
  assert.equal(lines.length, 1, `one line on stderr: ${stderr}`)
  return lines[0]
}

describe('sova doctor on Xen hosts (fake xl/ssh)', () => {
  it('a healthy world: every check of every host passes, one record each, exit 0', async () => {
    // Protects the report's shape (host, check, result, detail, fix) and the all-clear exit code.
    const {doctor} = lab()
    const result = await doctor([])
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(String(result.stderr), '')
    const rows = documents(result.stdout)
    assert.deepEqual(rows.map((row) => [row.host, row.check]), ['xen1', 'xen2'].flatMap((host) => CHECKS.map((check) => [host, check])))
    for (const row of rows) {
      assert.deepEqual(Object.keys(row), ['host', 'check', 'result', 'detail', 'fix'])
      assert.deepEqual([row.result, row.fix], ['pass', ''], JSON.stringify(row))
      assert.ok(row.detail.length > 0)
    }
    const detail = (host: string, check: string) => rows.find((row) => row.host === host && row.check === check)?.detail
    assert.equal(detail('xen1', 'ssh reachable'), 'root@xen1 answers')
    assert.equal(detail('xen1', 'VFs assignable'), '3 VFs: 2 free (0000:04:10.1, 0000:04:10.3), 1 in use')
    assert.equal(detail('xen2', 'link speed known'), '25000 Mbit/s (port.speedMbps)')
    // Read as collect reads it: the domain whose name Sova refuses is named, with why.
    assert.equal(detail('xen1', 'domains managed'), '2 VMs managed; 1 not managed (document "unmanaged"; their VFs and traffic still count): "bad name": its name holds a space (Sova accepts letters, digits and . _ : @ + -)')
    assert.equal(detail('xen2', 'domains managed'), '1 VM managed, none left out')
    // Which counters each port's load is read from, and why: mlx5's port counters; xen2 has no ethtool.
    assert.equal(detail('xen1', 'port basis'), 'port-counters: mlx5_core port counters rx_bytes_phy/tx_bytes_phy from ethtool -S')
    assert.match(detail('xen2', 'port basis') ?? '', /^pf\+vfs: ethtool -i eth0 failed: bash: line 1: ethtool: command not found; .*PF plus 2 VF\(s\) from ip -s link/)
  })

  it('a host with no assignable VF: that row FAILs with a fix, exit 1, the others still pass', async () => {
    // Protects the "what is wrong and how to fix it" row and exit 1 for a failed check.
    const {doctor, editWorld} = lab()
    editWorld((w) => {
      w.hosts.xen2.assignable = []
    })
    const result = await doctor([])
    assert.equal(result.exitCode, 1)
    assert.equal(oneLine(result.stderr), 'sova doctor: 1 check failed (see the fix column)')
    const rows = documents(result.stdout)
    assert.equal(rows.length, 20)
    assert.deepEqual(rows.filter((row) => row.result !== 'pass'), [
      {
        host: 'xen2',
        check: 'VFs assignable',
        result: 'FAIL',
        detail: 'none of the VFs of eth0 is assignable or assigned',
        fix: 'xl pci-assignable-add <BDF> for each VF Sova may hand out',
      },
    ])
  })

  it('a port read on the PF alone (no ethtool, no VF counters in ip) FAILs with how to read the whole port', async () => {
    // The PF's counters miss every VF's traffic: the hotspot predictor would be blind there.
    const {doctor, editWorld} = lab()
    editWorld((w) => {
      w.hosts.xen2.vfStatsReported = false
    })
    const result = await doctor([])
    assert.equal(result.exitCode, 1)
    assert.equal(oneLine(result.stderr), 'sova doctor: 1 check failed (see the fix column)')
    const [failed, ...others] = documents(result.stdout).filter((row) => row.result !== 'pass')
    assert.deepEqual(others, [])
    assert.deepEqual([failed.host, failed.check], ['xen2', 'port basis'])
    assert.match(failed.detail, /^pf-only: .*VF 0 has no byte counters in ip -s -j link.*PF counters only \(VF traffic missing\)$/)
    assert.match(failed.fix, /^install ethtool on the host/)
  })

  it('a host whose ssh fails: its first row says how to fix ssh, the rest are not checked', async () => {
    // Protects the dead-ssh report: one cause, no failures (or fixes) for the checks behind it.
    const {doctor, editWorld, calls} = lab()
    editWorld((w) => {
      w.hosts.xen1.reachable = false
    })
    const result = await doctor([])
    assert.equal(result.exitCode, 1)
    assert.equal(oneLine(result.stderr), 'sova doctor: 1 check failed, 9 not checked behind it (see the fix column)')
    const xen1 = documents(result.stdout).filter((row) => row.host === 'xen1')
    assert.deepEqual(xen1[0], {
      host: 'xen1',
      check: 'ssh reachable',
      result: 'FAIL',
      detail: 'ssh: connect to host xen1 port 22: Connection refused',
      fix: 'make "ssh -o BatchMode=yes root@xen1 true" work (key-based login, known host key)',
    })
    assert.deepEqual(xen1.slice(1, -2).map((row) => [row.result, row.detail, row.fix]), CHECKS.slice(1, -2).map(() => ['not checked', 'not checked: ssh does not answer', '']))
    assert.deepEqual(xen1.slice(-2), ['domains managed', 'port basis'].map((check) => ({host: 'xen1', check, result: 'not checked', detail: 'not checked: ssh reachable failed', fix: ''})))
    assert.deepEqual(calls().filter((call) => call.host === 'xen1'), [], 'nothing ran on xen1')
  })

  it('a host whose name does not resolve: that is the one cause, said once, the rest not checked', async () => {
    // Protects the DNS case: not ten failures with configuration fixes, but the name and what to do.
    const {doctor, editWorld} = lab()
    editWorld((w) => {
      w.hosts.xen2.resolves = false
    })
    const result = await doctor([])
    assert.equal(result.exitCode, 1)
    assert.equal(oneLine(result.stderr), 'sova doctor: 1 check failed, 9 not checked behind it (see the fix column)')
    const rows = documents(result.stdout)
    assert.ok(rows.filter((row) => row.host === 'xen1').every((row) => row.result === 'pass'), 'the other host is checked as usual')
    const xen2 = rows.filter((row) => row.host === 'xen2')
    assert.deepEqual(xen2.filter((row) => row.result === 'FAIL'), [{
      host: 'xen2',
      check: 'ssh reachable',
      result: 'FAIL',
      detail: 'xen2: name does not resolve (ssh: Could not resolve hostname xen2: Name or service not known)',
      fix: 'make "xen2" resolve here (DNS or /etc/hosts), or write its address in the host\'s "ssh"',
    }])
    assert.deepEqual(xen2.slice(1, -2).map((row) => row.detail), CHECKS.slice(1, -2).map(() => 'not checked: xen2 does not resolve'))
    assert.ok(xen2.slice(1).every((row) => row.result === 'not checked' && row.fix === ''))
  })

  it('no configuration file: says there is none and where it looked, not that it lists no hosts', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sova-doctor-home-'))
    const system = mkdtempSync(join(tmpdir(), 'sova-doctor-etc-'))
    const result = await sova(['doctor'], {state: freshStateDir(), env: {SOVA_CONFIG: '', XDG_CONFIG_HOME: home, SOVA_SYSTEM_CONFIG_DIR: system}})
    assert.equal(result.exitCode, 2)
    assert.equal(String(result.stdout), '')
    assert.equal(oneLine(result.stderr), `sova doctor: no configuration file: no config.yaml, config.yml or config.json in ${join(home, 'sova')} or ${system} (write one listing the hosts, see docs/configuration.md; or name one with --config or $SOVA_CONFIG; sova config path shows the order)`)
  })

  it('only the hosts named, and nothing run on the others', async () => {
    // Protects `sova doctor HOST`: the operator checks the one host they are fixing.
    const {doctor, calls} = lab()
    const result = await doctor(['xen2'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.deepEqual([...new Set(documents(result.stdout).map((row) => row.host))], ['xen2'])
    assert.deepEqual(calls().filter((call) => call.host === 'xen1' || call.argv.includes('root@xen1')), [])
  })

  it('an unknown host is a usage error naming it (exit 2), nothing contacted', async () => {
    // Protects the typo case: no checks of the wrong host list, one line that says which name.
    const {doctor, calls} = lab()
    const result = await doctor(['nosuchhost'])
    assert.equal(result.exitCode, 2)
    assert.equal(String(result.stdout), '')
    assert.equal(oneLine(result.stderr), 'sova doctor: nosuchhost: not in the configuration (hosts: xen1, xen2)')
    assert.deepEqual(calls(), [])
  })

  it('a configuration without hosts is a usage error (exit 2)', async () => {
    // Protects the "nothing to check" case (the sim cluster needs no doctor).
    const {doctor} = lab()
    const result = await doctor([], config('no-hosts.json'))
    assert.equal(result.exitCode, 2)
    assert.equal(String(result.stdout), '')
    assert.equal(oneLine(result.stderr), `sova doctor: no hosts to check: ${config('no-hosts.json')} lists none (add a "hosts" list (see sova config check))`)
  })

  it('an invalid configuration is refused with exit 65, naming the file and the JSON path', async () => {
    // Protects --config validation in front of doctor: a typo in a key is never ignored.
    const {doctor, calls} = lab()
    const result = await doctor([], config('xen-typo.json'))
    assert.equal(result.exitCode, 65)
    assert.equal(String(result.stdout), '')
    assert.equal(oneLine(result.stderr), `sova doctor: ${config('xen-typo.json')}:4: hosts[0].shh: unknown key in hosts[0] (see docs/configuration.md)`)
    assert.deepEqual(calls(), [])
  })
})
