import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {UsageError} from '../../src/lib/errors.js'
import {parseProcNetDev} from '../../src/lib/linux/host-facts.js'
import {
  formatLibxlPci,
  parsePciAssignableList,
  parsePciList,
  parsePciListEntries,
  parseXlInfo,
  parseXlList,
  parseXlListLong,
  readHostInfo,
} from '../../src/lib/backends/xen/parse-xl.js'
import {parseXenstoreLs, readAgentCounters, unescapeXenstoreValue} from '../../src/lib/backends/xen/parse-xenstore.js'
import {classifyDomains, isMigrationTransient, selectGuestDomains} from '../../src/lib/backends/xen/snapshot.js'
import {libxlPciOptions} from '../../src/lib/backends/xen/pci-spec.js'
import {computeVfPool} from '../../src/lib/backends/xen/vf-pool.js'
import {estimateBlockedSeconds} from '../../src/lib/backends/hosts/host-readings.js'
import {chooseVmTraffic, isVifOf, staleAgent, sumVifTraffic} from '../../src/lib/backends/xen/vm-traffic.js'

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'xen', name), 'utf8')

describe('xl info', () => {
  const info = parseXlInfo(fixture('xl-info.txt'))

  it('reads `key<padding to 23>: value` lines, splitting on the first colon only', () => {
    assert.equal(info.get('nr_cpus'), '16')
    assert.equal(info.get('cpu_mhz'), '2394.456')
    assert.equal(info.get('cc_compile_date'), 'Tue Oct  1 12:00:00 UTC 2024')
    assert.equal(info.get('xen_changeset'), '')
    assert.match(info.get('virt_caps') ?? '', /^pv hvm hvm_directio/)
  })

  it('gives CPUs and memory in MiB as xl prints them', () => {
    assert.deepEqual(readHostInfo(info), {cpus: 16, memoryMiB: {total: 65410, free: 40123}})
  })

  it('refuses an answer without the numbers', () => {
    assert.throws(() => readHostInfo(parseXlInfo('host                   : xen1\n')), /nr_cpus/)
  })
})

describe('xl list', () => {
  const text = fixture('xl-list.txt')
  const rows = parseXlList(text)

  it('skips the header, which holds TABs', () => {
    assert.ok(text.split('\n')[0].includes('VCPUs\tState\tTime(s)'))
    assert.equal(rows.length, 6)
    assert.equal(rows[0].name, 'Domain-0')
  })

  it('reads rows from the right, so names may hold spaces; Time(s) has 0.1 s precision', () => {
    assert.deepEqual(rows.find((row) => row.domid === 7), {name: 'bad name', domid: 7, memMiB: 512, vcpus: 1, state: '-b----', cpuSeconds: 3.1})
    assert.deepEqual(rows.find((row) => row.name === 'web1'), {name: 'web1', domid: 5, memMiB: 2048, vcpus: 2, state: '-b----', cpuSeconds: 56.7})
    assert.equal(rows.find((row) => row.name === 'app3--incoming')?.state, '--p---')
  })

  it('reads an empty answer as no rows', () => {
    assert.deepEqual(parseXlList(''), [])
  })
})

describe('xl list -l', () => {
  const domains = parseXlListLong(fixture('xl-list-long.json'))
  const byName = new Map(domains.map((domain) => [domain.name, domain]))

  it('reads the JSON array of {domid, config}; dom0 has no stored config and is absent', () => {
    assert.deepEqual(
      domains.map((domain) => [domain.domid, domain.name]),
      [[5, 'web1'], [6, 'db1'], [7, 'bad name'], [8, 'gpu1'], [9, 'app3--incoming']],
    )
  })

  it('takes memory from target_memkb, else max_memkb, and leaves omitted defaults undefined', () => {
    assert.deepEqual(byName.get('web1'), {
      domid: 5, name: 'web1', uuid: '8c6a2f3e-51b2-4a7c-9d0e-1f2a3b4c5d61', vcpus: 2, memoryMiB: 2048, pcidevs: [], pciOptions: new Map(), vifNames: [], noMigrate: false,
    })
    assert.equal(byName.get('db1')?.memoryMiB, 4096)
    assert.equal(byName.get('gpu1')?.vcpus, undefined)
    assert.equal(byName.get('gpu1')?.memoryMiB, undefined)
  })

  it('turns pcidevs into canonical addresses, with omitted fields as 0', () => {
    assert.deepEqual(byName.get('db1')?.pcidevs, ['0000:04:10.5'])
    assert.deepEqual(byName.get('gpu1')?.pcidevs, ['0000:06:00.0'])
    assert.equal(formatLibxlPci({}), '0000:00:00.0')
    assert.equal(formatLibxlPci({domain: 0x10000, bus: 0x3a, dev: 0x1f, func: 7}), '10000:3a:1f.7')
  })

  it('keeps each device\'s options in xl\'s spelling, as the config sets them', () => {
    assert.deepEqual(byName.get('db1')?.pciOptions, new Map([['0000:04:10.5', ['permissive=1']]]))
    assert.deepEqual(byName.get('gpu1')?.pciOptions, new Map([['0000:06:00.0', ['rdm_policy=strict']]]))
    assert.deepEqual(libxlPciOptions({permissive: false, seize: true, msitranslate: 1, power_mgmt: 0, rdm_policy: 'bogus', name: 'vf'}), ['permissive=0', 'msitranslate=1', 'seize=1', 'power_mgmt=0'])
  })

  it('reads the UUID in lower case, and none that is not one', () => {
    const uuidOf = (uuid: unknown) => parseXlListLong(JSON.stringify([{domid: 3, config: {c_info: {name: 'a', uuid}}}]))[0].uuid
    assert.equal(uuidOf('8C6A2F3E-51B2-4A7C-9D0E-1F2A3B4C5D61'), '8c6a2f3e-51b2-4a7c-9d0e-1f2a3b4c5d61')
    assert.equal(uuidOf(undefined), undefined)
    assert.equal(uuidOf('8c6a2f3e'), undefined)
    assert.equal(uuidOf(42), undefined)
  })

  it('reads nomigrate=1 (b_info.disable_migrate, a defbool) and nothing else as it', () => {
    const noMigrate = (value: unknown) => parseXlListLong(JSON.stringify([{domid: 3, config: {c_info: {name: 'a'}, b_info: {disable_migrate: value}}}]))[0].noMigrate
    assert.deepEqual(['True', true, 'False', '<default>', undefined, 1].map(noMigrate), [true, true, false, false, false, false])
  })

  it('keeps custom vif names (vifname=)', () => {
    assert.deepEqual(byName.get('gpu1')?.vifNames, ['gpu1-net'])
  })

  it('reports guests only: not dom0, not a migration copy, not a name Sova refuses', () => {
    const withDom0 = parseXlListLong(JSON.stringify([{domid: 0, config: {c_info: {name: 'Domain-0'}}}, ...JSON.parse(fixture('xl-list-long.json'))]))
    assert.deepEqual(selectGuestDomains(withDom0).map((domain) => domain.name), ['web1', 'db1', 'gpu1'])
    assert.ok(isMigrationTransient('web1--migratedaway'))
    assert.ok(!isMigrationTransient('web1-migrated'))
  })

  it('says why each guest Sova does not manage is not managed', () => {
    const domain = (domid: number, name: string, uuid?: string) => ({domid, config: {c_info: {name, uuid}}})
    const uuid = '0f0e0d0c-0b0a-4909-8807-060504030201'
    const {managed, unmanaged} = classifyDomains(
      parseXlListLong(JSON.stringify([domain(0, 'Domain-0'), domain(3, 'ok', uuid), domain(4, 'web 2', uuid), domain(5, 'x'.repeat(70), uuid), domain(6, '42', uuid), domain(7, 'nouuid'), domain(8, '-f', uuid), domain(9, 'ok--incoming', uuid)])),
    )
    assert.deepEqual(managed.map((d) => d.name), ['ok'])
    assert.deepEqual(unmanaged.map(({domain: d, why}) => [d.name.slice(0, 8), why]), [
      ['web 2', 'its name holds a space (Sova accepts letters, digits and . _ : @ + -)'],
      ['xxxxxxxx', 'its name is 70 characters long (Sova accepts at most 64)'],
      ['42', 'its name is all digits, which xl reads as a domain id'],
      ['nouuid', 'xl list -l gives no UUID for it, so no action could be checked to reach it'],
      ['-f', 'its name starts with "-" (Sova accepts a letter, digit or _ first)'],
    ])
  })

  it('refuses the SXP format with the setting to change, and reads nothing as no domains', () => {
    assert.throws(() => parseXlListLong('(domain (domid 5) (name web1))'), UsageError)
    assert.deepEqual(parseXlListLong('\n'), [])
  })
})

describe('xl pci-assignable-list and pci-list', () => {
  it('trims the trailing space of each assignable line', () => {
    const text = fixture('pci-assignable-list.txt')
    assert.ok(text.includes('0000:04:10.1 \n'))
    assert.deepEqual(parsePciAssignableList(text), ['0000:04:10.1', '0000:04:10.3', '0000:05:00.0'])
  })

  it('accepts -n names and the short BDF form, ignoring anything else', () => {
    assert.deepEqual(parsePciAssignableList('04:10.1 vf-a\n0000:04:10.3 \nWarning: something\n\n'), ['0000:04:10.1', '0000:04:10.3'])
  })

  it('reads the host BDF column of pci-list', () => {
    assert.equal(fixture('pci-list-db1.txt'), 'Vdev Device\n05.0 0000:04:10.5\n')
    assert.deepEqual(parsePciList(fixture('pci-list-db1.txt')), ['0000:04:10.5'])
    assert.deepEqual(parsePciListEntries('Vdev Device\n05.0 0000:04:10.5\n1f.0 0000:81:02.1\n'), [{vslot: 5, bdf: '0000:04:10.5'}, {vslot: 0x1f, bdf: '0000:81:02.1'}])
  })

  it('reads a domain without PCI devices, for which xl prints nothing at all', () => {
    assert.equal(fixture('pci-list-empty.txt'), '')
    assert.deepEqual(parsePciList(fixture('pci-list-empty.txt')), [])
  })
})

describe('xenstore-ls -f', () => {
  const nodes = parseXenstoreLs(fixture('xenstore-ls-f.txt'))

  it('reads full-path lines, unescaping values; a node without a value (`path:`) is skipped', () => {
    assert.equal(nodes.get('/local/domain/5/name'), 'web1')
    assert.equal(nodes.get('/local/domain/0/backend/vif/5/0/frontend'), '/local/domain/5/device/vif/0')
    assert.equal(nodes.get('/local/domain/5/data/motd'), 'line one\nsays \\o/ and "hi"\x7f')
    assert.equal(nodes.has('/local/domain/5/data/secret'), false)
  })

  it('copes with -p permissions and skips values cut short by a terminal width', () => {
    const text = '/local/domain/5/name = "web1" . . . .  (n0,r5)\n/local/domain/5/vm = "/vm/8c6a2f3e-51b2\\..."\n'
    assert.deepEqual([...parseXenstoreLs(text)], [['/local/domain/5/name', 'web1']])
    assert.equal(unescapeXenstoreValue('a\\tb\\001c\\\\'), 'a\tb\x01c\\')
  })

  it('finds the guest agent\'s cumulative counters; the interval keys alone (value, freq) do not count', () => {
    const agents = readAgentCounters(nodes)
    assert.deepEqual([...agents], [[6, {rxBytes: 73400320000, txBytes: 51200000000, activeSeconds: 86000}]])
  })

  it('leaves activeSeconds undefined when the agent does not publish it', () => {
    const agents = readAgentCounters(new Map([['/local/domain/9/network/rx-bytes', '10'], ['/local/domain/9/network/tx-bytes', '20']]))
    assert.deepEqual(agents.get(9), {rxBytes: 10, txBytes: 20, activeSeconds: undefined})
  })
})

describe('VM traffic', () => {
  const netDev = parseProcNetDev(fixture('proc-net-dev.txt'))

  it('sums a domain\'s vifs and their -emu twins, swapped to the guest\'s view', () => {
    assert.deepEqual(sumVifTraffic(netDev, 5), {rxBytes: 1_200_000 + 2000, txBytes: 300_000 + 1000})
    assert.deepEqual(sumVifTraffic(netDev, 55), {rxBytes: 888, txBytes: 999})
    assert.equal(sumVifTraffic(netDev, 7), undefined)
  })

  it('knows custom vif names', () => {
    assert.ok(isVifOf('gpu1-net-emu', 8, ['gpu1-net']))
    assert.ok(!isVifOf('vif55.0', 5))
    assert.deepEqual(sumVifTraffic(netDev, 8, ['gpu1-net']), {rxBytes: 32000, txBytes: 64000})
  })

  it('prefers the guest agent, else vif plus VF', () => {
    const agent = {rxBytes: 10, txBytes: 20, activeSeconds: 5}
    const vif = {rxBytes: 100, txBytes: 200}
    const vf = {rxBytes: 1000, txBytes: 2000}
    const VF = '0000:03:10.1'
    assert.deepEqual(chooseVmTraffic(agent, vif, vf, VF), {rxBytes: 10, txBytes: 20, activeSeconds: 5, source: 'agent', basis: 'agent'})
    assert.deepEqual(chooseVmTraffic({...agent, activeSeconds: undefined}, vif, vf, VF), {rxBytes: 10, txBytes: 20, source: 'agent', basis: 'agent'})
    // The VF's counters run on from its earlier owners: the basis names the VF, so a change of VF is no rate.
    assert.deepEqual(chooseVmTraffic(undefined, vif, vf, VF), {rxBytes: 1100, txBytes: 2200, source: 'vif+vf', basis: `vif+vf ${VF}`})
    assert.deepEqual(chooseVmTraffic(undefined, undefined, vf, VF), {rxBytes: 1000, txBytes: 2000, source: 'vif+vf', basis: `vif+vf ${VF}`})
    assert.deepEqual(chooseVmTraffic(undefined, undefined, undefined), {rxBytes: 0, txBytes: 0, source: 'vif', basis: 'vif'})
  })

  it('an agent that stopped writing (more than 3 of its intervals ago) is stale; an undated one is taken as it is', () => {
    const agent = {rxBytes: 10, txBytes: 20, activeSeconds: 5, updated: 1000, intervalSeconds: 10}
    assert.equal(staleAgent(agent, 1030), undefined)
    assert.equal(staleAgent(agent, 1031), 'guest agent last wrote 31 s ago (more than 3 intervals of 10 s)')
    assert.equal(staleAgent({...agent, intervalSeconds: 60}, 1100), undefined)
    assert.equal(staleAgent({rxBytes: 1, txBytes: 2, activeSeconds: undefined}, 1e9), undefined)
  })

  it('reads when the agent last wrote and how often it writes', () => {
    const agents = readAgentCounters(new Map([
      ['/local/domain/9/network/rx-bytes', '10'], ['/local/domain/9/network/tx-bytes', '20'],
      ['/local/domain/9/network/updated', '1764000000'], ['/local/domain/9/network/interval', '10'],
    ]))
    assert.deepEqual(agents.get(9), {rxBytes: 10, txBytes: 20, activeSeconds: undefined, updated: 1_764_000_000, intervalSeconds: 10})
  })

  it('estimates blocked time as the vCPU time not used, whose deltas make a 0..1 ratio', () => {
    assert.equal(estimateBlockedSeconds(2, 1000, 500), 750)
    // 10 s later, 2 vCPUs ran 5 s in all: each was blocked 7.5 of the 10 s.
    assert.equal(estimateBlockedSeconds(2, 1010, 505) - estimateBlockedSeconds(2, 1000, 500), 7.5)
    assert.equal(estimateBlockedSeconds(0, 10, 4), 6)
  })
})

describe('VF pool', () => {
  const pfVfs = ['0000:04:10.1', '0000:04:10.3', '0000:04:10.5', '0000:04:10.7']
  const assignable = parsePciAssignableList(fixture('pci-assignable-list.txt'))
  const assigned = ['0000:04:10.5', '0000:06:00.0']

  it('is the PF\'s assignable VFs plus those domains hold', () => {
    const pool = computeVfPool({assignable, pfVfs, allow: undefined, assigned})
    assert.deepEqual([pool.free, pool.inUse, pool.total], [['0000:04:10.1', '0000:04:10.3'], ['0000:04:10.5'], 3])
    assert.ok(pool.has('0000:04:10.7'))
    assert.ok(!pool.has('0000:05:00.0'))
  })

  it('keeps to vfs.allow, in any spelling', () => {
    const pool = computeVfPool({assignable, pfVfs, allow: ['04:10.3', '0000:04:10.5'], assigned})
    assert.deepEqual([pool.free, pool.inUse, pool.total], [['0000:04:10.3'], ['0000:04:10.5'], 2])
  })

  it('without sysfs or an allow list, counts every passed-through device', () => {
    const pool = computeVfPool({assignable, pfVfs: undefined, allow: undefined, assigned})
    assert.deepEqual([pool.free.length, pool.inUse, pool.total], [3, ['0000:04:10.5', '0000:06:00.0'], 5])
  })

  it('is empty when SR-IOV is off', () => {
    assert.equal(computeVfPool({assignable, pfVfs: [], allow: undefined, assigned}).total, 0)
  })
})
