// The Xen driver against the scripted stand-ins of test/fixtures/bin/xen (xl, xenstore-ls, ip,
// xentop and an ssh that "logs in" to xen1 or xen2 of test/fixtures/xen/world.json). Every call
// is logged, so the tests assert on the exact argv lists the driver ran on each host.
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {UnreachableError, UsageError} from '../../src/lib/errors.js'
import type {RawVm} from '../../src/lib/backends/types.js'
import {calls, commandsOn, driverFor, editWorld, NOW, ref, UUIDS, XEN1, XEN2} from './fake-xen.js'

const vmNamed = (vms: RawVm[], name: string) => vms.find((vm) => vm.name === name)

describe('Xen driver snapshot', () => {
  it('reads the host, its VMs, their paths, the VF pool and cumulative counters', async () => {
    const host = await driverFor(XEN1).snapshot()
    assert.equal(host.name, 'xen1')
    assert.equal(host.cpus, 16)
    assert.deepEqual(host.memoryMiB, {total: 65410, free: 40123})
    // mlx5_core: the whole port from ethtool -S (the PF's row plus its VFs' traffic, as the MAC counts it).
    assert.deepEqual(host.nic, {
      device: 'eth0', speedMbps: 10_000, rxBytes: 912_345_678_901 + 5_000_000 + 900_000, txBytes: 812_345_678_901 + 7_000_000 + 800_000,
      basis: 'port-counters', basisWhy: 'mlx5_core port counters rx_bytes_phy/tx_bytes_phy from ethtool -S', driver: 'mlx5_core',
    })
    assert.deepEqual(host.vfs, {total: 3, free: ['0000:04:10.1', '0000:04:10.3']})
    // The PV backend's CPU is Domain-0's (xl list: its Time(s) and VCPUs), and says it counts all of dom0's work.
    assert.equal(host.backend?.cpuSeconds, 9876.5) // world.json: xen1.dom0
    assert.equal(host.backend?.cores, 8)
    assert.match(host.backend?.includes ?? '', /all of Domain-0's CPU/)
    // "bad name" is not a name Sova accepts: not a VM of the snapshot, but said (unmanaged), never hidden.
    assert.deepEqual(host.vms.map((vm) => vm.name), ['web1', 'db1'])
    assert.deepEqual(host.unmanaged, [
      {host: 'xen1', name: 'bad name', uuid: UUIDS['bad name'], why: 'its name holds a space (Sova accepts letters, digits and . _ : @ + -)', vf: null},
    ])
    assert.deepEqual(vmNamed(host.vms, 'web1'), {
      name: 'web1',
      id: '5',
      uuid: '8c6a2f3e-51b2-4a7c-9d0e-1f2a3b4c5d61',
      vcpus: 2,
      memoryMiB: 2048,
      path: 'pv',
      vf: null,
      // No guest agent: dom0's vif5.0 + vif5.0-emu, swapped to the guest's view.
      counters: {cpuSeconds: 56.7, blockedSeconds: (2 * NOW - 56.7) / 2, rxBytes: 1_202_000, txBytes: 301_000, basis: 'vif'},
    })
    assert.deepEqual(vmNamed(host.vms, 'db1'), {
      name: 'db1',
      id: '6',
      uuid: '2b1d0e9f-7a6c-4b5d-8e3f-a0b1c2d3e4f5',
      vcpus: 4,
      memoryMiB: 4096,
      path: 'vf',
      vf: '0000:04:10.5',
      // The guest agent's xenstore keys win, activeSeconds included.
      counters: {cpuSeconds: 1234.5, blockedSeconds: (4 * NOW - 1234.5) / 4, rxBytes: 73_400_320_000, txBytes: 51_200_000_000, activeSeconds: 86_000, basis: 'agent'},
    })
  })

  it('a guest agent that stopped writing is passed over: the VM is read from dom0, on another counter basis', async () => {
    editWorld((world) => {
      const agent = world.domains.db1.agent as Record<string, string>
      // Its last write 100 s ago, with a 10 s interval: three intervals missed and more.
      agent.updated = String(NOW - 100)
      agent.interval = '10'
    })
    const stale = vmNamed((await driverFor(XEN1).snapshot()).vms, 'db1')
    assert.equal(stale?.counters.basis, 'vif+vf 0000:04:10.5')
    assert.notEqual(stale?.counters.rxBytes, 73_400_320_000)
    assert.equal(stale?.counters.activeSeconds, undefined)
    // Writing again within its intervals, it is used again.
    editWorld((world) => {
      ;(world.domains.db1.agent as Record<string, string>).updated = String(NOW - 25)
    })
    const fresh = vmNamed((await driverFor(XEN1).snapshot()).vms, 'db1')
    assert.deepEqual([fresh?.counters.basis, fresh?.counters.rxBytes], ['agent', 73_400_320_000])
  })

  it('runs each tool once, in two ssh sessions, xenstore-ls always with -f, and reads /proc/net/dev once', async () => {
    await driverFor(XEN1).snapshot()
    const ran = commandsOn('xen1')
    for (const command of ['xl info', 'xl list -l', 'xl list', 'xl pci-assignable-list', 'xenstore-ls -f /local/domain', 'cat /proc/net/dev']) {
      assert.equal(ran.filter((c) => c === command).length, 1, command)
    }
    assert.equal(ran[0], 'xl info')
    // ip rides in the same session as the rest (whether its VF counters are needed is known only
    // after); xentop is never read.
    assert.deepEqual(commandsOn('xen1', 'ip'), ['ip -s -j -d link show eth0'])
    assert.deepEqual(commandsOn('xen1', 'xentop'), [])
    assert.deepEqual(commandsOn('xen1', 'ethtool'), ['ethtool -i eth0', 'ethtool -S eth0'])
    // Two ssh sessions: everything, then the PF's VF links the first listed.
    const sshCalls = calls().filter((call) => call.argv[0] === 'ssh')
    assert.equal(sshCalls.length, 2)
    assert.ok(sshCalls.every((call) => call.argv.slice(0, 7).join(' ') === 'ssh -o BatchMode=yes -o ConnectTimeout=10 -- root@xen1' && call.argv.length === 8))
  })

  it('takes the link speed from port.speedMbps when sysfs says -1, and refuses to guess without it', async () => {
    const host = await driverFor(XEN2).snapshot()
    assert.equal(host.nic.speedMbps, 25_000)
    assert.deepEqual(host.vms.map((vm) => [vm.name, vm.id, vm.path]), [['app2', '3', 'pv']])
    assert.deepEqual(host.vfs, {total: 2, free: ['0000:81:02.0', '0000:81:02.1']})
    await assert.rejects(driverFor({...XEN2, port: {device: 'eth0'}}).snapshot(), (error: Error) => {
      assert.ok(error instanceof UsageError)
      assert.equal(error.message, 'xen2: link speed of eth0 is unknown (/sys/class/net/eth0/speed says -1 or nothing)')
      assert.equal((error as UsageError).remedy, 'set port.speedMbps in the configuration')
      return true
    })
  })

  it('a dom0 without ethtool: the PF plus its VFs from ip, or the PF alone when ip has no VF stats, each saying why', async () => {
    const host = await driverFor(XEN2).snapshot()
    assert.deepEqual([host.nic.basis, host.nic.rxBytes, host.nic.txBytes], ['pf+vfs', 1_000_000, 2_000_000])
    assert.match(host.nic.basisWhy ?? '', /^ethtool -i eth0 failed: bash: line 1: ethtool: command not found; driver unknown .*PF plus 2 VF\(s\) .*every VF reads 0 bytes/)
    editWorld((world) => {
      ;(world.hosts.xen2 as Record<string, unknown>).vfStatsReported = false
    })
    const old = await driverFor(XEN2).snapshot()
    assert.deepEqual([old.nic.basis, old.nic.rxBytes], ['pf-only', 1_000_000])
    assert.match(old.nic.basisWhy ?? '', /VF 0 has no byte counters .*PF counters only \(VF traffic missing\)$/)
  })

  it('with port.counters "vms", reports the sum of its VMs as the port\'s traffic', async () => {
    const host = await driverFor({...XEN1, port: {device: 'eth0', counters: 'vms'}}).snapshot()
    const {parts, ...port} = host.nic
    assert.deepEqual(port, {device: 'eth0', speedMbps: 10_000, rxBytes: 1_202_000 + 73_400_320_000, txBytes: 301_000 + 51_200_000_000, basis: 'vms'})
    // Each VM's part, by its identity, so collect can difference VM by VM; then each unmanaged domain's
    // (its traffic counts for the port too).
    const managed = host.vms.length
    assert.deepEqual(parts?.slice(0, managed).map((part) => [part.id, part.rxBytes, part.txBytes, part.basis]), host.vms.map((vm) => [vm.uuid, vm.counters.rxBytes, vm.counters.txBytes, vm.counters.basis]))
    assert.deepEqual(parts?.slice(managed).map((part) => part.id), (host.unmanaged ?? []).map((domain) => domain.uuid))
  })

  it('keeps to vfs.allow', async () => {
    const host = await driverFor({...XEN1, vfs: {allow: ['04:10.3']}}).snapshot()
    assert.deepEqual(host.vfs, {total: 1, free: ['0000:04:10.3']})
    assert.deepEqual(vmNamed(host.vms, 'db1')?.vf, null)
  })

  it('throws UnreachableError (exit 69) when ssh cannot reach the host', async () => {
    await assert.rejects(driverFor({...XEN1, name: 'xen9', ssh: 'root@xen9'}).snapshot(), (error: Error) => {
      assert.ok(error instanceof UnreachableError)
      assert.equal(error.exit, 69)
      assert.equal(error.message, 'xen9: ssh: connect to host xen9 port 22: Connection refused')
      return true
    })
    assert.deepEqual(commandsOn('xen9'), [])
  })
})

describe('Xen driver VF hot-plug', () => {
  it('attaches with xl pci-attach, confirms with xl pci-list, and the snapshot then shows the VF', async () => {
    const xen1 = driverFor(XEN1)
    const attached = await xen1.attachVf(ref('web1'), '04:10.1')
    assert.equal(attached.ok, true, JSON.stringify(attached))
    // The name is looked up and its UUID checked; xl then gets the domid, never the name.
    assert.deepEqual(commandsOn('xen1', 'xl'), ['xl list -l web1', 'xl pci-attach 5 0000:04:10.1', 'xl pci-list 5'])

    const host = await xen1.snapshot()
    assert.deepEqual(host.vfs, {total: 3, free: ['0000:04:10.3']})
    const web1 = vmNamed(host.vms, 'web1')
    assert.deepEqual([web1?.path, web1?.vf], ['vf', '0000:04:10.1'])
    // vif traffic plus the VF's own counters from the PF (VF 0 = 0000:04:10.1).
    assert.deepEqual([web1?.counters.rxBytes, web1?.counters.txBytes], [1_202_000 + 5_000_000, 301_000 + 7_000_000])
    assert.deepEqual(commandsOn('xen1', 'ip'), ['ip -s -j -d link show eth0'])
  })

  it('detaches with xl pci-detach and confirms the VF is gone', async () => {
    const xen1 = driverFor(XEN1)
    assert.equal((await xen1.attachVf(ref('web1'), '0000:04:10.1')).ok, true)
    const detached = await xen1.detachVf(ref('web1'), '0000:04:10.1')
    assert.equal(detached.ok, true, JSON.stringify(detached))
    assert.deepEqual(commandsOn('xen1', 'xl'), [
      'xl list -l web1', 'xl pci-attach 5 0000:04:10.1', 'xl pci-list 5',
      'xl list -l web1', 'xl pci-list 5', 'xl pci-detach 5 0000:04:10.1', 'xl pci-list 5',
    ])
    assert.deepEqual((await xen1.snapshot()).vfs.free, ['0000:04:10.1', '0000:04:10.3'])
  })

  it('reports xl\'s own words when the attach fails', async () => {
    const result = await driverFor(XEN1).attachVf(ref('web1'), '0000:04:10.7')
    assert.equal(result.ok, false)
    assert.match(!result.ok ? result.error : '', /PCI device 0000:04:10\.7 is not assignable$/)
  })

  it('undoes an attach that xl pci-list never shows, and fails', async () => {
    editWorld((world) => {
      world.domains.web1.quirks = {'pci-list-hides': true}
    })
    const result = await driverFor(XEN1).attachVf(ref('web1'), '0000:04:10.1')
    assert.equal(result.ok, false)
    assert.equal(!result.ok && result.error, 'xl pci-attach returned 0 but 0000:04:10.1 is not in xl pci-list of web1 (domain 5); detached it again')
    const ran = commandsOn('xen1', 'xl')
    assert.deepEqual(ran.slice(0, 2), ['xl list -l web1', 'xl pci-attach 5 0000:04:10.1'])
    assert.equal(ran.at(-1), 'xl pci-detach 5 0000:04:10.1')
    assert.ok(ran.slice(2, -1).length > 1 && ran.slice(2, -1).every((c) => c === 'xl pci-list 5'))
  })

  it('counts a detach of a VF that is already gone as done (a re-run)', async () => {
    const result = await driverFor(XEN1).detachVf(ref('web1'), '0000:04:10.1')
    assert.deepEqual(result.ok && result.device, undefined, 'done, and no device to give back: it was not there')
    assert.equal(result.ok, true)
    assert.deepEqual(commandsOn('xen1', 'xl'), ['xl list -l web1', 'xl pci-list 5', 'xl pci-detach 5 0000:04:10.1', 'xl pci-list 5'])
  })
})

describe('Xen driver migration', () => {
  it('refuses while a VF is attached, without running xl migrate', async () => {
    const result = await driverFor(XEN1).migrate(ref('db1'), XEN2)
    assert.deepEqual(result.ok ? undefined : result.error, 'db1 still has PCI device(s) 0000:04:10.5 attached; detach the VF before migrating')
    assert.deepEqual(commandsOn('xen1', 'xl'), ['xl list -l db1', 'xl pci-list 6'])
  })

  it('migrates after the detach, and the VM then shows up on the target', async () => {
    const xen1 = driverFor(XEN1)
    assert.equal((await xen1.attachVf(ref('web1'), '0000:04:10.1')).ok, true)
    assert.equal((await xen1.migrate(ref('web1'), XEN2)).ok, false)
    assert.equal((await xen1.detachVf(ref('web1'), '0000:04:10.1')).ok, true)
    const migrated = await xen1.migrate(ref('web1'), XEN2)
    assert.equal(migrated.ok, true, JSON.stringify(migrated))
    assert.deepEqual(commandsOn('xen1', 'xl').filter((c) => c.startsWith('xl migrate')), ['xl migrate 5 xen2'])
    // The fake xl records the receiving end that the real one starts over ssh.
    assert.deepEqual(commandsOn('xen2', 'xl'), ['xl migrate-receive'])

    assert.deepEqual((await xen1.snapshot()).vms.map((vm) => vm.name), ['db1'])
    const xen2 = await driverFor(XEN2).snapshot()
    assert.deepEqual(xen2.vms.map((vm) => [vm.name, vm.id, vm.path, vm.vf]), [['app2', '3', 'pv', null], ['web1', '4', 'pv', null]])
  })

  it('migration options: -s from the source\'s settings, the target\'s migration address as the host; none when unconfigured', async () => {
    // Protects the exact xl argv for the Xen equivalents, and the dedicated migration network.
    editWorld((world) => {
      world.hosts.xen2.migrationAddresses = ['10.0.9.2']
    })
    const xen1 = driverFor({...XEN1, migration: {sshCommand: '/usr/local/sbin/migrate-ssh'}}, {sshCommand: '/usr/bin/ssh', maxParallel: 2})
    const migrated = await xen1.migrate(ref('web1'), {...XEN2, migration: {address: '10.0.9.2'}})
    assert.equal(migrated.ok, true, JSON.stringify(migrated))
    assert.deepEqual(commandsOn('xen1', 'xl').filter((c) => c.startsWith('xl migrate')), ['xl migrate -s /usr/local/sbin/migrate-ssh 5 10.0.9.2'])
    assert.deepEqual(commandsOn('xen2', 'xl'), ['xl migrate-receive'])
    // Empty sections: the command is the one an unconfigured cluster runs.
    const back = await driverFor({...XEN2, migration: {}}, {}).migrate(ref('web1'), XEN1)
    assert.equal(back.ok, true, JSON.stringify(back))
    assert.deepEqual(commandsOn('xen2', 'xl').filter((c) => c.startsWith('xl migrate ')), ['xl migrate 4 xen1'])
  })

  it('a migration address or ssh command no tool should see is refused before xl runs', async () => {
    // Protects validation at the driver, whoever built the settings.
    await assert.rejects(driverFor(XEN1).migrate(ref('web1'), {...XEN2, migration: {address: 'xen2;reboot'}}), /xen2: migration\.address: "xen2;reboot" is neither a host name nor an IP address/)
    await assert.rejects(driverFor(XEN1, {sshCommand: 'ssh -c x'}).migrate(ref('web1'), XEN2), /migration\.sshCommand: "ssh -c x" is not one plain word/)
    assert.deepEqual(commandsOn('xen1', 'xl'), [])
  })

  it('migrates to the ssh host of the target (no user), else to its name', async () => {
    const {migrationDestination} = await import('../../src/lib/backends/xen/actions.js')
    assert.equal(migrationDestination({...XEN2, ssh: 'admin@xen2.lab'}), 'xen2.lab')
    assert.equal(migrationDestination({...XEN2, ssh: undefined}), 'xen2')
  })

  it('reports the hypervisor\'s refusal when a device is attached but not listed', async () => {
    editWorld((world) => {
      world.domains.db1.quirks = {'pci-list-hides': true}
    })
    const result = await driverFor(XEN1).migrate(ref('db1'), XEN2)
    assert.equal(result.ok, false)
    assert.match(!result.ok ? result.error : '', /Migration failed, resuming at sender\.$/)
    assert.deepEqual(commandsOn('xen1', 'xl'), ['xl list -l db1', 'xl pci-list 6', 'xl migrate 6 xen2'])
  })
})

describe('Xen driver refusals', () => {
  for (const vm of ['web1; rm -rf /', '--force', '5', 'a b']) {
    it(`refuses VM "${vm}" before any tool runs`, async () => {
      const xen1 = driverFor(XEN1)
      await assert.rejects(xen1.attachVf(ref(vm), '0000:04:10.1'), UsageError)
      await assert.rejects(xen1.detachVf(ref(vm), '0000:04:10.1'), UsageError)
      await assert.rejects(xen1.migrate(ref(vm), XEN2), UsageError)
      assert.deepEqual(calls(), [])
    })
  }

  it('refuses a VF that is not a PCI address, and a target of another backend', async () => {
    const xen1 = driverFor(XEN1)
    await assert.rejects(xen1.attachVf(ref('web1'), '04:10.1; reboot'), UsageError)
    await assert.rejects(xen1.detachVf(ref('web1'), '-f'), UsageError)
    await assert.rejects(xen1.migrate(ref('web1'), {...XEN2, backend: 'libvirt'}), UsageError)
    assert.deepEqual(calls(), [])
  })
})

describe('Xen driver doctor checks', () => {
  it('passes every check of a ready host, with counts', async () => {
    const checks = await driverFor(XEN1).checks()
    assert.deepEqual(
      checks.map((check) => [check.check, check.ok]),
      [
        ['ssh reachable', true],
        ['xl runs', true],
        ['xentop present', true],
        ['xenstore-ls present', true],
        ['PF found', true],
        ['link speed known', true],
        ['SR-IOV enabled', true],
        ['VFs assignable', true],
      ],
    )
    assert.ok(checks.every((check) => check.host === 'xen1' && check.fix === undefined))
    const detail = (name: string) => checks.find((check) => check.check === name)?.detail
    assert.equal(detail('xl runs'), 'Xen 4.17.5, 16 CPUs, 40123 of 65410 MiB free')
    assert.equal(detail('xenstore-ls present'), 'guest agent counters from 1 of 3 domains (the others are read from dom0\'s vif counters)')
    assert.equal(detail('SR-IOV enabled'), '4 of 8 VFs enabled on eth0')
    assert.equal(detail('VFs assignable'), '3 VFs: 2 free (0000:04:10.1, 0000:04:10.3), 1 in use')
  })

  it('says how to fix an unknown link speed', async () => {
    const speed = (await driverFor({...XEN2, port: {device: 'eth0'}}).checks()).find((check) => check.check === 'link speed known')
    assert.deepEqual([speed?.ok, speed?.fix], [false, 'set port.speedMbps in this host\'s config'])
  })

  it('reports a dead ssh once and checks nothing through it', async () => {
    const checks = await driverFor({...XEN1, name: 'xen9', ssh: 'root@xen9'}).checks()
    assert.equal(checks.length, 8)
    assert.deepEqual([checks[0].check, checks[0].ok, checks[0].detail], ['ssh reachable', false, 'ssh: connect to host xen9 port 22: Connection refused'])
    assert.ok(checks.slice(1).every((check) => !check.ok && check.detail === 'not checked: ssh does not answer'))
    assert.deepEqual(commandsOn('xen9'), [])
  })
})
