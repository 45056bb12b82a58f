// The queries Sova sends, evaluated by Prometheus's own engine (promtool test rules) on a few
// series: the host key is `instance` without its port, so both exporters of a host are one host,
// and a domain's textfile series are read only where the libvirt exporter lacks the domain.
// Skipped without promtool (Debian's prometheus package), required with SOVA_LAB=required (.ci/run).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {queryText} from '../../src/lib/sensing/promql.js'

const hasPromtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0
if (!hasPromtool && process.env.SOVA_LAB === 'required') throw new Error('SOVA_LAB=required, but promtool (Debian package prometheus) is not installed')

const SCOPE = {hostLabel: 'instance', hosts: ['h1', 'h2', 'h4.x']}
const series = (name: string, value: number) => ({series: name, values: `${value} ${value}`})

describe('the queries on Prometheus\'s engine', {skip: hasPromtool ? false : 'promtool is not installed (Debian package prometheus)'}, () => {
  it('instance less its port names the host; only the configuration\'s hosts are asked about; textfile series of a domain only where the libvirt exporter lacks it', () => {
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
          ],
          promql_expr_test: [
            {
              expr: queryText('hosts', SCOPE),
              eval_time: '1m',
              exp_samples: [
                {labels: '{instance="h1:9100", job="node", sova_host_key="h1", sova_part="up"}', value: 1},
                {labels: '{instance="h1:9177", job="libvirt", sova_host_key="h1", sova_part="up"}', value: 0},
                {labels: '{instance="h4.x:9100", job="node", sova_host_key="h4.x", sova_part="up"}', value: 1},
              ],
            },
            {
              expr: queryText('domains', SCOPE),
              eval_time: '1m',
              exp_samples: [
                {labels: '{domain="vm1", sova_host_key="h1", sova_part="lv_cpu"}', value: 7},
                {labels: '{domain="vm2", sova_host_key="h2", sova_part="sova_cpu"}', value: 5},
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
