// docs/prometheus.md prints the queries Sova runs: they must be the code's, word for word.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {sensingQueries} from '../../src/lib/sensing/promql.js'

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'prometheus.md')

/** The queries as the page prints them: one part a line, each query under its name. */
export function documentedQueries(): string {
  return sensingQueries({hostLabel: 'instance', hosts: ['kvm1', 'kvm2']}).map(({name, query}) => `${name}:\n\n\`\`\`promql\n${query.split(' or ').join(' or\n')}\n\`\`\`\n`).join('\n')
}

describe('docs/prometheus.md', () => {
  it('lists exactly the queries the code sends', () => {
    const text = readFileSync(DOC, 'utf8')
    const block = text.match(/<!-- queries:[^\n]*-->\n([\s\S]*?)<!-- end of queries -->/)
    assert.ok(block, 'the page has its generated block of queries')
    assert.equal(block[1], documentedQueries(), 'docs/prometheus.md is out of date: paste the expected text between its markers')
  })
})
