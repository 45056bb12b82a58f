// docs/prometheus.md prints the queries Sova runs: they must be the code's, word for word.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {sensingQueries} from '../../src/lib/sensing/promql.js'

const DOC = join(import.meta.dirname, '..', '..', 'docs', 'prometheus.md')

/** The queries as the page prints them: one a line, the second round's (the textfile's own domain series) apart. */
export function documentedQueries(): string {
  const scope = {hostLabel: 'instance', hosts: ['kvm1', 'kvm2']}
  const block = (queries: {query: string}[]) => `\`\`\`promql\n${queries.map(({query}) => query).join('\n')}\n\`\`\`\n`
  return `${block(sensingQueries(scope))}\nThen, of the hosts where the libvirt exporter lacks a domain (here both):\n\n${block(sensingQueries(scope, false, true))}`
}

describe('docs/prometheus.md', () => {
  it('lists exactly the queries the code sends', () => {
    const text = readFileSync(DOC, 'utf8')
    const block = text.match(/<!-- queries:[^\n]*-->\n([\s\S]*?)<!-- end of queries -->/)
    assert.ok(block, 'the page has its generated block of queries')
    assert.equal(block[1], documentedQueries(), 'docs/prometheus.md is out of date: paste the expected text between its markers')
  })
})
