// The /proc/net/bonding parser against current, old-kernel and degraded renderings (INTERFACES.md §4.1).
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {parseBonding} from '../../src/lib/agent/bonding.js'

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'agent', 'bonding', name), 'utf8')

describe('parseBonding', () => {
  it('reads the current kernel format: master, options in parentheses, both slaves', () => {
    const bond = parseBonding(fixture('current.txt'))
    assert.equal(bond.driverVersion, 'v6.8.0-45-generic')
    assert.equal(bond.mode, 'active-backup')
    assert.equal(bond.modeText, 'fault-tolerance (active-backup)')
    assert.equal(bond.failOverMac, 'active')
    assert.equal(bond.primary, 'eth1')
    assert.equal(bond.primaryReselect, 'always')
    assert.equal(bond.activeSlave, 'eth1')
    assert.equal(bond.usesPrimary, true)
    assert.equal(bond.miiStatus, 'up')
    assert.equal(bond.miimonMs, 100)
    assert.equal(bond.upDelayMs, 0)
    assert.equal(bond.downDelayMs, 0)
    assert.deepEqual(bond.slaves, [
      {name: 'eth1', miiStatus: 'up', speed: '10000 Mbps', linkFailureCount: 0, permanentHwAddr: '52:54:00:6d:90:02'},
      {name: 'eth0', miiStatus: 'up', speed: 'Unknown', linkFailureCount: 1, permanentHwAddr: '00:16:3e:5a:10:01'},
    ])
  })

  it('reads an old v3.7.1 header with its date, no fail_over_mac and no peer notification line', () => {
    const bond = parseBonding(fixture('v3.7.1.txt'))
    assert.equal(bond.driverVersion, 'v3.7.1 (April 27, 2011)')
    assert.equal(bond.mode, 'active-backup')
    assert.equal(bond.failOverMac, undefined)
    assert.equal(bond.primary, 'eth1')
    assert.equal(bond.upDelayMs, 200)
    assert.deepEqual(bond.slaves.map((slave) => [slave.name, slave.linkFailureCount]), [['eth0', 0], ['eth1', 2]])
  })

  it('Primary Slave: None is no primary and no primary_reselect', () => {
    const bond = parseBonding(fixture('primary-none.txt'))
    assert.equal(bond.primary, undefined)
    assert.equal(bond.primaryReselect, undefined)
    assert.equal(bond.activeSlave, 'eth0')
    assert.equal(bond.usesPrimary, true)
    assert.equal(bond.slaves.length, 1)
  })

  it('Currently Active Slave: None is no active slave; miimon 0 is read as 0', () => {
    const bond = parseBonding(fixture('active-none.txt'))
    assert.equal(bond.activeSlave, undefined)
    assert.equal(bond.primary, 'eth1')
    assert.equal(bond.primaryReselect, 'better')
    assert.equal(bond.failOverMac, 'follow')
    assert.equal(bond.miimonMs, 0)
    assert.deepEqual(bond.slaves.map((slave) => slave.miiStatus), ['down', 'down'])
  })

  it('a balance-rr bond has no primary or active lines at all', () => {
    const bond = parseBonding(fixture('balance-rr.txt'))
    assert.equal(bond.mode, 'balance-rr')
    assert.equal(bond.usesPrimary, false)
    assert.equal(bond.primary, undefined)
    assert.equal(bond.activeSlave, undefined)
    assert.equal(bond.slaves.length, 2)
  })

  it('an 802.3ad info block and indented LACP details do not leak into the master or the slaves', () => {
    const text = [
      'Ethernet Channel Bonding Driver: v6.1.0-18-amd64',
      '',
      'Bonding Mode: IEEE 802.3ad Dynamic link aggregation',
      'Transmit Hash Policy: layer2 (0)',
      'MII Status: up',
      'MII Polling Interval (ms): 100',
      '',
      '802.3ad info',
      'LACP active: on',
      'Aggregator selection policy (ad_select): stable',
      '',
      'Slave Interface: eth2',
      'MII Status: up',
      'Aggregator ID: 1',
      'details actor lacp pdu:',
      '    port state: 61',
      '',
    ].join('\n')
    const bond = parseBonding(text)
    assert.equal(bond.mode, '802.3ad')
    assert.equal(bond.miiStatus, 'up')
    assert.deepEqual(bond.slaves.map((slave) => [slave.name, slave.miiStatus]), [['eth2', 'up']])
  })

  it('an unknown mode, CRLF endings and an empty text do not throw', () => {
    assert.equal(parseBonding('Bonding Mode: something new\r\n').mode, 'unknown')
    assert.equal(parseBonding('Bonding Mode: something new\r\n').modeText, 'something new')
    const empty = parseBonding('')
    assert.equal(empty.mode, 'unknown')
    assert.deepEqual(empty.slaves, [])
  })
})
