// Readiness verdicts: each check's ok, and the words a person acts on.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {parseBonding} from '../../src/lib/agent/bonding.js'
import {type ReadinessCheck, checkBondReadiness, nicKind} from '../../src/lib/agent/readiness.js'

const fixture = (name: string) => parseBonding(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'agent', 'bonding', name), 'utf8'))
const XEN = {eth0: 'vif', eth1: 'ixgbevf'}
const verdicts = (checks: ReadinessCheck[]) => Object.fromEntries(checks.map((check) => [check.check, check.ok]))
const byName = (checks: ReadinessCheck[], name: string) => checks.find((check) => check.check === name)!

describe('nicKind', () => {
  it('netfront (vif, xen-netfront) and virtio_net are para-virtual, anything else a VF, nothing unknown', () => {
    assert.deepEqual(['vif', 'xen-netfront', 'virtio_net', 'ixgbevf', 'iavf', 'mlx5_core', undefined, ''].map(nicKind), ['pv', 'pv', 'pv', 'vf', 'vf', 'vf', 'unknown', 'unknown'])
  })
})

describe('checkBondReadiness', () => {
  it('a VF-primary active-backup bond with miimon and an up PV backup passes every check', () => {
    const checks = checkBondReadiness('bond0', fixture('current.txt'), XEN)
    assert.deepEqual(verdicts(checks), {mode: true, miimon: true, 'primary-vf': true, 'active-slave': true, 'pv-backup': true})
    assert.ok(checks.every((check) => check.bond === 'bond0' && check.fix === ''))
    assert.equal(byName(checks, 'primary-vf').detail, 'eth1 (ixgbevf)')
    assert.equal(byName(checks, 'pv-backup').detail, 'eth0 (vif): up')
  })

  it('the old-kernel rendering is judged the same way', () => {
    assert.ok(checkBondReadiness('bond0', fixture('v3.7.1.txt'), {eth0: 'xen-netfront', eth1: 'iavf'}).every((check) => check.ok))
  })

  it('virtio_net counts as the PV backup (KVM guests bonded by hand)', () => {
    assert.equal(byName(checkBondReadiness('bond0', fixture('current.txt'), {eth0: 'virtio_net', eth1: 'mlx5_core'}), 'pv-backup').ok, true)
  })

  it('Primary Slave: None fails primary-vf (VF unplugged or never set) but the active PV slave is fine', () => {
    const checks = checkBondReadiness('bond0', fixture('primary-none.txt'), {eth0: 'vif'})
    assert.deepEqual(verdicts(checks), {mode: true, miimon: true, 'primary-vf': false, 'active-slave': true, 'pv-backup': true})
    assert.match(byName(checks, 'primary-vf').detail, /Primary Slave: None/)
    assert.match(byName(checks, 'primary-vf').fix, /attach the VF/)
  })

  it('Currently Active Slave: None, miimon 0 and a down PV NIC each fail with a fix', () => {
    const checks = checkBondReadiness('bond0', fixture('active-none.txt'), XEN)
    assert.deepEqual(verdicts(checks), {mode: true, miimon: false, 'primary-vf': true, 'active-slave': false, 'pv-backup': false})
    assert.match(byName(checks, 'miimon').fix, /echo 100 > \/sys\/class\/net\/bond0\/bonding\/miimon/)
    assert.match(byName(checks, 'active-slave').detail, /carries no traffic/)
    assert.equal(byName(checks, 'pv-backup').detail, 'eth0 (vif): MII Status down')
    assert.match(byName(checks, 'pv-backup').fix, /ip link set eth0 up/)
  })

  it('balance-rr fails mode, primary and active, naming the mode', () => {
    const checks = checkBondReadiness('bond0', fixture('balance-rr.txt'), XEN)
    assert.deepEqual(verdicts(checks), {mode: false, miimon: true, 'primary-vf': false, 'active-slave': false, 'pv-backup': true})
    assert.match(byName(checks, 'mode').detail, /^balance-rr: /)
    assert.match(byName(checks, 'mode').fix, /mode=active-backup/)
  })

  it('a PV primary fails and the fix names the VF to make primary', () => {
    const status = {...fixture('current.txt'), primary: 'eth0', activeSlave: 'eth0'}
    const checks = checkBondReadiness('bond0', status, XEN)
    assert.deepEqual(verdicts(checks), {mode: true, miimon: true, 'primary-vf': false, 'active-slave': true, 'pv-backup': true})
    assert.match(byName(checks, 'primary-vf').detail, /eth0 \(vif\) is para-virtual/)
    assert.equal(byName(checks, 'primary-vf').fix, "echo eth1 > /sys/class/net/bond0/bonding/primary (or primary=eth1 in the bond's options)")
  })

  it('the PV backup active while the VF primary is present fails, with how to force it back', () => {
    const checks = checkBondReadiness('bond0', {...fixture('current.txt'), activeSlave: 'eth0'}, XEN)
    assert.equal(byName(checks, 'active-slave').ok, false)
    assert.equal(byName(checks, 'active-slave').detail, 'eth0 is active, not the primary eth1')
    assert.equal(byName(checks, 'active-slave').fix, 'echo eth1 > /sys/class/net/bond0/bonding/active_slave (its link must be up)')
  })

  it('unknown drivers are said to be unknown, not guessed', () => {
    const checks = checkBondReadiness('bond0', fixture('current.txt'), {})
    assert.equal(byName(checks, 'primary-vf').ok, false)
    assert.match(byName(checks, 'primary-vf').detail, /eth1: driver unknown, cannot tell a VF from a PV NIC/)
    assert.equal(byName(checks, 'pv-backup').ok, false)
    assert.match(byName(checks, 'pv-backup').detail, /no slave is known to be para-virtual \(slaves: eth1 \(driver unknown\), eth0 \(driver unknown\)\)/)
  })

  it('two VFs and no PV NIC: no backup', () => {
    const checks = checkBondReadiness('bond0', fixture('current.txt'), {eth0: 'ixgbevf', eth1: 'ixgbevf'})
    assert.equal(byName(checks, 'pv-backup').ok, false)
    assert.match(byName(checks, 'pv-backup').detail, /^no para-virtual slave/)
  })
})
