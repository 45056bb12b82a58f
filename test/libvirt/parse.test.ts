// The libvirt driver's pure parts against fixtures shaped as INTERFACES.md §2 describes virsh's
// output: domstats blocks (ns units), nodeinfo, freecell, node devices, networks, live domain XML.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {attachSpecFor, buildDeviceXml, deriveVfMac, deriveVmMac, detachSpecFor} from '../../src/lib/backends/libvirt/device-xml.js'
import {restoredDevice} from '../../src/lib/backends/libvirt/restore-xml.js'
import {findTeamingBackup, isPassthrough, parseDomainXml} from '../../src/lib/backends/libvirt/domain-xml.js'
import {
  netNodedevCandidates,
  parseDomstats,
  parseFreecell,
  parseHostdevNetwork,
  parseNameList,
  parseNetNodedev,
  parseNodeinfo,
  parsePfNodedev,
} from '../../src/lib/backends/libvirt/parse.js'
import {estimateBlockedSeconds} from '../../src/lib/backends/hosts/host-readings.js'
import {describeVfHolding, findVfDevice, heldVfs, type VfMode, vfModeOf} from '../../src/lib/backends/libvirt/vf-mode.js'
import {isGuestBusy, isNoSuchDomain, isUnreachable, libvirtUri, virshError} from '../../src/lib/backends/libvirt/virsh.js'
import {parseXml} from '../../src/lib/backends/libvirt/xml.js'
import type {HostEntry} from '../../src/lib/config.js'
import type {ToolResult} from '../../src/lib/exec.js'

const fixture = (name: string) => readFileSync(join('test/fixtures/libvirt', name), 'utf8')
const hostdevMode: VfMode = {kind: 'hostdev', allow: undefined}
const members = new Set(['0000:03:10.0', '0000:03:10.2', '0000:03:10.4', '0000:03:10.6'])

function failed(stderr: string, extra: Partial<ToolResult> = {}): ToolResult {
  return {command: ['virsh'], exitCode: 1, stdout: '\n', stderr, timedOut: false, notFound: false, durationMs: 5, ...extra}
}

describe('libvirt parsers', () => {
  it('domstats: one block per domain, ns and KiB as printed, sparse net indices', () => {
    const stats = parseDomstats(fixture('domstats.txt'))
    assert.deepEqual(stats.map((domain) => domain.name), ['web1', 'db1', 'idle1', 'bad; name'])
    const [web1, db1, idle1] = stats
    assert.equal(web1.state, 1)
    assert.equal(web1.cpuTimeNs, 325_812_524_000)
    assert.equal(web1.balloonCurrentKiB, 4_194_304)
    assert.equal(web1.vcpuCurrent, 2)
    assert.equal(web1.vcpuDelayNs, 1_000_000_000)
    // net.count counts the hostdev too, which has no tap and so no net.1.* lines.
    assert.deepEqual(web1.nets, [{name: 'vnet0', rxBytes: 91_839_211, txBytes: 12_345_678}, {name: undefined, rxBytes: 0, txBytes: 0}])
    assert.equal(db1.vcpuDelayNs, 2_000_000_000)
    assert.equal(idle1.balloonCurrentKiB, undefined)
    assert.equal(idle1.balloonMaximumKiB, 1_048_576)
  })

  it('nodeinfo and freecell give CPUs and KiB', () => {
    assert.deepEqual(parseNodeinfo(fixture('nodeinfo.txt')), {cpus: 32, memoryKiB: 131_899_012})
    assert.equal(parseFreecell(fixture('freecell.txt')), 62_914_560)
    assert.equal(parseFreecell('    0:       2048 KiB\n    1:       4096 KiB\n'), 6144)
    assert.throws(() => parseNodeinfo('error: nothing\n'), /unexpected virsh nodeinfo output/)
  })

  it('node devices: the PF is the parent of net_<if>_<mac>; its VFs in virtfn order', () => {
    const names = parseNameList(fixture('nodedev-list-net.txt'))
    assert.deepEqual(netNodedevCandidates(names, 'enp3s0f0'), ['net_enp3s0f0_3c_fd_fe_9e_6a_40'])
    assert.deepEqual(netNodedevCandidates(names, 'enp3s0f0v0'), ['net_enp3s0f0v0_0a_1b_2c_3d_4e_5f'])
    assert.deepEqual(parseNetNodedev(fixture('nodedev-net_enp3s0f0_3c_fd_fe_9e_6a_40.xml')), {interface: 'enp3s0f0', parent: 'pci_0000_03_00_0'})
    assert.deepEqual(parsePfNodedev(fixture('nodedev-pci_0000_03_00_0.xml')), {maxCount: 63, vfs: [...members]})
  })

  it('a hostdev network lists its pool under <forward>', () => {
    assert.deepEqual(parseHostdevNetwork(fixture('net-dumpxml-sriov-pool.xml')), {mode: 'hostdev', pf: 'enp3s0f0', vfs: [...members]})
    assert.deepEqual(parseHostdevNetwork("<network><name>p</name><forward mode='hostdev' managed='yes'><pf dev='ens1f0'/></forward></network>"), {mode: 'hostdev', pf: 'ens1f0', vfs: []})
  })
})

describe('live domain XML', () => {
  it('a virtio NIC with its tap and a hostdev VF by its source address, not its guest address', () => {
    const info = parseDomainXml(fixture('dumpxml-web1.xml'))
    assert.equal(info.uuid, '8c6a1f0e-3b7d-4d59-9a43-2f1e5c7b9a01')
    assert.equal(info.vcpus, 2)
    assert.equal(info.memoryKiB, 4_194_304)
    const [virtio, vf] = info.devices
    assert.deepEqual([virtio.type, virtio.mac, virtio.model, virtio.target, virtio.address], ['bridge', '52:54:00:5a:10:01', 'virtio', 'vnet0', undefined])
    assert.deepEqual([vf.type, vf.mac, vf.address, vf.alias, isPassthrough(vf)], ['hostdev', '52:54:00:6d:90:02', '0000:03:10.2', 'hostdev0', true])
    assert.deepEqual(heldVfs(info, hostdevMode, members), ['0000:03:10.2'])
    assert.equal(describeVfHolding(info, hostdevMode), 'a hostdev interface 0000:03:10.2')
  })

  it('a teaming pair: the backup is found, the VF is told from it by type, not by MAC', () => {
    const info = parseDomainXml(fixture('dumpxml-db1.xml'))
    assert.deepEqual(findTeamingBackup(info), {mac: '52:54:00:00:12:53', alias: 'ua-backup0'})
    assert.deepEqual(info.devices.map((device) => device.teaming), [{type: 'persistent', persistent: undefined}, {type: 'transient', persistent: 'ua-backup0'}])
    assert.equal(findVfDevice(info, hostdevMode, '0000:03:10.4')?.alias, 'hostdev0')
  })

  it('an emulated stand-in is recognised by its configured MAC; vcpu current= wins', () => {
    const lab: VfMode = {kind: 'emulated', model: 'e1000e', nics: [{id: '0000:ee:00.0', mac: '52:54:00:aa:00:01'}, {id: '0000:ee:00.1', mac: '52:54:00:aa:00:02'}]}
    const info = parseDomainXml(fixture('dumpxml-lab1.xml'))
    assert.deepEqual(heldVfs(info, lab, new Set()), ['0000:ee:00.0'])
    assert.equal(findVfDevice(info, lab, '0000:ee:00.0')?.target, 'vnet1')
    assert.equal(describeVfHolding(info, lab), 'the stand-in VF 0000:ee:00.0')
    assert.equal(parseDomainXml(fixture('dumpxml-app1.xml')).vcpus, 2)
  })

  it('a network-pool interface shows in live XML as a hostdev with the VF libvirt picked', () => {
    const info = parseDomainXml(fixture('dumpxml-pool1.xml'))
    assert.deepEqual(heldVfs(info, {kind: 'network', network: 'sriov-pool'}, members), ['0000:03:10.6'])
  })

  it('the XML reader decodes entities and refuses what is not well-formed', () => {
    assert.equal(parseXml("<a x='1 &amp; 2'>&lt;b&gt;</a>").attrs.x, '1 & 2')
    assert.equal(parseXml("<a x='1'>&lt;b&gt;</a>").text, '<b>')
    assert.throws(() => parseXml('<a><b></a>'), /not well-formed/)
    // Where libxml2 would read something else (or nothing), it refuses rather than guess.
    for (const bad of ['<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', '<a>AT&T</a>', '<a>&nbsp;</a>', "<a b='1' b='2'/>", "<a b='<'/>", '<a/>x', '<a/><b/>', '<a>]]></a>', '<a>&#0;</a>', "<'a/>"]) {
      assert.throws(() => parseXml(bad), /not well-formed/, bad)
    }
    assert.equal(parseXml("<a b='x\n\ty&#10;'/>").attrs.b, 'x  y\n', 'literal line breaks and tabs in a value are spaces; a reference is kept')
    assert.throws(() => parseXml('<a>'), /never closed/)
  })
})

describe('device XML', () => {
  const web1 = parseDomainXml(fixture('dumpxml-web1.xml'))
  const app1 = parseDomainXml(fixture('dumpxml-app1.xml'))
  const WEB1_UUID = '8c6a1f0e-3b7d-4d59-9a43-2f1e5c7b9a01'

  it('a hostdev VF as INTERFACES.md §2.5 writes it, with a stable locally administered MAC', () => {
    const mac = deriveVfMac('kvm1', '0000:03:10.1')
    assert.match(mac, /^02(:[0-9a-f]{2}){5}$/)
    assert.equal(deriveVfMac('kvm1', '0000:03:10.1'), mac)
    assert.notEqual(deriveVfMac('kvm2', '0000:03:10.1'), mac)
    assert.equal(
      buildDeviceXml(attachSpecFor(hostdevMode, '0000:03:10.1', {hostName: 'kvm1'}, web1, WEB1_UUID)),
      `<interface type='hostdev' managed='yes'><mac address='${mac}'/><driver name='vfio'/><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/></source></interface>`,
    )
  })

  it('with a teaming backup the VF carries its MAC and <teaming type=transient>', () => {
    assert.equal(
      buildDeviceXml(attachSpecFor(hostdevMode, '0000:03:10.6', {hostName: 'kvm1', vlan: 42, mac: 'per-vm'}, app1, WEB1_UUID)),
      "<interface type='hostdev' managed='yes'><mac address='52:54:00:00:77:01'/><driver name='vfio'/><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x6'/></source><vlan><tag id='42'/></vlan><teaming type='transient' persistent='ua-backup1'/></interface>",
    )
  })

  it('network and emulated modes, and a detach that names the live device by alias', () => {
    const mac = deriveVfMac('kvm1', '0000:03:10.0')
    assert.equal(
      buildDeviceXml(attachSpecFor({kind: 'network', network: 'sriov-pool'}, '0000:03:10.0', {hostName: 'kvm1'}, web1, WEB1_UUID)),
      `<interface type='network'><mac address='${mac}'/><source network='sriov-pool'/></interface>`,
    )
    const lab: VfMode = {kind: 'emulated', model: 'e1000e', nics: [{id: '0000:ee:00.0', mac: '52:54:00:aa:00:01'}]}
    assert.equal(buildDeviceXml(attachSpecFor(lab, '0000:ee:00.0', {hostName: 'lab'}, web1, WEB1_UUID)), "<interface type='ethernet'><mac address='52:54:00:aa:00:01'/><model type='e1000e'/></interface>")
    assert.equal(
      buildDeviceXml(detachSpecFor(web1.devices[1], hostdevMode)),
      "<interface type='hostdev' managed='yes'><mac address='52:54:00:6d:90:02'/><driver name='vfio'/><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x2'/></source><alias name='hostdev0'/></interface>",
    )
    assert.equal(
      buildDeviceXml({kind: 'hostdev', address: '10000:e1:00.3'}),
      "<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio'/><source><address domain='0x10000' bus='0xe1' slot='0x00' function='0x3'/></source></hostdev>",
    )
  })
})

describe('a VF given back as it was', () => {
  const hostdevMode: VfMode = {kind: 'hostdev', allow: undefined}
  // A VF as an operator or another tool configured it: VLAN 42, its own MAC, a user alias, a ROM
  // setting; the live XML adds the automatic alias, and the guest-side PCI address.
  const kept = [
    "<interface type='hostdev' managed='yes'>",
    "\n      <mac address='52:54:00:42:42:42'/>",
    "\n      <driver name='vfio'/>",
    "\n      <source>\n        <address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x2'/>\n      </source>",
    "\n      <vlan>\n        <tag id='42'/>\n      </vlan>",
    "\n      <rom bar='off'/>",
    "\n      <alias name='hostdev0'/>",
    "\n      <address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/>",
    '\n    </interface>',
  ].join('')

  it('the live XML of the device, less only its automatic alias', () => {
    const restored = restoredDevice(kept, hostdevMode, '0000:03:10.2')
    assert.ok('xml' in restored, JSON.stringify(restored))
    // Whitespace between the kept elements goes; every element and its own text stays as libvirt printed it.
    assert.equal(
      restored.xml,
      "<interface type='hostdev' managed='yes'>\n      <mac address='52:54:00:42:42:42'/><driver name='vfio'/><source>\n        <address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x2'/>\n      </source>" +
        "<vlan>\n        <tag id='42'/>\n      </vlan><rom bar='off'/><address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></interface>",
    )
    assert.match(restored.xml, /<vlan>\s*<tag id='42'\/>\s*<\/vlan>/)
    assert.match(restored.xml, /<mac address='52:54:00:42:42:42'\/>/)
  })

  it('a hostdev network\'s VF goes back through the network, with its MAC and VLAN', () => {
    const restored = restoredDevice(kept, {kind: 'network', network: 'sriov-pool'}, '0000:03:10.0')
    assert.ok('xml' in restored, JSON.stringify(restored))
    assert.equal(restored.xml, "<interface type='network'><mac address='52:54:00:42:42:42'/><vlan>\n        <tag id='42'/>\n      </vlan><rom bar='off'/><address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'/><source network='sriov-pool'/></interface>")
  })

  it('a lab stand-in keeps a user alias and drops its automatic tap name', () => {
    const lab: VfMode = {kind: 'emulated', model: 'e1000e', nics: [{id: '0000:ee:00.0', mac: '52:54:00:aa:00:01'}]}
    const standIn = "<interface type='ethernet'><mac address='52:54:00:aa:00:01'/><target dev='vnet7'/><model type='e1000e'/><rom enabled='no'/><alias name='ua-sova'/></interface>"
    assert.deepEqual('xml' in restoredDevice(standIn, lab, '0000:ee:00.0') && restoredDevice(standIn, lab, '0000:ee:00.0'), {
      xml: "<interface type='ethernet'><mac address='52:54:00:aa:00:01'/><model type='e1000e'/><rom enabled='no'/><alias name='ua-sova'/></interface>",
      device: parseDomainXml(`<domain><devices>${standIn}</devices></domain>`).devices[0],
    })
  })

  it('refused when the kept device is not that VF, or not XML: nothing is rebuilt in its place', () => {
    assert.match(JSON.stringify(restoredDevice(kept, hostdevMode, '0000:03:10.4')), /is not that VF on this host/)
    assert.match(JSON.stringify(restoredDevice('<interface', hostdevMode, '0000:03:10.2')), /is not readable XML/)
    assert.match(JSON.stringify(restoredDevice("<disk type='file'/>", hostdevMode, '0000:03:10.2')), /is not that VF/)
  })

  it('vfs.mac per-vm: the same MAC for a VM on every host and VF', () => {
    const uuid = '8c6a1f0e-3b7d-4d59-9a43-2f1e5c7b9a01'
    const web1 = parseDomainXml(fixture('dumpxml-web1.xml'))
    const on = (hostName: string, vf: string) => attachSpecFor(hostdevMode, vf, {hostName, mac: 'per-vm'}, web1, uuid)
    assert.deepEqual([on('kvm1', '0000:03:10.0'), on('kvm2', '0000:03:10.4')].map((spec) => 'mac' in spec && spec.mac), [deriveVmMac(uuid), deriveVmMac(uuid)])
    assert.notEqual(deriveVmMac(uuid), deriveVmMac('5e2f9d10-7c4b-4f8e-8a61-3d9b0c1e2f34'))
  })
})

describe('virsh conventions', () => {
  it('error lines are classified: unreachable, guest busy, no such domain', () => {
    const connect = failed(fixture('error-connect.txt'))
    assert.equal(isUnreachable(connect), true)
    assert.equal(virshError(connect), "error: failed to connect to the hypervisor; error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory")
    assert.equal(isUnreachable(failed('', {timedOut: true, exitCode: undefined})), true)
    assert.equal(isGuestBusy(failed(fixture('error-guest-busy.txt'))), true)
    assert.equal(isNoSuchDomain(failed(fixture('error-no-domain.txt'))), true)
    assert.equal(isUnreachable(failed(fixture('error-migrate-hostdev.txt'))), false)
  })

  it('the URI: configured, else qemu+ssh from ssh, else the local system daemon', () => {
    const base: HostEntry = {name: 'kvm1', backend: 'libvirt', port: {device: 'enp3s0f0'}}
    assert.equal(libvirtUri(base), 'qemu:///system')
    assert.equal(libvirtUri({...base, ssh: 'root@kvm1'}), 'qemu+ssh://root@kvm1/system')
    assert.equal(libvirtUri({...base, ssh: 'root@kvm1', uri: 'qemu+tls://kvm1/system'}), 'qemu+tls://kvm1/system')
  })

  it('VF ids in the configuration are canonicalised', () => {
    const base: HostEntry = {name: 'kvm1', backend: 'libvirt', port: {device: 'enp3s0f0'}}
    assert.deepEqual(vfModeOf({...base, vfs: {allow: ['03:10.2']}}), {kind: 'hostdev', allow: ['0000:03:10.2']})
    assert.deepEqual(vfModeOf({...base, vfs: {emulated: {model: 'e1000e', nics: [{id: 'EE:00.0', mac: '52:54:00:AA:00:01'}]}}}), {
      kind: 'emulated',
      model: 'e1000e',
      nics: [{id: '0000:ee:00.0', mac: '52:54:00:aa:00:01'}],
    })
  })

  it('blocked time: per vCPU, wall time minus run time minus steal', () => {
    // 2 vCPUs over 10 s: 8 s ran, 2 s stolen → (20 - 8 - 2) / 2 = 5 s blocked per vCPU.
    const before = estimateBlockedSeconds(2, 1000, 100, 1)
    const after = estimateBlockedSeconds(2, 1010, 108, 3)
    assert.equal(after - before, 5)
  })
})
