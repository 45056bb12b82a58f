// A host whose `ip` fails or prints what cannot be read is left out of the sample, named with the
// command: read as "no VF counters", its VMs on VFs would look idle and lose their VFs.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {type HostDriverContext, readVfCountersOf, UnreadableOutputError} from '../../src/lib/backends/hosts/driver.js'
import type {HostShell, ToolResult} from '../../src/lib/exec.js'

function contextWith(result: Partial<ToolResult>): HostDriverContext {
  const shell: HostShell = {
    where: 'root@kvm1',
    run: async (file, args) => ({command: [file, ...args], exitCode: 0, stdout: '', stderr: '', timedOut: false, notFound: false, durationMs: 1, ...result}),
    readText: async () => undefined,
    list: async () => undefined,
    linkTarget: async () => undefined,
  }
  return {host: {name: 'kvm1', backend: 'libvirt', port: {device: 'enp3s0f0'}}, shell, timeouts: {toolMs: 1000, migrateMs: 1000}, now: () => 0}
}

const SRIOV = {vfs: [{index: 0, address: '0000:03:10.0'}]} as Parameters<typeof readVfCountersOf>[1]

describe('per-VF counters from ip', () => {
  it('reads ip\'s JSON by VF number', async () => {
    const stdout = JSON.stringify([{vfinfo_list: [{vf: 0, address: '02:00:00:00:00:01', stats: {rx: {bytes: 10}, tx: {tx_bytes: 20}}}]}])
    assert.deepEqual([...(await readVfCountersOf(contextWith({stdout}), SRIOV))], [['0000:03:10.0', {rxBytes: 10, txBytes: 20}]])
  })

  it('a VF without a stats block (ip without -s, old iproute2) is unavailable, not a VF without traffic', async () => {
    const stdout = JSON.stringify([{vfinfo_list: [{vf: 0, address: '02:00:00:00:00:01'}]}])
    assert.deepEqual([...(await readVfCountersOf(contextWith({stdout}), SRIOV))], [])
  })

  it('output that is not ip\'s JSON: the host is unreadable, naming host and command, never VFs without traffic', async () => {
    for (const stdout of ['[{"ifname": "enp3s0f0", "vfinfo_li', '{"not": "a list"}', '']) {
      await assert.rejects(readVfCountersOf(contextWith({stdout}), SRIOV), (error: unknown) => {
        assert.ok(error instanceof UnreadableOutputError)
        assert.match(error.message, /^kvm1: ip -s -j -d link show enp3s0f0 printed output that could not be parsed: /)
        return true
      })
    }
  })

  it('ip that fails or times out: the host is unreadable, with ip\'s own words', async () => {
    await assert.rejects(readVfCountersOf(contextWith({exitCode: 255, stderr: 'Option "-j" is unknown, try "ip -help".\n'}), SRIOV), /^UnreadableOutputError: kvm1: ip -s -j -d link show enp3s0f0 failed \(exit 255\): Option "-j" is unknown/)
    await assert.rejects(readVfCountersOf(contextWith({exitCode: undefined, timedOut: true}), SRIOV), /failed \(timed out\)/)
  })
})
