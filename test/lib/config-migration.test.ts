// The migration section of the configuration: every key accepted where it applies, refused with
// its line where it does not (a libvirt option on Xen hosts, an address no tool should see).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {actionBoundsOf} from '../../src/lib/config-bounds.js'
import {checkConfigText} from '../../src/lib/config-check.js'

const LIBVIRT = `# libvirt cluster with a migration network
migration:
  bandwidthMiBs: 800
  autoConverge: true
  postcopy: false
  tls: true
  compressed: true
  maxParallel: 2
hosts:
  - name: kvm1
    backend: libvirt
    port: {device: enp3s0f0}
    migration:
      address: 10.0.9.1
      listenAddress: 10.0.9.1
  - name: kvm2
    backend: libvirt
    port: {device: enp3s0f0}
    migration:
      address: kvm2-mig.lab
      maxParallel: 1
      bandwidthMiBs: 200
`

describe('config: migration options', () => {
  it('every libvirt key, cluster-wide and per host, is valid', () => {
    assert.deepEqual(checkConfigText(LIBVIRT, 'c.yaml'), [])
  })

  it('Xen: sshCommand and a migration address are valid; libvirt-only keys refused at their line', () => {
    const text = [
      'migration:',
      '  sshCommand: /usr/local/sbin/migrate-ssh',
      '  tls: true',                     // 3
      'hosts:',
      '  - name: xen1',
      '    backend: xen',
      '    port: {device: eth0}',
      '    migration:',
      '      address: 10.0.9.1',
      '      bandwidthMiBs: 100',         // 10
      '      listenAddress: 10.0.9.1',    // 11
      '',
    ].join('\n')
    assert.deepEqual(checkConfigText(text, 'x.yaml'), [
      'x.yaml:3: migration.tls: a libvirt option: xl migrate has no such option (docs/configuration.md says what Xen has)',
      'x.yaml:10: hosts[0].migration.bandwidthMiBs: a libvirt option: xl migrate has no such option (docs/configuration.md says what Xen has)',
      'x.yaml:11: hosts[0].migration.listenAddress: a libvirt option: xl migrate has no such option (docs/configuration.md says what Xen has)',
    ])
  })

  it('values no tool should see are refused: a bad address, a name to listen on, an ssh command with options, 0 MiB/s', () => {
    const bad = (migration: Record<string, unknown>, top: Record<string, unknown> = {}) =>
      checkConfigText(JSON.stringify({...top, hosts: [{name: 'kvm1', backend: 'libvirt', port: {device: 'eth0'}, migration}]}, null, 2), 'c.json')
    assert.deepEqual(bad({address: 'kvm2..lab'}), ['c.json:10: hosts[0].migration.address: "kvm2..lab" is neither a host name nor an IP address'])
    assert.deepEqual(bad({address: '-oProxyCommand=x'}), ['c.json:10: hosts[0].migration.address: expected a host name or IP address, got "-oProxyCommand=x"'])
    assert.deepEqual(bad({listenAddress: 'kvm1'}), ['c.json:10: hosts[0].migration.listenAddress: "kvm1" is not an IP address (QEMU binds to an address, not a name)'])
    assert.deepEqual(bad({}, {migration: {sshCommand: 'ssh -c aes'}}), ['c.json:3: migration.sshCommand: expected one word, a command such as /usr/local/sbin/migrate-ssh (letters, digits and _./:@%+=,-, not starting with -), got "ssh -c aes"'])
    assert.deepEqual(bad({bandwidthMiBs: 0}), ['c.json:10: hosts[0].migration.bandwidthMiBs: expected a whole number of MiB/s, 1..1048576, got number 0'])
    assert.deepEqual(bad({postcopy: 'yes'}), ['c.json:10: hosts[0].migration.postcopy: expected true or false, got "yes"'])
    assert.deepEqual(bad({sshCommand: '/usr/bin/ssh'}), ['c.json:10: hosts[0].migration.sshCommand: a Xen option (xl migrate -s): libvirt reaches the target by its URI'])
  })

  it('the bounds on actions at once: defaults when unset (2 per host, 5 in the cluster, 16 hosts of VF changes), each setting read, a host\'s own cap first', () => {
    // Protects the documented defaults and where each setting is read from.
    const defaults = actionBoundsOf({})
    assert.deepEqual([defaults.migrationsPerHost('kvm1'), defaults.migrationsInCluster, defaults.vfHostsAtOnce], [2, 5, 16])
    const set = actionBoundsOf({migration: {maxParallel: 3, maxParallelInCluster: 1}, hosts: [{name: 'kvm2', migration: {maxParallel: 6}}], vfChanges: {maxParallelHosts: 1}})
    assert.deepEqual([set.migrationsPerHost('kvm1'), set.migrationsPerHost('kvm2'), set.migrationsInCluster, set.vfHostsAtOnce], [3, 6, 1, 1])
  })

  it('the bounds are checked: whole numbers from 1, the cluster cap at the top level only', () => {
    const text = (config: Record<string, unknown>) => checkConfigText(JSON.stringify(config, null, 2), 'c.json')
    assert.deepEqual(text({migration: {maxParallelInCluster: 8}, vfChanges: {maxParallelHosts: 4}}), [])
    assert.deepEqual(text({migration: {maxParallelInCluster: 0}}), ['c.json:3: migration.maxParallelInCluster: expected a whole number 1..1024, got number 0'])
    assert.deepEqual(text({vfChanges: {maxParallelHosts: 2.5}}), ['c.json:3: vfChanges.maxParallelHosts: expected a whole number 1..1024, got number 2.5'])
    assert.match(text({hosts: [{name: 'kvm1', backend: 'libvirt', port: {device: 'eth0'}, migration: {maxParallelInCluster: 2}}]}).join('\n'), /hosts\[0\]\.migration\.maxParallelInCluster: unknown key/)
  })
})
