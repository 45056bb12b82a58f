// `sova config check`'s engine: every problem, with its line, in words that say what to change.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {checkConfigText, configProblems} from '../../src/lib/config-check.js'
import {lineOfPointer} from '../../src/lib/json-lines.js'

const host = (name: string, extra: Record<string, unknown> = {}) => ({name, backend: 'libvirt', port: {device: 'enp3s0f0'}, ...extra})

describe('config check', () => {
  it('a valid file has no problems', () => {
    assert.deepEqual(configProblems({cluster: 'prod', hosts: [host('h1', {vfs: {allow: ['0000:03:10.1']}}), host('h2', {uri: 'qemu+ssh://root@h2/system'})]}), [])
  })

  it('lists every problem, each with its line number, in file order', () => {
    const text = JSON.stringify(
      {
        hosts: [
          {name: 'h1', backend: 'libvirt', port: {device: 'enp3s0f0', speed: 10000}},
          {name: 'web1; rm -rf /', backend: 'kvm', port: {device: 'eth0'}},
        ],
        polcy: {},
      },
      null,
      2,
    )
    const lines = checkConfigText(text, 'c.json')
    assert.deepEqual(lines, [
      'c.json:8: hosts[0].port.speed: unknown key in hosts[0].port (see docs/configuration.md)',
      'c.json:12: hosts[1].name: expected a name of letters, digits and . _ : @ + - (at most 64, not starting with -), got "web1; rm -rf /"',
      'c.json:13: hosts[1].backend: expected xen or libvirt, got "kvm"',
      'c.json:19: polcy: unknown key (expected cluster, hosts, timeouts, maxSampleAgeSeconds, policy, migration, vfChanges, rules or sensing)',
    ])
  })

  it('cross-field rules: unique names, one backend kind, options that fit the backend, VFs listed once', () => {
    const lines = configProblems({
      hosts: [
        host('h1', {vfs: {allow: ['03:10.1']}}),
        host('h1', {vfs: {allow: ['0000:03:10.1']}}),
        {name: 'x1', backend: 'xen', uri: 'qemu:///system', port: {device: 'eth0'}, vfs: {network: 'pool'}},
        host('lab', {port: {device: 'lo', counters: 'vms'}, vfs: {allow: ['0000:04:10.1'], emulated: {model: 'e1000e', nics: [{id: '0000:6a:00.1', mac: '52:54:00:aa:00:01'}]}}}),
      ],
    }).map((problem) => problem.line)
    assert.deepEqual(lines, [
      'hosts[1].name: "h1" is also hosts[0]; host names must be unique',
      'hosts[1].vfs: VF 0000:03:10.1 is listed twice (also on h1)',
      'hosts[2].backend: xen, but hosts[0] is libvirt: one cluster has one backend kind (a VM cannot migrate between them)',
      'hosts[2].uri: only libvirt hosts have a connection URI (Xen hosts are reached with ssh)',
      'hosts[2].vfs.network: a hostdev network is a libvirt pool; Xen hosts list VFs with allow',
      'hosts[3].vfs: choose one of allow, network or emulated (got allow and emulated)',
      'hosts[3].port.speedMbps: required when counters is "vms" (there is no real port to read a speed from)',
    ])
  })

  it('vfs.vlan and vfs.mac: libvirt VFs only, not a stand-in NIC, and only what libvirt can do', () => {
    assert.deepEqual(configProblems({hosts: [host('h1', {vfs: {vlan: 42, mac: 'per-vm'}}), host('h2', {vfs: {network: 'pool', vlan: 4094}})]}), [])
    const lines = configProblems({hosts: [host('h1', {vfs: {vlan: 4095, mac: 'random'}})]}).map((problem) => problem.line)
    assert.deepEqual(lines, [
      'hosts[0].vfs.vlan: expected an integer 1..4094, got number 4095',
      'hosts[0].vfs.mac: expected per-vf or per-vm, got "random"',
    ])
    const xen = configProblems({hosts: [{name: 'x1', backend: 'xen', port: {device: 'eth0'}, vfs: {vlan: 42}}]}).map((problem) => problem.line)
    assert.deepEqual(xen, ['hosts[0].vfs.vlan: Sova tags VFs with a VLAN only on libvirt hosts'])
    const standIn = configProblems({
      hosts: [host('lab', {port: {device: 'lo', counters: 'vms', speedMbps: 100}, vfs: {vlan: 42, emulated: {model: 'e1000e', nics: [{id: '0000:6a:00.1', mac: '52:54:00:aa:00:01'}]}}})],
    }).map((problem) => problem.line)
    assert.deepEqual(standIn, ['hosts[0].vfs.vlan: libvirt cannot tag an emulated stand-in NIC with a VLAN'])
  })

  it('refuses ssh destinations and URIs a shell or virsh could misread', () => {
    const lines = configProblems({hosts: [host('h1', {ssh: 'root@h1 -oProxyCommand=x'}), host('h2', {uri: 'qemu+ssh://h2/system;reboot'})]}).map((p) => p.line)
    assert.equal(lines.length, 2)
    assert.match(lines[0], /^hosts\[0\]\.ssh: expected \[user@\]host, got "root@h1 -oProxyCommand=x"$/)
    assert.match(lines[1], /^hosts\[1\]\.uri: expected a libvirt URI/)
  })

  it('not JSON: one line with the parser\'s words', () => {
    const [line] = checkConfigText('{"hosts": [', 'c.json')
    assert.match(line, /^c\.json: not valid JSON \(/)
  })
})

describe('lineOfPointer', () => {
  const text = '{\n  "a": 1,\n  "b": [\n    {"c": "x"},\n    {\n      "c": "y, \\"}"\n    }\n  ]\n}\n'
  it('finds nested members and array items', () => {
    assert.equal(lineOfPointer(text, '/a'), 2)
    assert.equal(lineOfPointer(text, '/b'), 3)
    assert.equal(lineOfPointer(text, '/b/0/c'), 4)
    assert.equal(lineOfPointer(text, '/b/1/c'), 6)
  })
  it('falls back to the nearest parent that exists', () => {
    assert.equal(lineOfPointer(text, '/b/1/missing'), 5)
    assert.equal(lineOfPointer(text, ''), 1)
  })
})

describe('config check: a key given twice', () => {
  it('JSON: refused at the line of the second, with its object (JSON.parse would keep the last silently)', () => {
    const text = '{\n  "policy": {"name": "seed"},\n  "hosts": [{"name": "h1", "backend": "xen", "port": {"device": "eth0"},\n     "name": "h2"}],\n  "policy": {"name": "sova"}\n}\n'
    assert.deepEqual(checkConfigText(text, 'c.json'), [
      'c.json:4: hosts[0]: "name" is given twice in one object; keep one',
      'c.json:5: "policy" is given twice in one object; keep one',
    ])
  })

  it('YAML: refused at the line of the second', () => {
    assert.deepEqual(checkConfigText('policy:\n  name: seed\n  name: sova\n', 'c.yaml'), ['c.yaml:3: not valid YAML (Map keys must be unique)'])
  })
})
