import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseProcNetDev} from '../../src/lib/linux/host-facts.js'
import {
  parseEthtoolDriver,
  parseEthtoolStats,
  parseVfCountersForPort,
  PORT_COUNTERS,
  portCountersOf,
  portLoad,
  type VfCountersReading,
} from '../../src/lib/linux/port-counters.js'

const fixturePath = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'ethtool', name)
const fixture = (name: string) => readFileSync(fixturePath(name), 'utf8')

// The PF's own row, as /proc/net/dev shows it on the mlx5 host of the fixtures.
const pf = {rxBytes: 1_830_455_421, txBytes: 1_204_779_004}
const vfs = parseVfCountersForPort(fixture('ip-s-j-link-vfs.json'))
const noVfStats = parseVfCountersForPort(fixture('ip-j-link-vfs-nostats.json'))

describe('port-counter table', () => {
  // The values are those in each fixture, written in the order and names of the driver's source.
  const expected: Record<string, [number, number]> = {
    mlx5_core: [982_334_011_876, 861_201_977_345],
    i40e: [412_233_900_177, 390_112_877_102],
    ice: [1_722_001_448_129, 1_601_339_442_007],
    ixgbe: [121_033_992_101, 113_820_110_045],
    sfc: [610_332_901_224, 540_110_023_987],
    bnxt_en: [530_221_004_771, 498_770_021_334],
  }

  it('has a fixture and an expected reading for every driver in the table, and names its source', () => {
    assert.deepEqual(PORT_COUNTERS.map((entry) => entry.driver).sort(), Object.keys(expected).sort())
    for (const entry of PORT_COUNTERS) {
      assert.ok(existsSync(fixturePath(`${entry.driver}-S.txt`)), `fixture for ${entry.driver}`)
      assert.match(entry.source, /^[\w.-]+\/[\w.-]+@[0-9a-f]{8}:drivers\/net\/ethernet\//)
    }
  })

  for (const entry of PORT_COUNTERS) {
    it(`${entry.driver}: reads ${entry.rx}/${entry.tx}, not the PF netdev's own rx_bytes/tx_bytes`, () => {
      const load = portLoad({driver: entry.driver, ethtoolStats: fixture(`${entry.driver}-S.txt`), pf, vfs})
      assert.equal(load.basis, 'port-counters')
      assert.deepEqual([load.rxBytes, load.txBytes], expected[entry.driver])
      assert.match(load.why, new RegExp(`^${entry.driver} port counters ${entry.rx.replace('.', '\\.')}/`))
    })
  }

  it('knows a driver only by its exact module name', () => {
    assert.equal(portCountersOf('mlx5_core')?.rx, 'rx_bytes_phy')
    assert.equal(portCountersOf('mlx5'), undefined)
    assert.equal(portCountersOf('I40E'), undefined)
  })
})

describe('the hotspot the PF row misses', () => {
  it('on mlx5 with VFs carrying the traffic, the PF row is under 1% of what the port carries', () => {
    const procNetDev = `Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\nenp59s0f0np0: ${pf.rxBytes} 2130457 0 0 0 0 0 50211 ${pf.txBytes} 1904132 0 0 0 0 0 0\n`
    const pfRow = parseProcNetDev(procNetDev).get('enp59s0f0np0')!
    const load = portLoad({driver: 'mlx5_core', ethtoolStats: fixture('mlx5_core-S.txt'), pf: pfRow, vfs})
    assert.ok(pfRow.rxBytes * 100 < load.rxBytes, `${pfRow.rxBytes} vs ${load.rxBytes}`)
    assert.ok(pfRow.txBytes * 100 < load.txBytes, `${pfRow.txBytes} vs ${load.txBytes}`)
  })
})

describe('fallbacks', () => {
  const vfSum = {rx: pf.rxBytes + 511_002_334_019 + 402_110_020_031, tx: pf.txBytes + 430_221_007_211 + 401_002_211_010}

  it('an unknown driver sums the PF and its VFs, and says why', () => {
    const load = portLoad({driver: 'virtio_net', ethtoolStats: 'NIC statistics:\n     rx_queue_0_bytes: 10\n', pf, vfs})
    assert.deepEqual([load.basis, load.rxBytes, load.txBytes], ['pf+vfs', vfSum.rx, vfSum.tx])
    assert.match(load.why, /driver virtio_net has no entry in the port-counter table; PF plus 3 VF\(s\)/)
  })

  it('a known driver without its port counters in ethtool -S (a VF, old firmware) sums PF and VFs', () => {
    const load = portLoad({driver: 'mlx5_core', ethtoolStats: fixture('mlx5_core-vf-S.txt'), pf, vfs})
    assert.deepEqual([load.basis, load.rxBytes], ['pf+vfs', vfSum.rx])
    assert.match(load.why, /ethtool -S has no rx_bytes_phy/)
  })

  it('ethtool not read, or the driver not known, also falls back, naming which', () => {
    assert.match(portLoad({driver: 'i40e', ethtoolStats: undefined, pf, vfs}).why, /^ethtool -S not read for driver i40e;/)
    assert.match(portLoad({driver: undefined, ethtoolStats: fixture('i40e-S.txt'), pf, vfs}).why, /^driver unknown \(ethtool -i not read\);/)
  })

  it('a port counter printed twice is ambiguous: not used', () => {
    const text = `${fixture('ixgbe-S.txt')}     rx_bytes_nic: 5\n`
    const load = portLoad({driver: 'ixgbe', ethtoolStats: text, pf, vfs})
    assert.equal(load.basis, 'pf+vfs')
    assert.match(load.why, /prints rx_bytes_nic more than once/)
  })

  it('without VF counters it reads the PF only, and says VF traffic is missing', () => {
    const load = portLoad({driver: 'virtio_net', ethtoolStats: undefined, pf, vfs: noVfStats})
    assert.deepEqual([load.basis, load.rxBytes, load.txBytes], ['pf-only', pf.rxBytes, pf.txBytes])
    assert.match(load.why, /VF 0 has no byte counters in ip -s -j link .*; PF counters only \(VF traffic missing\)$/)
  })

  it('port counters win even when VF counters are missing', () => {
    assert.equal(portLoad({driver: 'ice', ethtoolStats: fixture('ice-S.txt'), pf, vfs: noVfStats}).basis, 'port-counters')
  })

  it('VFs that all read zero are summed, with a warning that the driver may not report them', () => {
    const zeros: VfCountersReading = {available: true, counters: [{rxBytes: 0, txBytes: 0}, {rxBytes: 0, txBytes: 0}]}
    const load = portLoad({driver: 'ixgbe', ethtoolStats: undefined, pf, vfs: zeros})
    assert.deepEqual([load.basis, load.rxBytes], ['pf+vfs', pf.rxBytes])
    assert.match(load.why, /every VF reads 0 bytes, as it does when the driver does not report VF counters$/)
    assert.doesNotMatch(portLoad({driver: 'ixgbe', ethtoolStats: undefined, pf, vfs}).why, /every VF reads 0/)
  })

  it('a PF without VFs sums to its own row', () => {
    const none: VfCountersReading = {available: true, counters: []}
    const load = portLoad({driver: 'e1000e', ethtoolStats: undefined, pf, vfs: none})
    assert.deepEqual([load.basis, load.rxBytes, load.txBytes], ['pf+vfs', pf.rxBytes, pf.txBytes])
  })

  it('keeps no state: a reading lower than an earlier one is returned as read (rates handle counter resets)', () => {
    const before = portLoad({driver: 'sfc', ethtoolStats: fixture('sfc-S.txt'), pf, vfs})
    const after = portLoad({driver: 'sfc', ethtoolStats: 'NIC statistics:\n     port_tx_bytes: 7\n     port_rx_bytes: 9\n', pf, vfs})
    assert.ok(after.rxBytes < before.rxBytes)
    assert.deepEqual([after.basis, after.rxBytes, after.txBytes], ['port-counters', 9, 7])
  })
})

describe('ethtool -S parsing', () => {
  it('reads names with dots, brackets, spaces and ": " inside, and trailing spaces before the colon', () => {
    const bnxt = parseEthtoolStats(fixture('bnxt_en-S.txt')).values
    assert.equal(bnxt.get('[0]: rx_ucast_bytes'), 990_221_004)
    assert.equal(bnxt.get('rx_bytes'), 530_221_004_771)
    assert.equal(parseEthtoolStats(fixture('i40e-S.txt')).values.get('tx-0.bytes'), 1_205_038_116)
    // mlx5's source spells "tx_pause_storm_warning_events " with a trailing space.
    assert.equal(parseEthtoolStats(fixture('mlx5_core-S.txt')).values.get('tx_pause_storm_warning_events'), 0)
  })

  it('refuses text that is not ethtool -S output, naming the line', () => {
    assert.throws(() => parseEthtoolStats(''), /does not start with "NIC statistics:"/)
    assert.throws(() => parseEthtoolStats('no stats available\n'), /does not start with "NIC statistics:" \(got "no stats available"\)/)
    assert.throws(() => parseEthtoolStats('NIC statistics:\n     rx_bytes: 12\n     tx_bytes: -3\n'), /line 3 is not "name: count": "     tx_bytes: -3"/)
    assert.throws(() => parseEthtoolStats('NIC statistics:\nrx_bytes: 12\n'), /line 2 is not "name: count"/)
    assert.throws(() => parseEthtoolStats('NIC statistics:\n     rx_bytes: 1.5e3\n'), /line 2/)
    assert.throws(() => parseEthtoolStats('NIC statistics:\n\n     rx_bytes: 1\n'), /line 2/)
  })

  it('portLoad refuses malformed ethtool -S rather than falling back silently', () => {
    assert.throws(() => portLoad({driver: 'mlx5_core', ethtoolStats: 'NIC statistics:\n     rx_bytes_phy 12\n', pf, vfs}), /ethtool -S line 2/)
  })

  it('accepts a table with no counters and trailing blank lines', () => {
    assert.equal(parseEthtoolStats('NIC statistics:\n\n').values.size, 0)
  })
})

describe('ethtool -i parsing', () => {
  it('reads the driver line', () => {
    assert.equal(parseEthtoolDriver(fixture('mlx5_core-i.txt')), 'mlx5_core')
    assert.equal(parseEthtoolDriver(fixture('i40e-i.txt')), 'i40e')
  })

  it('refuses output with no usable driver line', () => {
    assert.throws(() => parseEthtoolDriver('version: 1\nbus-info: 0000:3b:00.0\n'), /no "driver:" line/)
    assert.throws(() => parseEthtoolDriver('driver: \n'), /names no usable driver/)
    assert.throws(() => parseEthtoolDriver('driver: ../../x y\n'), /names no usable driver/)
  })
})

describe('VF counters from ip -s -j link', () => {
  it('reads every VF, idle ones included', () => {
    assert.deepEqual(vfs, {
      available: true,
      counters: [
        {rxBytes: 511_002_334_019, txBytes: 430_221_007_211},
        {rxBytes: 402_110_020_031, txBytes: 401_002_211_010},
        {rxBytes: 0, txBytes: 0},
      ],
    })
  })

  it('says why when they cannot be summed', () => {
    assert.deepEqual(noVfStats, {available: false, why: 'VF 0 has no byte counters in ip -s -j link (ip reports them only with -s; old kernels and iproute2 have none)'})
    assert.deepEqual(parseVfCountersForPort('Device "eth9" does not exist.'), {available: false, why: 'ip -s -j link printed something that is not JSON'})
    assert.deepEqual(parseVfCountersForPort('{}'), {available: false, why: 'ip -s -j link did not print a list of links'})
  })
})
