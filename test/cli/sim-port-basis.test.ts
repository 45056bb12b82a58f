// The simulator's NIC splits traffic as a real SR-IOV NIC does: a VF's traffic on the VF's own
// counters only, PV traffic and migration streams on the PF's, everything on the port counters.
// In a scenario where VFs carry most of a host's traffic, reading the PF alone (a NIC without
// port or VF counters, nicCounters: pf-only) misses the hotspot; reading the whole port finds it.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {documents, freshStateDir, sova} from './helpers.js'

const SCENARIO = join(import.meta.dirname, '..', 'fixtures', 'sim', 'vf-heavy.json')

/** The scenario with rack-a's NIC offering only `nicCounters` (undefined: the file as it is). */
function scenarioWith(nicCounters: string | undefined): string {
  const file = JSON.parse(readFileSync(SCENARIO, 'utf8'))
  if (nicCounters !== undefined) file.hosts[0].nicCounters = nicCounters
  const path = join(mkdtempSync(join(tmpdir(), 'sova-vf-heavy-')), 'vf-heavy.json')
  writeFileSync(path, JSON.stringify(file))
  return path
}

/** Three planning cycles (the hotspot window) on a fresh simulator, touching nothing: the last document. */
async function lastCycle(nicCounters: string | undefined) {
  const state = freshStateDir()
  const env = {SOVA_CONFIG: ''}
  const reset = await sova(['sim', 'reset', '--scenario', scenarioWith(nicCounters), '--quiet'], {state, env})
  assert.equal(reset.exitCode, 0, String(reset.stderr))
  const run = await sova(['run', '--cycles', '3', '--interval', '0s', '--dry-run', '--format', 'json', '--quiet'], {state, env})
  assert.equal(run.exitCode, 0, String(run.stderr))
  return documents(run.stdout).at(-1)
}

describe('simulated NIC: PF, VF and port counters', () => {
  it('read on the whole port, the VFs\' traffic makes rack-a a hotspot and a move is planned; read on the PF alone it is missed', async () => {
    const whole = await lastCycle(undefined)
    const rackA = whole.hosts.find((host: any) => host.name === 'rack-a')
    assert.equal(rackA.nic.basis, 'port-counters')
    // Four VF senders at 2.5 Gbit/s each, cut to the port's 9.4 Gbit/s usable: 1.175 GB/s out.
    assert.equal(rackA.nic.txBps, 1_175_000_000)
    assert.equal(whole.scores.hosts['rack-a'].hot, true, whole.scores.hosts['rack-a'].reason)
    assert.ok(whole.actions.some((action: any) => action.kind === 'migrate' && action.status === 'dry-run'), 'a migration is planned off rack-a')

    const pfOnly = await lastCycle('pf-only')
    const blind = pfOnly.hosts.find((host: any) => host.name === 'rack-a')
    assert.equal(blind.nic.basis, 'pf-only')
    assert.match(blind.nic.basisWhy, /VF traffic missing/)
    // Only the PV VM's 300 Mbit/s crosses the PF: the VFs' 9.4 Gbit/s are switched inside the NIC.
    assert.equal(blind.nic.txBps, 37_500_000)
    const score = pfOnly.scores.hosts['rack-a']
    assert.equal(score.hot, false)
    assert.ok(score.utilisation < score.threshold, `${score.utilisation} under ${score.threshold}`)
    assert.deepEqual(pfOnly.actions.filter((action: any) => action.kind === 'migrate'), [])
  })

  it('a NIC without port counters but with VF counters (pf+vfs) reads what the port counters read', async () => {
    const summed = (await lastCycle('pf+vfs')).hosts.find((host: any) => host.name === 'rack-a')
    assert.equal(summed.nic.basis, 'pf+vfs')
    assert.equal(summed.nic.txBps, 1_175_000_000)
  })

  it('export publishes each VF\'s own counters and the port on its basis', async () => {
    const state = freshStateDir()
    const env = {SOVA_CONFIG: ''}
    await sova(['sim', 'reset', '--scenario', scenarioWith(undefined), '--quiet'], {state, env})
    await sova(['run', '--cycles', '1', '--interval', '0s', '--dry-run', '--quiet', '--format', 'json'], {state, env})
    const dir = mkdtempSync(join(tmpdir(), 'sova-vf-heavy-export-'))
    const result = await sova(['export', '--backend', 'sim', '--host', 'rack-a', '--textfile', dir], {state, env})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const text = readFileSync(join(dir, 'sova-export.prom'), 'utf8')
    assert.match(text, /^sova_port_info\{device="p5p1",driver="sim",basis="port-counters"\} 1$/m)
    const vfTx = [...text.matchAll(/^sova_vf_transmit_bytes_total\{pf="p5p1",vf="([^"]+)"\} (\d+)$/gm)].map((match) => Number(match[2]))
    const portTx = Number(/^sova_port_transmit_bytes_total\{device="p5p1"\} (\d+)$/m.exec(text)?.[1])
    assert.equal(vfTx.length, 4)
    assert.ok(vfTx.every((tx) => tx > 0))
    // The port counts the VFs and the PV VM: more than the VFs alone, by the PV VM's share.
    const vfSum = vfTx.reduce((sum, tx) => sum + tx, 0)
    assert.ok(portTx > vfSum && (portTx - vfSum) / portTx < 0.05, `port ${portTx}, VFs ${vfSum}`)
  })
})
