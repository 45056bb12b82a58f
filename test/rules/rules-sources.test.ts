import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {parseDomainXml} from '../../src/lib/backends/libvirt/domain-xml.js'
import {vmRulesOf, hostRulesOf} from '../../src/lib/policy/rules.js'
import {rulesFromConfig} from '../../src/lib/rules/config-rules.js'
import {rulesInForce} from '../../src/lib/rules/in-force.js'
import {ruleSetOf, type StoredRule} from '../../src/lib/rules/rules-sql.js'
import {acceptTags, MAX_TAGS} from '../../src/lib/rules/tags.js'
import {Store} from '../../src/lib/store/store.js'

describe('where rules come from', () => {
  it('the configuration: groups in file order, then per-VM entries; each rule names its key', () => {
    const set = rulesFromConfig({
      groups: [{name: 'db', match: {name: 'db*'}, migrate: 'never', antiAffinity: true}, {match: {tag: 'batch'}, vf: 'never'}],
      vms: {db1: {migrate: 'auto', exclude: true}},
      hosts: {h1: {maintenance: true}},
    })
    assert.deepEqual(set.vms.map((rule) => rule.origin), ['configuration rules.groups[0] "db"', 'configuration rules.groups[1]', 'configuration rules.vms.db1'])
    assert.deepEqual(vmRulesOf({name: 'db1'}, set.vms), {exclude: true, groups: ['db'], antiAffinity: ['db'], by: {exclude: 'configuration rules.vms.db1', antiAffinity: 'configuration rules.groups[0] "db"'}})
    assert.equal(vmRulesOf({name: 'db2'}, set.vms)?.migrate, 'never')
    assert.deepEqual(hostRulesOf('h1', set.hosts), {maintenance: true, by: {maintenance: 'configuration rules.hosts.h1'}})
  })

  it('names that are Object.prototype members are VM names like any other', () => {
    const set = rulesFromConfig(JSON.parse('{"vms": {"__proto__": {"exclude": true}, "constructor": {"vf": "never"}}}'))
    assert.deepEqual(set.vms.map((rule) => rule.match.name), ['__proto__', 'constructor'])
    assert.equal(vmRulesOf({name: 'toString'}, set.vms), undefined)
  })

  it('sova rule set: kept per cluster and key, a later set wins, a repeat changes nothing, unset drops keys', () => {
    const store = Store.openInMemory()
    try {
      assert.deepEqual(store.setRules('c1', 'vm', 'db1', {migrate: 'never', vf: 'always'}, '2026-12-03T15:00:00Z'), ['migrate', 'vf'])
      assert.deepEqual(store.setRules('c1', 'vm', 'db1', {migrate: 'never'}, '2026-12-03T15:01:00Z'), [])
      store.setRules('c2', 'host', 'h1', {exclude: 'true'}, '2026-12-03T15:02:00Z')
      assert.deepEqual(store.storedRules('c1').map((rule) => [rule.key, rule.value, rule.setAt]), [['migrate', 'never', '2026-12-03T15:00:00Z'], ['vf', 'always', '2026-12-03T15:00:00Z']])
      const config = {rules: {vms: {db1: {migrate: 'auto' as const, vf: 'never' as const}}}}
      const inForce = rulesInForce(config, store, 'c1')
      assert.deepEqual(vmRulesOf({name: 'db1'}, inForce.vms), {migrate: 'never', vf: 'always', by: {migrate: 'sova rule set 2026-12-03T15:00:00Z', vf: 'sova rule set 2026-12-03T15:00:00Z'}})
      assert.deepEqual(store.unsetRules('c1', 'vm', 'db1', ['vf']), ['vf'])
      assert.equal(vmRulesOf({name: 'db1'}, rulesInForce(config, store, 'c1').vms)?.vf, 'never', 'the configuration\'s rule is in force again')
      assert.deepEqual(store.unsetRules('c1', 'vm', 'db1', []), ['migrate'])
      assert.deepEqual(store.unsetRules('c1', 'vm', 'db1', []), [])
      assert.deepEqual(rulesInForce({}, store, 'c2', [{host: 'h1', exclude: false, origin: 'drain'}]).hosts.map((rule) => rule.origin), ['sova rule set 2026-12-03T15:02:00Z', 'drain'])
    } finally {
      store.close()
    }
  })

  it('stored rows become one rule per key; a row of an unknown key is not a rule', () => {
    const rows: StoredRule[] = [
      {kind: 'vm', target: 'a', key: 'exclude', value: 'false', setAt: 't1'},
      {kind: 'host', target: 'h', key: 'maintenance', value: 'true', setAt: 't2'},
      {kind: 'vm', target: 'a', key: 'maintenance' as never, value: 'true', setAt: 't3'},
    ]
    assert.deepEqual(ruleSetOf(rows), {vms: [{match: {name: 'a'}, exclude: false, origin: 'sova rule set t1'}], hosts: [{host: 'h', maintenance: true, origin: 'sova rule set t2'}]})
  })

  it('tags: checked, once each, at most the limit; the others left out with why', () => {
    const many = Array.from({length: MAX_TAGS + 1}, (_, i) => `t${i}`)
    const {tags, ignored} = acceptTags(['db', 'db', 'a b', '-x', ...many])
    assert.deepEqual(tags.slice(0, 2), ['db', 't0'])
    assert.equal(tags.length, MAX_TAGS)
    assert.deepEqual(ignored, [
      'tag "a b" ignored: not a tag (letters, digits and . _ : @ + -, at most 64)',
      'tag "-x" ignored: not a tag (letters, digits and . _ : @ + -, at most 64)',
      `tag t${MAX_TAGS - 1} ignored: more than ${MAX_TAGS} tags`,
      `tag t${MAX_TAGS} ignored: more than ${MAX_TAGS} tags`,
    ])
  })

  it('libvirt: the tags of Sova\'s <metadata> element by its namespace, whatever the prefix; nothing else', () => {
    const xml = (metadata: string) => `<domain type='kvm'><name>db1</name><uuid>11111111-2222-4333-8444-555555555555</uuid>${metadata}<devices/></domain>`
    assert.deepEqual(parseDomainXml(xml(`<metadata><x:vm xmlns:x="https://sova.dev/xmlns/vm/1"><x:tag>database</x:tag><x:tag> eu </x:tag></x:vm></metadata>`)).tags, ['database', 'eu'])
    assert.deepEqual(parseDomainXml(xml(`<metadata><vm xmlns="https://sova.dev/xmlns/vm/1"><tag>a</tag></vm></metadata>`)).tags, ['a'])
    assert.deepEqual(parseDomainXml(xml(`<metadata><x:vm xmlns:x="https://example.org/other"><x:tag>a</x:tag></x:vm><title>db</title></metadata>`)).tags, [])
    assert.deepEqual(parseDomainXml(xml('<title>database server</title>')).tags, [], 'the title is not read')
  })
})

describe('the loop reads the rules in force at each cycle', () => {
  it('a rule set between two cycles is in the second cycle\'s document, not the first\'s', async () => {
    const {SimBackend} = await import('../../src/lib/backends/sim/backend.js')
    const {startCycle} = await import('../../src/lib/loop/stages.js')
    const store = Store.openInMemory()
    try {
      const backend = new SimBackend(store)
      const cluster = await backend.clusterName()
      const context = {backend, store, executor: undefined, isRunLive: () => true, log: () => {}, rules: () => rulesInForce({}, store, cluster)}
      const first = await startCycle(context, 1)
      assert.ok(first.hosts.every((host) => host.vms.every((vm) => vm.rules === undefined)))
      store.setRules(cluster, 'vm', 'web1', {migrate: 'never'}, '2026-12-03T16:00:00Z')
      const second = await startCycle(context, 2)
      const web1 = second.hosts.flatMap((host) => host.vms).find((vm) => vm.name === 'web1')
      assert.deepEqual(web1?.rules, {migrate: 'never', by: {migrate: 'sova rule set 2026-12-03T16:00:00Z'}})
    } finally {
      store.close()
    }
  })
})
