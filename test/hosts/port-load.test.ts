// The whole port's reading of a real host through its shell: ethtool's port counters when the driver
// has them, else PF + VFs, else the PF alone, each saying why; ethtool missing or failing never loses
// the host, and the device name reaches the tools as one argument.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import type {HostDriverContext} from '../../src/lib/backends/hosts/driver.js'
import {readPortLoad} from '../../src/lib/backends/hosts/port-load.js'
import type {HostShell, ToolResult} from '../../src/lib/exec.js'

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ethtool', name), 'utf8')
const PF = {rxBytes: 1000, txBytes: 2000}

/** A host whose tools answer from `outputs` ("ethtool -S", "ethtool -i", "ip"); others are not found. */
function hostWith(outputs: Record<string, string | Partial<ToolResult>>, device = 'enp59s0f0np0') {
  const calls: string[][] = []
  const shell: HostShell = {
    where: 'root@kvm1',
    run: async (file, args) => {
      calls.push([file, ...args])
      const key = file === 'ethtool' ? `ethtool ${args[0]}` : file
      const out = outputs[key]
      const base: ToolResult = {command: [file, ...args], exitCode: 0, stdout: '', stderr: '', timedOut: false, notFound: false, durationMs: 1}
      if (out === undefined) return {...base, exitCode: 127, notFound: true}
      return typeof out === 'string' ? {...base, stdout: out} : {...base, ...out}
    },
    readText: async () => undefined,
    list: async () => undefined,
    linkTarget: async () => undefined,
  }
  const ctx: HostDriverContext = {host: {name: 'kvm1', backend: 'libvirt', port: {device}}, shell, timeouts: {toolMs: 1000, migrateMs: 1000}, now: () => 0}
  return {ctx, calls}
}

describe('the port\'s load read on a host', () => {
  it('mlx5_core: the port counters of ethtool -S, without reading ip', async () => {
    const {ctx, calls} = hostWith({'ethtool -i': fixture('mlx5_core-i.txt'), 'ethtool -S': fixture('mlx5_core-S.txt')})
    const load = await readPortLoad(ctx, PF)
    assert.deepEqual([load.basis, load.rxBytes, load.txBytes], ['port-counters', 982334011876, 861201977345])
    assert.deepEqual(calls, [['ethtool', '-i', 'enp59s0f0np0'], ['ethtool', '-S', 'enp59s0f0np0']])
  })

  it('no ethtool: PF plus the VFs of ip -s -j link, saying ethtool was not found', async () => {
    const {ctx} = hostWith({ip: fixture('ip-s-j-link-vfs.json')})
    const load = await readPortLoad(ctx, PF)
    assert.equal(load.basis, 'pf+vfs')
    assert.deepEqual([load.rxBytes, load.txBytes], [1000 + 511002334019 + 402110020031, 2000 + 430221007211 + 401002211010])
    assert.match(load.why, /^ethtool: not found .*driver unknown/)
  })

  it('ip output the snapshot already read is reused, not read again', async () => {
    const {ctx, calls} = hostWith({})
    const load = await readPortLoad(ctx, PF, fixture('ip-s-j-link-vfs.json'))
    assert.equal(load.basis, 'pf+vfs')
    assert.ok(!calls.some(([file]) => file === 'ip'))
  })

  it('no ethtool, VFs without stats: the PF alone, saying VF traffic is missing', async () => {
    const {ctx} = hostWith({ip: fixture('ip-j-link-vfs-nostats.json')})
    const load = await readPortLoad(ctx, PF)
    assert.deepEqual([load.basis, load.rxBytes, load.txBytes], ['pf-only', 1000, 2000])
    assert.match(load.why, /has no byte counters.*VF traffic missing/)
  })

  it('ethtool -S that cannot be read, and ip that fails: the host is still read, PF only, both said', async () => {
    const {ctx} = hostWith({'ethtool -i': fixture('mlx5_core-i.txt'), 'ethtool -S': 'garbage\n', ip: {exitCode: 1, stderr: 'Device does not exist.'}})
    const load = await readPortLoad(ctx, PF)
    assert.equal(load.basis, 'pf-only')
    assert.match(load.why, /ethtool -S printed what could not be read .*ip -s -j -d link show enp59s0f0np0 failed: Device does not exist/)
  })

  it('a tool that fails with a flood of words: the why stays short enough for the document', async () => {
    const {ctx} = hostWith({'ethtool -i': {exitCode: 1, stderr: 'x'.repeat(5000)}, 'ethtool -S': {exitCode: 1, stderr: 'y'.repeat(5000)}, ip: {exitCode: 1, stderr: 'z'.repeat(5000)}})
    const load = await readPortLoad(ctx, PF)
    assert.equal(load.basis, 'pf-only')
    assert.ok(load.why.length < 1000, `${load.why.length} characters`)
  })

  it('a device name that is not an interface name never reaches a tool', async () => {
    const {ctx, calls} = hostWith({}, 'eth0; reboot')
    assert.equal((await readPortLoad(ctx, PF)).basis, 'pf-only')
    assert.deepEqual(calls, [])
  })
})
