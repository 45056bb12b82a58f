// The queries Sova sends, evaluated by Prometheus's own engine (promtool test rules) on a few
// series: each is one part aggregated by `instance` (the reader takes its `:port` off, so both
// exporters of a host are one host) and the part's labels, of the configuration's hosts only.
// Skipped without promtool (Debian's prometheus package), required with SOVA_LAB=required (.ci/run).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {partQuery} from '../../src/lib/sensing/promql.js'

const hasPromtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0
if (!hasPromtool && process.env.SOVA_LAB === 'required') throw new Error('SOVA_LAB=required, but promtool (Debian package prometheus) is not installed')

const SCOPE = {hostLabel: 'instance', hosts: ['h1', 'h2', 'h4.x']}
const series = (name: string, value: number) => ({series: name, values: `${value} ${value}`})

describe('the queries on Prometheus\'s engine', {skip: hasPromtool ? false : 'promtool is not installed (Debian package prometheus)'}, () => {
  it('by instance and the part\'s labels only; only the configuration\'s hosts are asked about', () => {
    const test = {
      tests: [
        {
          interval: '1m',
          input_series: [
            series('up{job="node",instance="h1:9100"}', 1),
            series('up{job="libvirt",instance="h1:9177"}', 0),
            series('up{job="node",instance="h4.x:9100"}', 1),
            // Not hosts of the configuration: not asked about (h4yx would match an unescaped h4.x).
            series('up{job="node",instance="h4yx:9100"}', 1),
            series('up{job="node",instance="h3:9100"}', 1),
            series('libvirt_domain_info_cpu_time_seconds_total{instance="h1:9177",domain="vm1"}', 7),
            series('sova_domain_cpu_seconds_total{instance="h1:9100",domain="vm1",uuid="u1"}', 6),
            series('sova_domain_cpu_seconds_total{instance="h2:9100",domain="vm2",uuid="u2"}', 5),
            // One series a tag, as sova export writes them; the reader keeps the domain and the tag.
            series('sova_domain_tag{instance="h2:9100",domain="vm2",uuid="u2",tag="xen:nomigrate"}', 1),
            series('sova_domain_tag{instance="h2:9100",domain="vm2",uuid="u2",tag="database"}', 1),
          ],
          promql_expr_test: [
            {
              expr: partQuery('up', SCOPE),
              eval_time: '1m',
              exp_samples: [
                {labels: '{instance="h1:9100", job="node"}', value: 1},
                {labels: '{instance="h1:9177", job="libvirt"}', value: 0},
                {labels: '{instance="h4.x:9100", job="node"}', value: 1},
              ],
            },
            {expr: partQuery('lv_cpu', SCOPE), eval_time: '1m', exp_samples: [{labels: '{domain="vm1", instance="h1:9177"}', value: 7}]},
            {
              expr: partQuery('sova_cpu', SCOPE),
              eval_time: '1m',
              exp_samples: [
                {labels: '{domain="vm1", instance="h1:9100"}', value: 6},
                {labels: '{domain="vm2", instance="h2:9100"}', value: 5},
              ],
            },
            {
              expr: partQuery('tag', SCOPE),
              eval_time: '1m',
              exp_samples: [
                {labels: '{domain="vm2", instance="h2:9100", tag="database"}', value: 1},
                {labels: '{domain="vm2", instance="h2:9100", tag="xen:nomigrate"}', value: 1},
              ],
            },
          ],
        },
      ],
    }
    const dir = mkdtempSync(join(tmpdir(), 'sova-promtool-'))
    // JSON is YAML.
    writeFileSync(join(dir, 'test.yml'), JSON.stringify(test))
    const result = spawnSync('promtool', ['test', 'rules', join(dir, 'test.yml')], {encoding: 'utf8'})
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`)
  })
})
