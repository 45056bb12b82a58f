// sova export through the CLI: on the simulator (one simulated host), on the Xen stand-in tools
// (ethtool's port counters, ip's VF counters), and refusing what it cannot do with nothing written.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {BIN, freshStateDir, sova} from './helpers.js'
import {CONFIG, lab} from './xen-lab.js'
import {type ParsedFamily, parseExposition} from '../metrics/parse-exposition.js'

const FILE = 'sova-export.prom'
const scratch = () => mkdtempSync(join(tmpdir(), 'sova-export-cli-'))
const series = (families: ParsedFamily[], name: string): Record<string, any>[] => (families.find((family) => family.name === name)?.metrics ?? []).map((metric) => ({...metric.labels, value: Number(metric.value)}))

describe('sova export --textfile', () => {
  it('writes one simulated host, readable by node_exporter (0644 under umask 077), nothing on stdout', async () => {
    const state = freshStateDir()
    const dir = scratch()
    const before = Date.now() / 1000
    // umask 077, as a root shell may have: the file must still be readable by node_exporter's user.
    const result = await execa('bash', ['-c', 'umask 077; exec "$@"', 'sova', process.execPath, BIN, 'export', '--backend', 'sim', '--host', 'host1', '--textfile', dir], {
      reject: false,
      env: {SOVA_STATE_DIR: state, SOVA_CONFIG: ''},
    })
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(result.stdout, '')
    assert.deepEqual(readdirSync(dir), [FILE], 'no temporary file left beside it')
    assert.equal(statSync(join(dir, FILE)).mode & 0o777, 0o644)
    const families = parseExposition(readFileSync(join(dir, FILE), 'utf8'))
    const [stamp] = series(families, 'sova_textfile_timestamp_seconds')
    assert.ok(stamp.value >= Math.floor(before) && stamp.value <= Date.now() / 1000 + 1)
    assert.equal(series(families, 'sova_port_info')[0].device, 'p5p1')
    // The paper scenario's host1: 8 VFs, 6 held; 12 VMs, each with its path.
    const vfs = series(families, 'sova_vf_info')
    assert.equal(vfs.length, 8)
    assert.equal(vfs.filter((vf) => vf.domain === '').length, 2)
    const domains = series(families, 'sova_domain_info')
    assert.equal(domains.length, 12)
    for (const vf of vfs.filter((entry) => entry.domain !== '')) assert.ok(domains.some((d) => d.domain === vf.domain && d.vf === vf.vf && d.path === 'vf'), `${vf.domain} holds ${vf.vf}`)
  })

  it('reads a Xen host through its driver: the port counters by driver, the pool with holders, each VF\'s own counters', async () => {
    const xen = lab()
    const dir = scratch()
    // --remote: over the configured ssh (the stand-in), as from a management host.
    const result = await xen.run(['export', '--remote', '--host', 'xen1', '--textfile', dir])
    assert.equal(result.exitCode, 0, String(result.stderr))
    const families = parseExposition(readFileSync(join(dir, FILE), 'utf8'))
    assert.deepEqual(series(families, 'sova_port_info'), [{device: 'eth0', driver: 'mlx5_core', basis: 'port-counters', value: 1}])
    // mlx5's rx_bytes_phy: the PF's own row plus both VFs' traffic (world.json), as the MAC counts it.
    assert.deepEqual(series(families, 'sova_port_receive_bytes_total'), [{device: 'eth0', value: 912_345_678_901 + 5_000_000 + 900_000}])
    assert.deepEqual(series(families, 'sova_vf_info'), [
      {pf: 'eth0', vf: '0000:04:10.1', domain: '', uuid: '', value: 1},
      {pf: 'eth0', vf: '0000:04:10.3', domain: '', uuid: '', value: 1},
      {pf: 'eth0', vf: '0000:04:10.5', domain: 'db1', uuid: '2b1d0e9f-7a6c-4b5d-8e3f-a0b1c2d3e4f5', value: 1},
    ])
    // db1 has a guest agent, so collect would not read ip; export reads every VF's counters.
    assert.deepEqual(series(families, 'sova_vf_receive_bytes_total').filter((vf) => vf.value > 0), [
      {pf: 'eth0', vf: '0000:04:10.1', value: 5_000_000},
      {pf: 'eth0', vf: '0000:04:10.5', value: 900_000},
    ])
    assert.deepEqual(series(families, 'sova_domain_receive_bytes_total').map((s) => [s.domain, s.basis]), [['db1', 'agent'], ['web1', 'vif']])
    // xen2 has no ethtool: PF plus VFs, and no driver known.
    assert.equal((await xen.run(['export', '--remote', '--host', 'xen2', '--textfile', dir])).exitCode, 0)
    assert.deepEqual(series(parseExposition(readFileSync(join(dir, FILE), 'utf8')), 'sova_port_info'), [{device: 'eth0', driver: '', basis: 'pf+vfs', value: 1}])
  })

  it('a host that does not answer exits 69 and leaves the last file as it was', async () => {
    const xen = lab()
    const dir = scratch()
    writeFileSync(join(dir, FILE), 'last\n')
    xen.editWorld((world) => (world.hosts.xen1.reachable = false))
    const result = await xen.run(['export', '--remote', '--host', 'xen1', '--textfile', dir])
    assert.equal(result.exitCode, 69, String(result.stderr))
    assert.equal(readFileSync(join(dir, FILE), 'utf8'), 'last\n')
  })

  it('without --remote reads the host with this machine\'s own tools: no ssh, xl run here, files read here', async () => {
    // A port no machine has, so that reading this machine's /proc/net/dev fails the same everywhere.
    const config = JSON.parse(readFileSync(CONFIG, 'utf8'))
    config.hosts[0].port.device = 'sovatest0'
    const file = join(scratch(), 'xen-local.json')
    writeFileSync(file, JSON.stringify(config))
    const xen = lab(file)
    const dir = scratch()
    const result = await xen.run(['export', '--host', 'xen1', '--textfile', dir])
    assert.equal(result.exitCode, 2, String(result.stderr))
    assert.match(String(result.stderr), /^sova export: xen1: port sovatest0 is not in \/proc\/net\/dev \(local\)/)
    assert.ok(xen.calls().some((call) => call.argv.join(' ') === 'xl info'))
    assert.deepEqual(xen.calls().filter((call) => call.argv[0] === 'ssh'), [], 'no ssh to itself')
    assert.deepEqual(readdirSync(dir), [])
  })

  it('refuses a bad DIR (65) or an unknown host (2) in one line, writing nothing', async () => {
    const state = freshStateDir()
    const dir = scratch()
    const plain = join(dir, 'plain')
    writeFileSync(plain, '')
    const cases: [string[], number, RegExp][] = [
      [['--host', 'host1', '--textfile', join(dir, 'missing')], 65, /^sova export: --textfile .*missing: no such directory; nothing was written/],
      [['--host', 'host1', '--textfile', plain], 65, /^sova export: --textfile .*plain: not a directory/],
      [['--host', 'host1', '--textfile', '/proc'], 65, /^sova export: --textfile \/proc: not writable/],
      [['--host', 'nosuch', '--textfile', dir], 2, /^sova export: --host nosuch: not a host of the simulated cluster \(hosts: host1, host2, host3\)/],
      [['--textfile', dir], 2, /^sova export: no host of the simulated cluster is named ".*" \(this machine's hostname\) \(pass --host NAME, one of: host1, host2, host3\)/],
      [['--host', 'host1'], 2, /^sova export: --textfile is required/],
    ]
    for (const [args, exit, message] of cases) {
      const result = await sova(['export', '--backend', 'sim', ...args], {state, env: {SOVA_CONFIG: ''}})
      assert.equal(result.exitCode, exit, `${args.join(' ')}: ${result.stderr}`)
      assert.match(String(result.stderr), message)
      assert.equal(String(result.stderr).trim().split('\n').length, 1)
    }
    assert.deepEqual(readdirSync(dir), ['plain'])
    assert.equal(existsSync(join(dir, 'missing')), false)
  })
})
