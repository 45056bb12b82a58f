// The Xen driver acts on exactly the domain meant and gives back exactly what it took (ISSUE 12
// §1-§3), against the scripted stand-ins of test/fixtures/bin/xen.
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {UsageError} from '../../src/lib/errors.js'
import {formatPciSpec, parsePciSpec} from '../../src/lib/backends/xen/pci-spec.js'
import {calls, commandsOn, driverFor, editWorld, readWorld, ref, UUIDS, XEN1, XEN2} from './fake-xen.js'

/** The xl calls that change a domain. */
const acting = () => commandsOn('xen1', 'xl').filter((command) => /^xl (pci-attach|pci-detach|migrate) /.test(command))

describe('Xen driver: the domain meant, by its UUID', () => {
  it('refuses attach, detach and migrate when the name now bears another UUID (the domain was recreated), and acts on nothing', async () => {
    editWorld((world) => {
      world.domains.web1.config.c_info.uuid = '11111111-2222-4333-8444-555555555555'
    })
    const xen1 = driverFor(XEN1)
    const meant = UUIDS.web1
    for (const result of [await xen1.attachVf(ref('web1'), '0000:04:10.1'), await xen1.detachVf(ref('web1'), '0000:04:10.1'), await xen1.migrate(ref('web1'), XEN2)]) {
      assert.equal(result.ok, false)
      assert.equal(!result.ok && result.error, `refused: web1 on xen1 is now domain 11111111-2222-4333-8444-555555555555, not ${meant} as meant: nothing done`)
    }
    assert.deepEqual(acting(), [])
    assert.deepEqual(commandsOn('xen1', 'xl'), ['xl list -l web1', 'xl list -l web1', 'xl list -l web1'])
  })

  it('refuses a domain named all digits (here db1\'s domid) before any tool runs, and lists it as unmanaged', async () => {
    // "6" is db1's domid: a domain named 6 could only ever be reached as db1 by xl.
    editWorld((world) => {
      world.domains['6'] = {host: 'xen1', domid: 9, state: '-b----', cpuSeconds: 1, vifs: {}, config: {c_info: {name: '6', uuid: '99999999-8888-4777-8666-555555555555'}, b_info: {max_vcpus: 1, max_memkb: 524288}}}
    })
    const xen1 = driverFor(XEN1)
    await assert.rejects(xen1.detachVf({name: '6', uuid: '99999999-8888-4777-8666-555555555555'}, '0000:04:10.5'), UsageError)
    assert.deepEqual(calls(), [])
    const host = await xen1.snapshot()
    assert.deepEqual(host.vms.map((vm) => vm.name), ['web1', 'db1'])
    assert.deepEqual(host.unmanaged?.find((entry) => entry.name === '6'), {
      host: 'xen1', name: '6', uuid: '99999999-8888-4777-8666-555555555555', why: 'its name is all digits, which xl reads as a domain id', vf: null,
    })
  })

  it('says why a domain it cannot find is not acted on', async () => {
    const result = await driverFor(XEN1).detachVf(ref('app2'), '0000:04:10.5')
    assert.equal(result.ok, false)
    assert.equal(!result.ok && result.error, 'cannot look app2 up on xen1: app2 is an invalid domain identifier (rc=-6)')
    assert.deepEqual(acting(), [])
  })
})

describe('Xen driver: a VF given back as it was taken', () => {
  it('a done detach returns the device with its guest slot and options; restore re-attaches it with them', async () => {
    editWorld((world) => {
      world.domains.db1.config.pcidevs = [{func: 5, dev: 16, bus: 4, vdevfn: 0x38, permissive: true, msitranslate: true, seize: false, power_mgmt: true, rdm_policy: 'relaxed'}]
    })
    const before = readWorld().domains.db1.config.pcidevs
    const xen1 = driverFor(XEN1)
    const detached = await xen1.detachVf(ref('db1'), '0000:04:10.5')
    assert.ok(detached.ok, JSON.stringify(detached))
    const device = {vf: '0000:04:10.5', definition: '0000:04:10.5@07,permissive=1,msitranslate=1,seize=0,power_mgmt=1,rdm_policy=relaxed'}
    assert.deepEqual(detached.device, device)
    assert.equal(readWorld().domains.db1.config.pcidevs, undefined)

    const given = await xen1.attachVf(ref('db1'), '0000:04:10.5', device)
    assert.ok(given.ok, JSON.stringify(given))
    assert.deepEqual(acting(), ['xl pci-detach 6 0000:04:10.5', `xl pci-attach 6 ${device.definition}`])
    // The domain's config holds the device exactly as before: same slot, same options.
    assert.deepEqual(readWorld().domains.db1.config.pcidevs, before)
  })

  it('keeps the fixture\'s db1 VF as xl\'s spec (slot 05, permissive); a plain attach takes the next free slot without options', async () => {
    const xen1 = driverFor(XEN1)
    const detached = await xen1.detachVf(ref('db1'), '0000:04:10.5')
    assert.deepEqual(detached.ok && detached.device, {vf: '0000:04:10.5', definition: '0000:04:10.5@05,permissive=1'})
    assert.ok((await xen1.attachVf(ref('web1'), '0000:04:10.1')).ok)
    assert.deepEqual(readWorld().domains.web1.config.pcidevs, [{func: 1, dev: 16, bus: 4, vdevfn: 40}])
  })

  for (const [what, definition] of [
    ['another device', '0000:04:10.1@05,permissive=1'],
    ['an option Sova never writes', '0000:04:10.5,name=eth0'],
    ['a shell word', '0000:04:10.5@05,permissive=1;reboot'],
    ['a slot above 1f', '0000:04:10.5@20'],
  ]) {
    it(`refuses to give back a kept device with ${what}, before any tool runs`, async () => {
      const result = await driverFor(XEN1).attachVf(ref('db1'), '0000:04:10.5', {vf: '0000:04:10.5', definition})
      assert.equal(result.ok, false)
      assert.match(!result.ok ? result.error : '', /^refused: the device kept to give back/)
      assert.deepEqual(calls(), [])
    })
  }
})

describe('Xen driver: domains Sova does not manage', () => {
  const LONG = 'v'.repeat(70)

  it('lists them with why; their VFs count in the pool and their traffic in a "vms" port', async () => {
    editWorld((world) => {
      // "web 2" holds VF 0000:04:10.3, so it is no longer assignable.
      world.hosts.xen1.assignable = ['0000:04:10.1', '0000:05:00.0']
      world.domains['web 2'] = {
        host: 'xen1', domid: 10, state: '-b----', cpuSeconds: 2, vifs: {0: [4_000, 6_000]},
        config: {c_info: {name: 'web 2', uuid: '3c3c3c3c-0000-4000-8000-000000000002'}, b_info: {max_vcpus: 1, max_memkb: 524288}, pcidevs: [{func: 3, dev: 16, bus: 4, vdevfn: 40}]},
      }
      world.domains[LONG] = {
        host: 'xen1', domid: 11, state: '-b----', cpuSeconds: 2, vifs: {0: [10_000, 20_000]},
        config: {c_info: {name: LONG, uuid: '3c3c3c3c-0000-4000-8000-000000000003'}, b_info: {max_vcpus: 1, max_memkb: 524288}},
      }
      delete world.domains['bad name']
    })
    const host = await driverFor({...XEN1, port: {device: 'eth0', counters: 'vms'}}).snapshot()
    assert.deepEqual(host.vms.map((vm) => vm.name), ['web1', 'db1'])
    assert.deepEqual(host.unmanaged, [
      {host: 'xen1', name: 'web 2', uuid: '3c3c3c3c-0000-4000-8000-000000000002', why: 'its name holds a space (Sova accepts letters, digits and . _ : @ + -)', vf: '0000:04:10.3'},
      {host: 'xen1', name: LONG, uuid: '3c3c3c3c-0000-4000-8000-000000000003', why: 'its name is 70 characters long (Sova accepts at most 64)', vf: null},
    ])
    // web 2's VF is in use, not missing from the pool: 3 VFs, 1 free.
    assert.deepEqual(host.vfs, {total: 3, free: ['0000:04:10.1']})
    // The port's load: web1 + db1 (agent) + web 2 (vif and VF 1 counters: none recorded) + the long one, guest's view.
    assert.deepEqual([host.nic.rxBytes, host.nic.txBytes], [1_202_000 + 73_400_320_000 + 6_000 + 20_000, 301_000 + 51_200_000_000 + 4_000 + 10_000])
    // doctor counts the pool the same way.
    const pool = (await driverFor(XEN1).checks()).find((check) => check.check === 'VFs assignable')
    assert.equal(pool?.detail, '3 VFs: 1 free (0000:04:10.1), 2 in use')
  })

  it('doctor says when xl list -l cannot be read, naming the tool', async () => {
    editWorld((world) => {
      world.hosts.xen1.quirks = {'truncate-list-long': true}
    })
    const pool = (await driverFor(XEN1).checks()).find((check) => check.check === 'VFs assignable')
    assert.equal(pool?.ok, false)
    assert.match(pool?.detail ?? '', /^xl list -l printed output that could not be parsed: /)
  })
})

describe('PCI_SPEC_STRING of a kept device', () => {
  it('writes BDF, @slot in hex and options, and reads back only what Sova writes', () => {
    const spec = {bdf: '0000:04:10.5', vslot: 0x0a, options: ['permissive=1', 'rdm_policy=relaxed']}
    assert.equal(formatPciSpec(spec), '0000:04:10.5@0a,permissive=1,rdm_policy=relaxed')
    assert.deepEqual(parsePciSpec(formatPciSpec(spec)), spec)
    assert.deepEqual(parsePciSpec('0000:04:10.5'), {bdf: '0000:04:10.5', options: []})
    for (const bad of ['', '0000:04:10.5@5', '0000:04:10.5@20', '0000:04:10.5,name=x', '0000:04:10.5,permissive=2', '0000:04:10.5,seize=1 ', 'bdf=0000:04:10.5', '04:10.5;reboot']) {
      assert.throws(() => parsePciSpec(bad), Error, bad)
    }
  })
})
