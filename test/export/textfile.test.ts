// sova export's text and its write: parsed back by a real text-format parser (and promtool where it
// is installed), hostile names escaped, the lab's vms basis without port counters, and a write
// that is all or nothing through a temporary file in the same directory.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import * as fs from 'node:fs'
import {mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {describe, it} from 'node:test'
import type {RawHost} from '../../src/lib/backends/types.js'
import {EXIT, SovaError} from '../../src/lib/errors.js'
import {localEntry, pickHost} from '../../src/lib/export/local-host.js'
import {textfileText} from '../../src/lib/export/textfile-metrics.js'
import {checkTextfileDir, TEXTFILE_NAME, type TextfileFs, writeTextfile} from '../../src/lib/export/textfile-write.js'
import {type ParsedFamily, parseExposition} from '../metrics/parse-exposition.js'

const scratch = () => mkdtempSync(join(tmpdir(), 'sova-export-'))
const HOSTILE = 'we"ird\\name\nwith {x="y"} 1'

function host(basis: RawHost['nic']['basis'] = 'port-counters'): RawHost {
  return {
    name: 'h1',
    nic: {device: 'eth0', speedMbps: 25_000, rxBytes: 9e12, txBytes: 8e12, basis, driver: 'mlx5_core', basisWhy: 'mlx5_core port counters'},
    vfs: {total: 3, free: ['0000:04:10.2']},
    cpus: 8,
    memoryMiB: {total: 65536, free: 1024},
    vms: [
      {name: 'web1', id: '1', uuid: 'u-web1', vcpus: 2, memoryMiB: 2048, path: 'vf', vf: '0000:04:10.0', counters: {cpuSeconds: 12.5, blockedSeconds: 3, rxBytes: 100, txBytes: 200, basis: 'vif+vf 0000:04:10.0'}},
      {name: 'app1', id: '2', uuid: 'u-app1', vcpus: 1, memoryMiB: 512, path: 'pv', vf: null, counters: {cpuSeconds: 1, blockedSeconds: 0.5, rxBytes: 10, txBytes: 20}},
    ],
    vfCounters: [
      {vf: '0000:04:10.2', rxBytes: 0, txBytes: 0},
      {vf: '0000:04:10.0', rxBytes: 90, txBytes: 180},
    ],
    unmanaged: [{host: 'h1', name: HOSTILE, uuid: 'u-odd', why: 'odd name', vf: '0000:04:10.1'}],
  }
}

const byName = (families: ParsedFamily[], name: string) => families.find((family) => family.name === name)
const series = (families: ParsedFamily[], name: string): Record<string, any>[] => (byName(families, name)?.metrics ?? []).map((metric) => ({...metric.labels, value: Number(metric.value)}))

describe('sova export text', () => {
  it('parses back to the contract\'s families, each with HELP and TYPE, values and labels intact', () => {
    const text = textfileText(host(), 1_700_000_000.5)
    const families = parseExposition(text)
    assert.deepEqual(families.map((family) => `${family.name} ${family.type}`), [
      'sova_textfile_timestamp_seconds GAUGE',
      'sova_port_info GAUGE',
      'sova_port_receive_bytes_total COUNTER',
      'sova_port_transmit_bytes_total COUNTER',
      'sova_port_speed_bytes GAUGE',
      'sova_vf_info GAUGE',
      'sova_vf_receive_bytes_total COUNTER',
      'sova_vf_transmit_bytes_total COUNTER',
      'sova_domain_info GAUGE',
      'sova_domain_cpu_blocked_seconds_total COUNTER',
      'sova_domain_receive_bytes_total COUNTER',
      'sova_domain_transmit_bytes_total COUNTER',
      'sova_domain_cpu_seconds_total COUNTER',
      'sova_domain_virtual_cpus GAUGE',
      'sova_domain_memory_bytes GAUGE',
    ])
    for (const family of families) assert.ok(family.help.length > 10, `${family.name} has HELP`)
    assert.equal(text.match(/^# HELP /gm)?.length, families.length)
    assert.equal(text.match(/^# TYPE /gm)?.length, families.length)
    assert.deepEqual(series(families, 'sova_textfile_timestamp_seconds'), [{value: 1_700_000_000.5}])
    assert.deepEqual(series(families, 'sova_port_info'), [{device: 'eth0', driver: 'mlx5_core', basis: 'port-counters', value: 1}])
    assert.deepEqual(series(families, 'sova_port_receive_bytes_total'), [{device: 'eth0', value: 9e12}])
    assert.deepEqual(series(families, 'sova_port_speed_bytes'), [{device: 'eth0', value: 25_000 * 125_000}])
    // The pool in address order: the held VFs (a managed and an unmanaged holder) and the free one.
    assert.deepEqual(series(families, 'sova_vf_info'), [
      {pf: 'eth0', vf: '0000:04:10.0', domain: 'web1', uuid: 'u-web1', value: 1},
      {pf: 'eth0', vf: '0000:04:10.1', domain: HOSTILE, uuid: 'u-odd', value: 1},
      {pf: 'eth0', vf: '0000:04:10.2', domain: '', uuid: '', value: 1},
    ])
    assert.deepEqual(series(families, 'sova_vf_transmit_bytes_total'), [
      {pf: 'eth0', vf: '0000:04:10.0', value: 180},
      {pf: 'eth0', vf: '0000:04:10.2', value: 0},
    ])
    assert.deepEqual(series(families, 'sova_domain_info'), [
      {domain: 'app1', uuid: 'u-app1', path: 'pv', vf: '', value: 1},
      {domain: 'web1', uuid: 'u-web1', path: 'vf', vf: '0000:04:10.0', value: 1},
    ])
    assert.deepEqual(series(families, 'sova_domain_receive_bytes_total'), [
      {domain: 'app1', uuid: 'u-app1', basis: '', value: 10},
      {domain: 'web1', uuid: 'u-web1', basis: 'vif+vf 0000:04:10.0', value: 100},
    ])
    assert.deepEqual(series(families, 'sova_domain_cpu_blocked_seconds_total').map((s) => s.value), [0.5, 3])
    assert.deepEqual(series(families, 'sova_domain_memory_bytes').map((s) => s.value), [512 * 1048576, 2048 * 1048576])
    assert.deepEqual(series(families, 'sova_domain_virtual_cpus').map((s) => s.value), [1, 2])
    assert.deepEqual(series(families, 'sova_domain_cpu_seconds_total').map((s) => s.value), [1, 12.5])
  })

  it('a port counted as its VMs\' sum says basis vms and writes no port counters (the reader sums the VMs)', () => {
    const families = parseExposition(textfileText(host('vms'), 1))
    assert.deepEqual(series(families, 'sova_port_info'), [{device: 'eth0', driver: 'mlx5_core', basis: 'vms', value: 1}])
    assert.equal(byName(families, 'sova_port_receive_bytes_total'), undefined)
    assert.equal(byName(families, 'sova_port_transmit_bytes_total'), undefined)
    // Samples stored as `pf`, or without a basis, are the PF's own counters: said by today's name.
    assert.equal(series(parseExposition(textfileText(host('pf'), 1)), 'sova_port_info')[0].basis, 'pf-only')
  })

  it('passes promtool check metrics where Debian\'s prometheus is installed', (t) => {
    if (!fs.existsSync('/usr/bin/promtool')) return t.skip('no /usr/bin/promtool (Debian package prometheus)')
    const result = spawnSync('/usr/bin/promtool', ['check', 'metrics'], {input: textfileText(host(), 1_700_000_000), encoding: 'utf8'})
    assert.equal(result.status, 0, result.stdout + result.stderr)
  })
})

describe('sova export write', () => {
  it('replaces the file through a hidden temporary file in the same directory, renamed, mode 0644 whatever the umask', () => {
    const dir = scratch()
    const path = checkTextfileDir(dir)
    assert.equal(path, join(dir, TEXTFILE_NAME))
    writeFileSync(path, 'old\n')
    const renames: [string, string][] = []
    const watching: TextfileFs = {...fs, renameSync: (from, to) => {
      // Until the rename the collector sees the old file whole; the new one is complete before it.
      assert.equal(readFileSync(path, 'utf8'), 'old\n')
      assert.equal(readFileSync(from, 'utf8'), 'new text\n')
      renames.push([String(from), String(to)])
      fs.renameSync(from, to)
    }}
    const umask = process.umask(0o077)
    try {
      writeTextfile(path, 'new text\n', watching)
    } finally {
      process.umask(umask)
    }
    assert.equal(renames.length, 1)
    const [[temp, target]] = renames
    assert.equal(dirname(temp), dir, 'the temporary file is in DIR, so the rename is atomic')
    assert.match(temp.slice(dir.length + 1), /^\.sova-export\.prom\.[0-9a-f]+\.tmp$/, 'hidden and not *.prom: the collector never reads it')
    assert.equal(target, path)
    assert.equal(readFileSync(path, 'utf8'), 'new text\n')
    assert.equal(statSync(path).mode & 0o777, 0o644)
    assert.deepEqual(readdirSync(dir), [TEXTFILE_NAME])
  })

  it('a failed write leaves the old file whole and no temporary file', () => {
    const dir = scratch()
    const path = join(dir, TEXTFILE_NAME)
    writeFileSync(path, 'old\n')
    const failing: TextfileFs = {...fs, fsyncSync: () => {
      throw Object.assign(new Error('no space left on device'), {code: 'ENOSPC'})
    }}
    assert.throws(() => writeTextfile(path, 'new\n', failing), (error: SovaError) => error.exit === EXIT.internal && /ENOSPC/.test(error.message))
    assert.equal(readFileSync(path, 'utf8'), 'old\n')
    assert.deepEqual(readdirSync(dir), [TEXTFILE_NAME])
  })

  it('refuses a directory that is missing, is a file, holds a directory by the file\'s name, or cannot be written (exit 65)', () => {
    const dir = scratch()
    const file = join(dir, 'plain')
    writeFileSync(file, '')
    const blocked = scratch()
    fs.mkdirSync(join(blocked, TEXTFILE_NAME))
    for (const [target, why] of [[join(dir, 'missing'), /no such directory/], [file, /not a directory/], [blocked, /sova-export.prom in it is a directory/], ['/proc', /not writable/]] as const) {
      assert.throws(() => checkTextfileDir(target), (error: SovaError) => error.exit === EXIT.badInput && why.test(error.message) && error.message.startsWith(`--textfile ${target}: `), target)
    }
  })
})

describe('sova export: which host this machine is', () => {
  it('--host when given and configured; else the host named as the machine, or as its first label', () => {
    const hosts = ['xen1', 'xen2.example.org', 'kvm3']
    assert.equal(pickHost(hosts, 'kvm3', 'anything', 'c.json'), 'kvm3')
    assert.equal(pickHost(hosts, undefined, 'xen2.example.org', 'c.json'), 'xen2.example.org')
    assert.equal(pickHost(hosts, undefined, 'xen1.example.org', 'c.json'), 'xen1')
    assert.throws(() => pickHost(hosts, 'xen3', 'xen1', 'c.json'), (error: SovaError) => error.exit === EXIT.usage && error.message === '--host xen3: not a host of c.json (hosts: xen1, xen2.example.org, kvm3)')
    assert.throws(() => pickHost(hosts, undefined, 'mgmt.example.org', 'c.json'), (error: SovaError) => error.exit === EXIT.usage && /no host of c.json is named "mgmt.example.org"/.test(error.message))
  })
})

describe('sova export: this machine reads itself', () => {
  it('with its own tools: no ssh, and the libvirt URI without its remote part', () => {
    const port = {device: 'eth0'}
    assert.deepEqual(localEntry({name: 'xen1', backend: 'xen', ssh: 'root@xen1', port}), {name: 'xen1', backend: 'xen', port})
    assert.deepEqual(localEntry({name: 'kvm1', backend: 'libvirt', uri: 'qemu+ssh://root@kvm1/system?keyfile=/k', port}), {name: 'kvm1', backend: 'libvirt', uri: 'qemu:///system', port})
    assert.equal(localEntry({name: 'kvm2', backend: 'libvirt', uri: 'qemu://kvm2/session', port}).uri, 'qemu:///session')
    assert.equal(localEntry({name: 'kvm3', backend: 'libvirt', uri: 'qemu:///system', port}).uri, 'qemu:///system')
    assert.equal(localEntry({name: 'x', backend: 'libvirt', uri: 'xen+ssh://root@x', port}).uri, 'xen:///')
  })
})
