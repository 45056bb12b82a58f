// Which configuration file is in force, through the built CLI: `sova config path` for each rule
// (--config, $SOVA_CONFIG, the user's file, the system-wide one, none), the system-wide file found
// and read by other commands, and a directory with two candidates refused naming both.
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {freshStateDir, sova} from './helpers.js'

/** A fresh private directory (the trust check refuses one others may write). */
function privateDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  chmodSync(dir, 0o700)
  return dir
}

/** A user and a system-wide directory, empty, and the environment that points Sova at them. */
function dirs() {
  const xdg = privateDir('sova-xdg-')
  const etc = privateDir('sova-etc-')
  mkdirSync(join(xdg, 'sova'), {mode: 0o700})
  return {user: join(xdg, 'sova'), etc, env: {SOVA_CONFIG: '', XDG_CONFIG_HOME: xdg, SOVA_SYSTEM_CONFIG_DIR: etc}}
}

interface Where {
  path: string | null
  format: string | null
  rule: string
  why: string
  exists: boolean
  looked: {path: string; exists: boolean}[]
}

async function where(env: Record<string, string>, args: string[] = []): Promise<Where> {
  const result = await sova(['config', 'path', '--format', 'json', ...args], {state: freshStateDir(), env})
  assert.equal(result.exitCode, 0, String(result.stderr))
  return JSON.parse(String(result.stdout)) as Where
}

describe('sova config path', () => {
  it('none in force: says so (the defaults), with every file looked at', async () => {
    // Protects the "no configuration" answer: named as defaults, not as a missing file.
    const {user, etc, env} = dirs()
    const found = await where(env)
    assert.equal(found.path, null)
    assert.equal(found.rule, 'none')
    const names = ['config.yaml', 'config.yml', 'config.json']
    assert.deepEqual(found.looked, [user, etc].flatMap((dir) => names.map((name) => ({path: join(dir, name), exists: false}))))
    const text = await sova(['config', 'path'], {state: freshStateDir(), env})
    assert.equal(
      String(text.stdout),
      [
        'in force: none (the defaults; no hosts: the simulated cluster)',
        `why: ${found.why}`,
        'looked at, in order:',
        ...found.looked.map((candidate) => `  ${candidate.path}  absent`),
        '',
      ].join('\n'),
    )
  })

  it('the system-wide file is found after the user\'s, and run and config check read it', async () => {
    // Protects the acceptance point: /etc/sova (here $SOVA_SYSTEM_CONFIG_DIR) is found when the user has none.
    const {user, etc, env} = dirs()
    writeFileSync(join(etc, 'config.yaml'), '# system-wide\npolicy:\n  name: seed\n', {mode: 0o644})
    const found = await where(env)
    assert.equal(found.path, join(etc, 'config.yaml'))
    assert.equal(found.rule, 'system')
    assert.equal(found.format, 'yaml')
    assert.deepEqual(found.looked.filter((candidate) => candidate.exists), [{path: join(etc, 'config.yaml'), exists: true}])
    const checked = await sova(['config', 'check'], {state: freshStateDir(), env})
    assert.equal(String(checked.stdout), `${join(etc, 'config.yaml')}: valid YAML; no hosts (the simulated cluster runs); policy seed\n`)
    const ran = await sova(['run', '--once', '--quiet', '--format', 'json'], {state: freshStateDir(), env})
    assert.equal(ran.exitCode, 0, String(ran.stderr))
    assert.equal((JSON.parse(String(ran.stdout).trim()) as {scores: {policy: string}}).scores.policy, 'seed')

    // The user's file wins over the system-wide one, and the system directory is then not looked at.
    writeFileSync(join(user, 'config.json'), '{"policy": {"name": "sova"}}\n', {mode: 0o600})
    const mine = await where(env)
    assert.equal(mine.path, join(user, 'config.json'))
    assert.equal(mine.rule, 'user')
    assert.equal(mine.format, 'json')
    assert.equal(mine.looked.length, 3)
  })

  it('$SOVA_CONFIG wins over both directories, --config over $SOVA_CONFIG', async () => {
    // Protects the order of the rules.
    const {user, env} = dirs()
    writeFileSync(join(user, 'config.yaml'), 'cluster: a\n', {mode: 0o600})
    const named = join(privateDir('sova-named-'), 'x.yml')
    writeFileSync(named, 'cluster: b\n', {mode: 0o600})
    const fromEnv = await where({...env, SOVA_CONFIG: named})
    assert.deepEqual([fromEnv.path, fromEnv.rule, fromEnv.format, fromEnv.exists, fromEnv.looked], [named, 'SOVA_CONFIG', 'yaml', true, []])
    const fromFlag = await where({...env, SOVA_CONFIG: named}, ['--config', '/nonexistent/sova.json'])
    assert.deepEqual([fromFlag.path, fromFlag.rule, fromFlag.exists], ['/nonexistent/sova.json', '--config', false])
    const text = await sova(['config', 'path', '--config', '/nonexistent/sova.json'], {state: freshStateDir(), env})
    assert.match(String(text.stdout), /^in force: \/nonexistent\/sova\.json \(JSON; it does not exist: every command refuses it, exit 2\)\nwhy: given with --config\n/)
  })

  it('two candidates in one directory: exit 65 naming both, for config path and every command', async () => {
    // Protects against a guess between config.yaml and config.json.
    const {etc, env} = dirs()
    writeFileSync(join(etc, 'config.yaml'), 'cluster: a\n', {mode: 0o644})
    writeFileSync(join(etc, 'config.json'), '{}\n', {mode: 0o644})
    for (const args of [['config', 'path'], ['config', 'check'], ['run', '--once']]) {
      const result = await sova(args, {state: freshStateDir(), env})
      assert.equal(result.exitCode, 65, args.join(' '))
      assert.equal(String(result.stdout), '')
      assert.match(String(result.stderr), new RegExp(`: ${etc}/? holds ${join(etc, 'config.yaml')} and ${join(etc, 'config.json')}: which one is in force would be a guess`.replaceAll('.', '\\.')))
    }
  })
})
