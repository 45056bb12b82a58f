import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {arrivalBlocker, matchesVm, migrationBlocker, type RuleSet, vfRuleOf, vfHandOutBlocker, withRules} from '../../src/lib/policy/rules.js'
import {doc, host, vm} from '../helpers/build.js'

const RULES: RuleSet = {
  vms: [
    {match: {name: 'db*'}, group: 'databases', migrate: 'never', vf: 'always', antiAffinity: true, origin: 'configuration rules.groups[0]'},
    {match: {tag: 'batch'}, vf: 'never', origin: 'configuration rules.groups[1]'},
    {match: {name: 'db2'}, migrate: 'auto', origin: 'sova rule set'},
    {match: {name: 'legacy'}, exclude: true, origin: 'configuration rules.vms.legacy'},
  ],
  hosts: [
    {host: 'h2', maintenance: true, origin: 'sova drain h2'},
    {host: 'h3', exclude: true, origin: 'configuration rules.hosts.h3'},
  ],
}

const cluster = () =>
  withRules(
    doc([
      host('h1', [vm('db1'), vm('web1', {tags: ['batch']}), vm('legacy')]),
      host('h2', [vm('db2')]),
      host('h3', [vm('dbx')]),
    ]),
    RULES,
  )

describe('rules: what the operator said, resolved per VM and host', () => {
  it('matches by glob and by tag; every key given must match; an empty match selects nothing', () => {
    assert.equal(matchesVm({name: 'db*'}, {name: 'db1'}), true)
    assert.equal(matchesVm({name: 'db?'}, {name: 'db10'}), false)
    assert.equal(matchesVm({name: 'web.1'}, {name: 'webx1'}), false, 'a dot is a dot, not any character')
    assert.equal(matchesVm({name: 'db*', tag: 'x'}, {name: 'db1', tags: ['y']}), false)
    assert.equal(matchesVm({}, {name: 'db1'}), false)
  })

  it('a later rule wins per key, and names where it was said', () => {
    const [h1, h2] = cluster().hosts
    assert.deepEqual(h1.vms[0].rules, {
      migrate: 'never', vf: 'always', groups: ['databases'], antiAffinity: ['databases'],
      by: {migrate: 'configuration rules.groups[0]', vf: 'configuration rules.groups[0]', antiAffinity: 'configuration rules.groups[0]'},
    })
    assert.equal(h2.vms[0].rules?.migrate, undefined, 'sova rule set db2 --migrate auto undid the group pin')
    assert.equal(h1.vms[1].rules?.vf, 'never')
    assert.equal(h2.rules?.maintenance, true)
  })

  it('a VM no rule selects carries no rules', () => {
    const plain = withRules(doc([host('h1', [vm('web9')])]), RULES)
    assert.equal('rules' in plain.hosts[0].vms[0], false)
    assert.equal('rules' in plain.hosts[0], false)
  })

  it('the predicates name the rule that blocks', () => {
    const [h1, h2, h3] = cluster().hosts
    assert.match(migrationBlocker(h1.vms[0], h1) ?? '', /^db1 is pinned to h1 by never-migrate \(configuration rules.groups\[0\]\)$/)
    assert.match(migrationBlocker(h1.vms[2], h1) ?? '', /legacy is excluded/)
    assert.equal(migrationBlocker(h1.vms[1], h1), undefined)
    assert.match(migrationBlocker(h3.vms[0], h3) ?? '', /h3 is excluded/)
    assert.match(arrivalBlocker(h1.vms[1], h2, h2.vms) ?? '', /h2 is in maintenance \(sova drain h2\)/)
    assert.match(arrivalBlocker(h2.vms[0], h1, h1.vms) ?? '', /anti-affinity group databases: db1 is already on h1/)
    assert.equal(arrivalBlocker(h1.vms[1], h1, h1.vms), undefined)
    assert.equal(vfRuleOf(h1.vms[0], h1), 'always')
    assert.equal(vfRuleOf(h1.vms[2], h1), 'frozen')
    assert.equal(vfRuleOf(h3.vms[0], h3), 'frozen')
    assert.match(vfHandOutBlocker(h2) ?? '', /maintenance/)
    assert.equal(vfHandOutBlocker(h1), undefined)
  })

  it('a name that is an Object.prototype member is only a name', () => {
    const odd = withRules(doc([host('h1', [vm('constructor'), vm('__proto__')])]), {vms: [{match: {name: '__proto__'}, exclude: true, origin: 'x'}], hosts: []})
    assert.equal(odd.hosts[0].vms[0].rules, undefined)
    assert.equal(odd.hosts[0].vms[1].rules?.exclude, true)
  })
})
