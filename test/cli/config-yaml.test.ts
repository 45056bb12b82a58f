// YAML configuration files through the built CLI: comments allowed, the same validator and
// FILE:LINE problems as JSON, the ambiguous parts of YAML refused with their line, and a YAML
// file that `sova run` reads (its policy is the one the documents show).
import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {freshStateDir, sova} from './helpers.js'

/** `text` written as `name` in a fresh private directory (the trust check refuses a writable one). */
function file(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sova-yaml-'))
  chmodSync(dir, 0o700)
  const path = join(dir, name)
  writeFileSync(path, text, {mode: 0o600})
  return path
}

/** No user or system-wide file can leak in: both directories are fresh and empty. */
const isolated = () => ({SOVA_CONFIG: '', XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'sova-xdg-')), SOVA_SYSTEM_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'sova-etc-'))})

const COMMENTED = `# Lab cluster, edited by hand: comments are why operators want YAML.
cluster: lab        # samples and journal are kept per cluster
policy:
  name: seed        # the seed policy, so the run's documents show it was read
  seed:
    targetBelow: 0.7
timeouts:
  toolSeconds: 20   # slow BMC ssh
`

describe('YAML configuration', () => {
  it('a YAML file with comments checks valid and `sova run --once` runs with it', async () => {
    // Protects the acceptance point: a commented YAML configuration checks and runs (its policy is used).
    const path = file('cluster.yaml', COMMENTED)
    const state = freshStateDir()
    const checked = await sova(['config', 'check', '--config', path], {state, env: isolated()})
    assert.equal(checked.exitCode, 0, String(checked.stderr))
    assert.equal(String(checked.stdout), `${path}: valid YAML; no hosts (the simulated cluster runs); policy seed\n`)

    const ran = await sova(['run', '--once', '--quiet', '--format', 'json', '--config', path], {state, env: isolated()})
    assert.equal(ran.exitCode, 0, String(ran.stderr))
    const doc = JSON.parse(String(ran.stdout).trim().split('\n').at(-1) as string) as {plan?: {policy?: string}; scores?: {policy?: string}}
    assert.equal(doc.scores?.policy, 'seed')
  })

  it('.yml is YAML too; any other extension is JSON', async () => {
    // Protects the format choice by extension: a YAML text in a .json file is refused as JSON.
    const yml = file('c.yml', 'policy:\n  name: seed\n')
    const asYml = await sova(['config', 'check', '--config', yml], {state: freshStateDir(), env: isolated()})
    assert.equal(String(asYml.stdout), `${yml}: valid YAML; no hosts (the simulated cluster runs); policy seed\n`)
    const json = file('c.json', 'policy:\n  name: seed\n')
    const asJson = await sova(['config', 'check', '--config', json], {state: freshStateDir(), env: isolated()})
    assert.equal(asJson.exitCode, 65)
    assert.match(String(asJson.stdout), /: not valid JSON \(/)
  })

  it('schema and cross-field problems: FILE:LINE at the key that is wrong, in file order, exit 65', async () => {
    // Protects line numbers for YAML: a problem at a key reports that key's line, a list item its own.
    const path = file('bad.yaml', [
      '# comment line 1',
      'policy:',
      '  sova:',
      '    cooldownSecond: 10',        // 4: unknown key
      'hosts:',
      '  - name: xen1',                // 6
      '    backend: xen',
      '    port: {device: eth0}',
      '  - name: xen1',                // 9: duplicate host name
      '    backend: xen',
      '    port:',
      '      device: eth0',
      '      speedMbps: fast',         // 13: not a number
      '',
    ].join('\n'))
    const result = await sova(['config', 'check', '--config', path], {state: freshStateDir(), env: isolated()})
    assert.equal(result.exitCode, 65)
    assert.equal(
      String(result.stdout),
      [
        `${path}:4: policy.sova.cooldownSecond: unknown key in policy.sova (see docs/configuration.md)`,
        `${path}:13: hosts[1].port.speedMbps: expected a number, got "fast"`,
        '',
      ].join('\n'),
    )
    const rules = file('rules.yaml', 'hosts:\n  - name: xen1\n    backend: xen\n    port: {device: eth0}\n  - name: xen1\n    backend: xen\n    port: {device: eth1}\n')
    const ruled = await sova(['config', 'check', '--config', rules], {state: freshStateDir(), env: isolated()})
    assert.equal(String(ruled.stdout), `${rules}:5: hosts[1].name: "xen1" is also hosts[0]; host names must be unique\n`)
  })

  it('YAML syntax errors, duplicate keys, anchors and aliases, tags: refused at their line, exit 65', async () => {
    // Protects the refusal of what makes a YAML configuration ambiguous, each with the line to fix.
    const cases: [string, string, string[]][] = [
      ['indentation', 'policy:\n  name: seed\n name2: x\ncluster: a\n', [':3: not valid YAML (All mapping items must start at the same column)']],
      ['a tab', 'policy:\n  name: seed\n\tcluster: a\n', [':3: not valid YAML (Tabs are not allowed as indentation)']],
      ['duplicate key', 'policy:\n  name: seed\npolicy:\n  name: sova\n', [':3: not valid YAML (Map keys must be unique)']],
      ['anchor and alias', 'timeouts: &t\n  toolSeconds: 5\nother: *t\n', [':1: anchor &t: anchors and aliases are not accepted', ':3: alias *t: anchors and aliases are not accepted']],
      ['tag', 'cluster: !!str lab\n', [':1: tag tag:yaml.org,2002:str: tags are not accepted']],
      ['two documents', 'cluster: a\n---\ncluster: b\n', [':2: not valid YAML (Source contains multiple documents']],
      ['empty', '# only a comment\n', [':1: expected a configuration (a YAML mapping of keys']],
      ['a list', '- cluster: a\n', [':1: expected a configuration (a YAML mapping of keys']],
    ]
    for (const [why, text, expected] of cases) {
      const path = file('c.yaml', text)
      const result = await sova(['config', 'check', '--config', path], {state: freshStateDir(), env: isolated()})
      assert.equal(result.exitCode, 65, why)
      const lines = String(result.stdout).trim().split('\n')
      assert.equal(lines.length, expected.length, `${why}: ${String(result.stdout)}`)
      expected.forEach((start, index) => assert.ok(lines[index].startsWith(path + start), `${why}: ${lines[index]}`))
      // Every command refuses it the same way: the first problem, FILE:LINE, exit 65, nothing run.
      const ran = await sova(['run', '--once', '--config', path], {state: freshStateDir(), env: isolated()})
      assert.equal(ran.exitCode, 65, why)
      assert.equal(String(ran.stdout), '')
      assert.ok(String(ran.stderr).startsWith(`sova run: ${path}${expected[0]}`), `${why}: ${String(ran.stderr)}`)
    }
  })

  it('a YAML file writable by others is refused as a JSON one is (65)', async () => {
    // Protects the trust check for the new format.
    const path = file('c.yaml', 'cluster: lab\n')
    chmodSync(path, 0o666)
    const result = await sova(['config', 'check', '--config', path], {state: freshStateDir(), env: isolated()})
    assert.equal(result.exitCode, 65)
    assert.match(String(result.stdout), /writable by group or others \(mode 0666\)/)
  })
})
