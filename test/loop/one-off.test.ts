// ISSUE 12 §1/§3, the pure part of one-off requests: a VM the sample lists as unmanaged is refused
// at the boundary with why (exit 2), whatever the backend, and never planned.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {UsageError} from '../../src/lib/errors.js'
import {planOperatorMigration, planOperatorVf} from '../../src/lib/loop/one-off.js'
import {operatorMigrationStage, operatorVfStage} from '../../src/lib/loop/stages.js'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {host, vm} from '../helpers/build.js'

const hosts = [host('h1', [vm('web1', {uuid: 'u-web1'})]), host('h2')]
const unmanaged = [{host: 'h1', name: '6', uuid: 'u-6', why: 'its name is all digits, which xl reads as a domain id', vf: '0000:03:10.1'}]
const refusal = (error: unknown) =>
  error instanceof UsageError && error.exit === 2 && error.message === 'VM 6 on h1 is not managed by Sova: its name is all digits, which xl reads as a domain id; nothing done'

describe('a one-off naming an unmanaged VM', () => {
  it('is refused with exit 2 and the why, for a VF change and for a migration', () => {
    assert.throws(() => planOperatorVf(hosts, '6', 'pv', [], unmanaged), refusal)
    assert.throws(() => planOperatorVf(hosts, '6', 'vf', [], unmanaged), refusal)
    assert.throws(() => planOperatorMigration(hosts, '6', 'h2', [], unmanaged), refusal)
  })

  it('is refused by the stages from the document\'s own unmanaged list, with no action', async () => {
    const doc = {sova: 1, at: '2026-11-25T10:00:00.000Z', source: {backend: 'xen', cluster: 'lab'}, hosts, unmanaged} as unknown as SovaDocument
    await assert.rejects(operatorVfStage(doc, '6', 'pv', undefined), refusal)
    await assert.rejects(operatorMigrationStage(doc, '6', 'h2', undefined), refusal)
  })

  it('leaves the managed VMs alone', () => {
    const planned = planOperatorMigration(hosts, 'web1', 'h2', [], unmanaged)
    assert.equal('item' in planned ? planned.item?.uuid : undefined, 'u-web1')
  })
})
