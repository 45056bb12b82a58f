import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {explainDocument} from '../../src/lib/explain/explain-vm.js'
import {withRules} from '../../src/lib/policy/rules.js'
import {doc, host, hostScore, seedScores, vm} from '../helpers/build.js'

describe('explain says the rules, and which rule is why nothing happened', () => {
  const rules = {
    vms: [{match: {name: 'db1'}, migrate: 'never' as const, origin: 'sova rule set T'}, {match: {name: 'web1'}, vf: 'never' as const, origin: 'configuration rules.vms.web1'}],
    hosts: [{host: 'h2', maintenance: true, origin: 'configuration rules.hosts.h2'}],
  }
  const scored = (hot: boolean) => withRules(doc([host('h1', [vm('db1'), vm('web1')]), host('h2', [vm('app1')])], {scores: seedScores({h1: hostScore({hot}), h2: hostScore()})}), rules)

  it('on a hot host, a pinned VM stayed because of its rule, named with its origin', () => {
    const [db1, web1] = explainDocument(scored(true))
    assert.match(db1.outcome, /\(pinned by never-migrate \(sova rule set T\)\)/)
    assert.deepEqual(db1.rules, ['db1 is pinned to its host: never migrated (sova rule set T)'])
    assert.match(web1.outcome, /\(vf: never \(configuration rules.vms.web1\)\)$/)
    assert.doesNotMatch(web1.outcome, /pinned/)
  })

  it('on a host that is not hot, the rule is said but not given as why it stayed', () => {
    const [db1] = explainDocument(scored(false))
    assert.doesNotMatch(db1.outcome, /pinned/)
    assert.deepEqual(db1.rules, ['db1 is pinned to its host: never migrated (sova rule set T)'])
    const app1 = explainDocument(scored(false), {vm: 'app1'})[0]
    assert.deepEqual(app1.rules, ['h2 is in maintenance: no VM moves in, no VF is handed out there (configuration rules.hosts.h2)'])
  })
})
