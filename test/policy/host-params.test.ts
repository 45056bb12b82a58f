// A host's own parameters (the configuration's hosts[].policy) steer the decisions about that host
// only; a flag still wins over them.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {clusterPolicyParams} from '../../src/lib/cli/flags.js'
import {planMigrations, scorePolicy} from '../../src/lib/policy/policies.js'
import {doc, loadedHost, vm} from '../helpers/build.js'

// Three samples of the same load: a full window for sova's default recent = 3.
const history = [0, 10, 20].map((at) => ({at, utilisation: {a: 0.8, b: 0.8, c: 0.1}, knowledge: {peak: {a: 0.8, b: 0.8, c: 0.1}, vms: []}}))
const busyVm = (name: string, mbps: number) => vm(name, {net: {rxBps: (mbps * 1e6) / 8, txBps: 0, activeRatio: 1}})

describe('per-host policy parameters', () => {
  const hosts = () => [loadedHost('a', 0.8, [busyVm('a1', 4000), busyVm('a2', 4000)]), loadedHost('b', 0.8, [busyVm('b1', 4000), busyVm('b2', 4000)]), loadedHost('c', 0.1)]
  const config = {hosts: [
    {name: 'a', backend: 'libvirt' as const, port: {device: 'eth0'}, policy: {hotspot: {threshold: 0.7}}},
    {name: 'b', backend: 'libvirt' as const, port: {device: 'eth0'}},
    {name: 'c', backend: 'libvirt' as const, port: {device: 'eth0'}, policy: {sova: {targetBelow: 0.3}}},
  ]}

  it('a host with a lower threshold is hot where the others are not', () => {
    const params = clusterPolicyParams({}, config)
    const scores = scorePolicy(doc(hosts()), history, params)
    assert.equal(scores.hosts.a.hot, true, scores.hosts.a.reason)
    assert.equal(scores.hosts.b.hot, false, scores.hosts.b.reason)
  })

  it('a target keeps its own headroom limit', () => {
    const params = clusterPolicyParams({}, config)
    const scored = doc(hosts().filter((host) => host.name !== 'b'))
    scored.scores = scorePolicy(scored, history, params)
    const plan = planMigrations(scored, params)
    assert.deepEqual(plan.items, [])
    assert.match(plan.rejected?.join('\n') ?? '', /c would reach 0\.50 ≥ 0\.30 with a1/)
    // Without c's own limit the cluster's 0.70 lets a1 go there.
    const relaxed = clusterPolicyParams({}, {hosts: config.hosts.slice(0, 2)})
    const moved = planMigrations(scored, relaxed)
    assert.deepEqual(moved.items.map((item) => `${item.vm} ${item.from}->${item.to}`), ['a1 a->c'])
  })

  it('a flag wins over a host\'s own value', () => {
    const params = clusterPolicyParams({threshold: 0.9}, config)
    assert.equal(params.hosts?.a.hotspot?.threshold, 0.9)
    const scores = scorePolicy(doc(hosts()), history, params)
    assert.equal(scores.hosts.a.hot, false)
  })

  it('a bad host value is refused naming the host', () => {
    assert.throws(() => clusterPolicyParams({}, {hosts: [{...config.hosts[0], policy: {hotspot: {threshold: -1}}}]}), /^UsageError: host a: bad policy parameters: .*threshold/)
  })
})
