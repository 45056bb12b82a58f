// The operator's rules through the CLI on the simulator: the configuration's rules section and
// `sova rule set|unset|list`, seen in the document, the tables, explain and the metrics file.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {documents, freshStateDir, sova} from './helpers.js'

function configFile(value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sova-rules-')), 'config.json')
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2))
  return file
}

const RULES = {
  rules: {
    groups: [
      {name: 'web', match: {name: 'web*'}, vf: 'always', antiAffinity: true},
      {match: {name: 'bulk?'}, vf: 'never'},
    ],
    vms: {web2: {migrate: 'never'}, idle1: {exclude: true}},
    hosts: {host3: {maintenance: true}},
  },
}

const vmOf = (doc: any, name: string) => doc.hosts.flatMap((host: any) => host.vms).find((vm: any) => vm.name === name)

describe('rules through the CLI', () => {
  it('the configuration\'s rules are in every document run writes, each naming the key that said it', async () => {
    const state = freshStateDir()
    const config = configFile(RULES)
    const result = await sova(['run', '--once', '--dry-run', '--config', config, '--format', 'json'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual(vmOf(doc, 'web2').rules, {
      migrate: 'never', vf: 'always', groups: ['web'], antiAffinity: ['web'],
      by: {migrate: 'configuration rules.vms.web2', vf: 'configuration rules.groups[0] "web"', antiAffinity: 'configuration rules.groups[0] "web"'},
    })
    assert.deepEqual(vmOf(doc, 'bulk1').rules, {vf: 'never', by: {vf: 'configuration rules.groups[1]'}})
    assert.deepEqual(vmOf(doc, 'idle1').rules, {exclude: true, by: {exclude: 'configuration rules.vms.idle1'}})
    assert.equal(vmOf(doc, 'cpu1').rules, undefined)
    assert.deepEqual(doc.hosts.find((host: any) => host.name === 'host3').rules, {maintenance: true, by: {maintenance: 'configuration rules.hosts.host3'}})
  })

  it('sova rule set wins over the configuration per key, is idempotent, and rule unset gives the key back', async () => {
    const state = freshStateDir()
    const config = configFile(RULES)
    const set = await sova(['rule', 'set', 'web2', '--migrate', 'auto', '--exclude', '--config', config, '--format', 'json'], {state})
    assert.equal(set.exitCode, 0, String(set.stderr))
    assert.match(String(set.stderr), /^rule set: web2: migrate=auto exclude=true\n$/)
    const again = await sova(['rule', 'set', 'web2', '--migrate', 'auto', '--config', config], {state})
    assert.equal(again.exitCode, 0)
    assert.match(String(again.stderr), /already so, nothing changed/)
    const [doc] = documents((await sova(['collect', '--config', config], {state})).stdout)
    const web2 = vmOf(doc, 'web2').rules
    assert.equal(web2.migrate, undefined, 'migrate auto set later undid the configuration\'s never')
    assert.equal(web2.exclude, true)
    assert.match(web2.by.exclude, /^sova rule set \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const unset = await sova(['rule', 'unset', 'web2', 'migrate', '--config', config], {state})
    assert.equal(unset.exitCode, 0, String(unset.stderr))
    const [after] = documents((await sova(['collect', '--config', config], {state})).stdout)
    assert.equal(vmOf(after, 'web2').rules.migrate, 'never', 'the configuration\'s rule is back')
    assert.equal(vmOf(after, 'web2').rules.exclude, true)
  })

  it('sova rule list: every rule in force, in order of precedence, with its origin and what it selects', async () => {
    const state = freshStateDir()
    const config = configFile(RULES)
    await sova(['collect', '--config', config], {state})
    await sova(['rule', 'set', '--host', 'host1', '--exclude', '--config', config], {state})
    const listed = await sova(['rule', 'list', '--config', config, '--format', 'json'], {state})
    assert.equal(listed.exitCode, 0, String(listed.stderr))
    const records = documents(listed.stdout)
    assert.deepEqual(records.map((record) => [record.for, record.match, record.rule, record.origin.replace(/\d{4}-.*Z$/, 'TIME')]), [
      ['vm', 'name web*', 'vf=always anti-affinity', 'configuration rules.groups[0] "web"'],
      ['vm', 'name bulk?', 'vf=never', 'configuration rules.groups[1]'],
      ['vm', 'name web2', 'migrate=never', 'configuration rules.vms.web2'],
      ['vm', 'name idle1', 'exclude', 'configuration rules.vms.idle1'],
      ['host', 'host host3', 'maintenance', 'configuration rules.hosts.host3'],
      ['host', 'host host1', 'exclude', 'sova rule set TIME'],
    ])
    assert.equal(records[0].selects, 'web1 web2 web3 web4 web5 web6 web7 web8 web9')
    const csv = await sova(['rule', 'list', '--config', config, '--format', 'csv'], {state})
    assert.match(String(csv.stdout), /^for,match,group,rule,origin,selects\n/)
  })

  it('rule set refuses what cannot be right with exit 2 and stores nothing; an unknown VM is warned about and kept', async () => {
    const state = freshStateDir()
    for (const args of [['web1'], ['web1', '--maintenance'], ['--host', 'host1', '--vf', 'never'], ['web1', '--host', 'host1', '--exclude'], ['web1;rm', '--exclude'], []]) {
      const result = await sova(['rule', 'set', ...args], {state})
      assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.equal(String(result.stderr).split('\n').length, 2, `one line: ${result.stderr}`)
    }
    assert.equal((await sova(['rule', 'list', '--format', 'json'], {state})).stdout, '')
    assert.equal((await sova(['rule', 'unset', 'web1', 'maintenance'], {state})).exitCode, 2)
    await sova(['collect'], {state})
    const unknown = await sova(['rule', 'set', 'db9', '--vf', 'never'], {state})
    assert.equal(unknown.exitCode, 0)
    assert.match(String(unknown.stderr), /^warning: VM db9 is not in the last document of sim:paper:1 .*the rule is kept/)
  })

  it('the configuration\'s rules are checked: a bad glob, an unknown key, a bad name; then an empty match, anti-affinity without a name', async () => {
    const state = freshStateDir()
    const check = async (rules: unknown) => {
      const config = configFile({rules})
      const result = await sova(['config', 'check', '--config', config], {state})
      assert.equal(result.exitCode, 65)
      return String(result.stdout).split('\n').filter(Boolean).map((line) => line.slice(config.length + 1))
    }
    assert.deepEqual(await check({groups: [{match: {name: 'db[0-9]'}}, {match: {tag: 'x'}, pin: true}], vms: {'web 1': {}}}), [
      '6: rules.groups[0].match.name: expected a VM name or a glob of one (letters, digits, . _ : @ + - and the wildcards * and ?), got "db[0-9]"',
      '13: rules.groups[1].pin: unknown key in rules.groups[1] (see docs/configuration.md)',
      '17: rules.vms.web 1: not a VM name (a name of letters, digits and . _ : @ + - (at most 64, not starting with -))',
    ])
    // What the schema cannot say is checked once the shape is right.
    assert.deepEqual(await check({groups: [{match: {}, antiAffinity: true}]}), [
      '5: rules.groups[0].match: selects no VM: give name (a glob) and/or tag',
      '6: rules.groups[0].antiAffinity: needs the group\'s name (anti-affinity is of a named group)',
    ])
    const run = await sova(['run', '--once', '--config', configFile({rules: {hosts: {host1: {maintenance: 'yes'}}}})], {state})
    assert.equal(run.exitCode, 65)
    assert.match(String(run.stderr), /^sova run: .*config.json:\d+: rules.hosts.host1.maintenance: expected true or false, got "yes"\n$/)
  })

  it('the rules show in --format table, explain and the metrics file', async () => {
    const state = freshStateDir()
    const config = configFile(RULES)
    const metrics = join(mkdtempSync(join(tmpdir(), 'sova-metrics-')), 'sova.prom')
    const table = await sova(['run', '--once', '--dry-run', '--config', config, '--format', 'table', '--metrics-file', metrics], {state})
    assert.equal(table.exitCode, 0, String(table.stderr))
    const row = (name: string) => String(table.stdout).split('\n').find((line) => line.startsWith(`${name} `)) ?? ''
    assert.match(row('web2'), / pinned vf:always anti:web /)
    assert.match(row('idle1'), / excluded /)
    assert.match(row('host3'), / maint /)
    const explained = await sova(['explain', '--vm', 'web2', '--format', 'text'], {state})
    assert.match(String(explained.stdout), /Rules: +web2 is pinned to its host: never migrated \(configuration rules.vms.web2\)\n +web2 keeps or gets a VF whenever one is free \(vf: always\) \(configuration rules.groups\[0\] "web"\)\n +member of group web: anti-affinity/)
    const table2 = await sova(['explain', '--format', 'json'], {state})
    const bulk1 = documents(table2.stdout).find((explanation) => explanation.vm === 'bulk1')
    assert.match(bulk1.outcome, /\(vf: never \(configuration rules.groups\[1\]\)\)$/)
    const text = readFileSync(metrics, 'utf8')
    assert.match(text, /^sova_host_maintenance\{host="host3"\} 1$/m)
    assert.match(text, /^sova_host_maintenance\{host="host1"\} 0$/m)
    assert.match(text, /^sova_vm_pinned\{vm="web2",host="host\d"\} 1$/m)
    assert.match(text, /^sova_vm_excluded\{vm="idle1",host="host\d"\} 1$/m)
    assert.match(text, /^sova_vm_vf_rule\{vm="bulk1",host="host\d",rule="never"\} 1$/m)
    assert.match(text, /^# TYPE sova_vm_pinned gauge$/m)
  })

  it('a scenario\'s VM tags reach the document, and a group selects by tag; a bad tag is refused with the file\'s line', async () => {
    const state = freshStateDir()
    const scenario = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'examples', 'scenario.json'), 'utf8'))
    const tagged = scenario.vms[0].name
    scenario.vms[0].tags = ['database', 'eu']
    const dir = mkdtempSync(join(tmpdir(), 'sova-scenario-'))
    writeFileSync(join(dir, 'tagged.json'), JSON.stringify(scenario))
    assert.equal((await sova(['sim', 'reset', '--scenario', join(dir, 'tagged.json')], {state})).exitCode, 0)
    const config = configFile({rules: {groups: [{name: 'databases', match: {tag: 'database'}, migrate: 'never'}]}})
    const [doc] = documents((await sova(['collect', '--config', config], {state})).stdout)
    const vm = vmOf(doc, tagged)
    assert.deepEqual(vm.tags, ['database', 'eu'])
    assert.deepEqual(vm.rules, {migrate: 'never', groups: ['databases'], by: {migrate: 'configuration rules.groups[0] "databases"'}})
    scenario.vms[0].tags = ['data base']
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(scenario, null, 2))
    const bad = await sova(['sim', 'reset', '--scenario', join(dir, 'bad.json')], {state})
    assert.equal(bad.exitCode, 65)
    assert.match(String(bad.stderr), /vms\[0\]\.tags\[0\]: expected a tag/)
  })
})
