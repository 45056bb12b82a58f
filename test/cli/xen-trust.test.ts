// ISSUE 12 on a Xen cluster, through the built CLI and the scripted stand-ins: only the domain
// meant is acted on, a VF is given back as it was taken, domains Sova does not manage are said,
// and a tool's unreadable output is a host that gave no readings (69), not an internal error.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {documents} from './helpers.js'
import {acting, lab} from './xen-lab.js'

/** A domain on xen1 named "6", which is db1's domid: xl would read the name as db1. */
function addDomainNamedSix(world: any): void {
  world.domains['6'] = {
    host: 'xen1', domid: 9, state: '-b----', cpuSeconds: 1, vifs: {0: [1000, 2000]},
    config: {c_info: {name: '6', uuid: '66666666-0000-4000-8000-000000000006'}, b_info: {max_vcpus: 1, max_memkb: 524288}},
  }
}

describe('sova on Xen: the VM meant, given back as taken, the others said (ISSUE 12)', () => {
  it('collect: each VM with its domain UUID; domains Sova refuses listed as unmanaged with why', async () => {
    const {run, editWorld} = lab()
    editWorld(addDomainNamedSix)
    const result = await run(['collect', '--quiet'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.hosts[0].vms.map((vm: any) => [vm.name, vm.uuid]), [
      ['web1', '8c6a2f3e-51b2-4a7c-9d0e-1f2a3b4c5d61'],
      ['db1', '2b1d0e9f-7a6c-4b5d-8e3f-a0b1c2d3e4f5'],
    ])
    assert.deepEqual(doc.unmanaged, [
      {host: 'xen1', name: 'bad name', uuid: '0f0e0d0c-0b0a-4909-8807-060504030201', why: 'its name holds a space (Sova accepts letters, digits and . _ : @ + -)', vf: null},
      {host: 'xen1', name: '6', uuid: '66666666-0000-4000-8000-000000000006', why: 'its name is all digits, which xl reads as a domain id', vf: null},
    ])
  })

  for (const args of [['switch-vf', '6', '--to', 'pv'], ['migrate', '6', '--to', 'xen2']]) {
    it(`sova ${args.join(' ')}: a domain named all digits is refused with exit 2 and why, and nothing is acted on`, async () => {
      const {run, calls, editWorld} = lab()
      editWorld(addDomainNamedSix)
      const result = await run(args)
      assert.equal(result.exitCode, 2, String(result.stderr))
      assert.equal(String(result.stdout), '')
      assert.equal(String(result.stderr), `sova ${args[0]}: VM 6 on xen1 is not managed by Sova: its name is all digits, which xl reads as a domain id; nothing done\n`)
      assert.deepEqual(acting(calls()), [])
    })
  }

  it('a failed migration gives db1 its VF back in the same guest slot with the same options', async () => {
    const {run, calls, editWorld, readWorld} = lab()
    editWorld((world) => {
      world.domains.db1.quirks = {'migrate-fails': true}
    })
    const before = readWorld().domains.db1.config.pcidevs
    const result = await run(['migrate', 'db1', '--to', 'xen2'])
    assert.equal(result.exitCode, 1, String(result.stderr))
    assert.deepEqual(acting(calls()), [
      'xen1: xl pci-detach 6 0000:04:10.5',
      'xen1: xl migrate 6 xen2',
      // Its own pci-list entry and config options, not a bare BDF.
      'xen1: xl pci-attach 6 0000:04:10.5@05,permissive=1',
    ])
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.actions.map((a: any) => [a.kind, a.status]), [['detach-vf', 'done'], ['migrate', 'failed'], ['attach-vf', 'done']])
    assert.deepEqual(readWorld().domains.db1.config.pcidevs, before)
  })

  it('xl list -l cut short on every host: exit 69 naming the tool, no document', async () => {
    const {run, editWorld} = lab()
    editWorld((world) => {
      for (const host of Object.values(world.hosts) as any[]) host.quirks = {'truncate-list-long': true}
    })
    const result = await run(['collect', '--quiet'])
    assert.equal(result.exitCode, 69, String(result.stderr))
    assert.equal(String(result.stdout), '')
    const lines = String(result.stderr).trim().split('\n')
    assert.equal(lines.length, 1, String(result.stderr))
    assert.match(lines[0], /^sova collect: no host gave readings Sova could use: xen1: xl list -l printed output that could not be parsed: .+ \(and 1 more: xen2\) \(run the tool on the host by hand; "sova doctor" checks that it works\)$/)
  })

  it('xl list -l cut short on one host: that host is missing, its reason naming the tool', async () => {
    const {run, editWorld} = lab()
    editWorld((world) => {
      world.hosts.xen2.quirks = {'truncate-list-long': true}
    })
    const result = await run(['collect', '--quiet'])
    assert.equal(result.exitCode, 69, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.hosts.map((host: any) => host.name), ['xen1'])
    assert.match(doc.missing[0].reason, /^its readings could not be used: xl list -l printed output that could not be parsed: /)
  })
})
