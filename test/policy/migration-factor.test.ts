import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {migrationFactors} from '../../src/lib/policy/migration-factor.js'

const close = (actual: number | undefined, expected: number) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `expected ${expected}, got ${actual}`)

describe('migrationFactors', () => {
  it('scores three VMs by hand', () => {
    // Means: net 300, memory 2048, CPU 0.5.
    // a: (100/300 - 1)² + (1024/2048 - 1)² + 0 = 4/9 + 1/4 = 25/36 -> 5/6
    // b: (200/300 - 1)² + 0 + 0 = 1/9 -> 1/3
    // c: (600/300 - 1)² + (3072/2048 - 1)² + 0 = 1 + 1/4 -> sqrt(1.25)
    const factors = migrationFactors([
      {name: 'a', netBps: 100, memoryMiB: 1024, cpuUsedRatio: 0.5},
      {name: 'b', netBps: 200, memoryMiB: 2048, cpuUsedRatio: 0.5},
      {name: 'c', netBps: 600, memoryMiB: 3072, cpuUsedRatio: 0.5},
    ])
    assert.deepEqual([...factors.keys()], ['a', 'b', 'c'])
    close(factors.get('a'), 5 / 6)
    close(factors.get('b'), 1 / 3)
    close(factors.get('c'), Math.sqrt(1.25))
  })

  it('counts CPU when it differs', () => {
    // Means: net 100, memory 1000, CPU 1. x: 0 + 0 + (0.5 - 1)² = 1/4 -> 0.5; y: (1.5 - 1)² -> 0.5.
    const factors = migrationFactors([
      {name: 'x', netBps: 100, memoryMiB: 1000, cpuUsedRatio: 0.5},
      {name: 'y', netBps: 100, memoryMiB: 1000, cpuUsedRatio: 1.5},
    ])
    close(factors.get('x'), 0.5)
    close(factors.get('y'), 0.5)
  })

  it('lets a resource nobody uses contribute 0 instead of 0/0', () => {
    // Net and CPU means are 0; memory mean 2048: a (0.5 - 1)² -> 0.5, b 0, c 0.5.
    const factors = migrationFactors([
      {name: 'a', netBps: 0, memoryMiB: 1024, cpuUsedRatio: 0},
      {name: 'b', netBps: 0, memoryMiB: 2048, cpuUsedRatio: 0},
      {name: 'c', netBps: 0, memoryMiB: 3072, cpuUsedRatio: 0},
    ])
    assert.deepEqual(Object.fromEntries(factors), {a: 0.5, b: 0, c: 0.5})
  })

  it('gives a lone VM 0 and no VMs an empty map', () => {
    assert.deepEqual(Object.fromEntries(migrationFactors([{name: 'solo', netBps: 5, memoryMiB: 5, cpuUsedRatio: 5}])), {solo: 0})
    assert.equal(migrationFactors([]).size, 0)
  })
})
