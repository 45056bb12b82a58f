// One validator for the configuration, whoever reads it. `sova config check` used to pass
// `cooldownSeconds: -5`, `maxMigrationsPerCycle: 0.5` and negative thresholds that `sova run` then
// refused with exit 2: now both refuse them with exit 65 and FILE:LINE at the offending key. And a
// file others could write (or one in a directory they could write) is refused by both, as ssh
// refuses such keys: the configuration decides which hosts Sova reaches and what it runs there.
import assert from 'node:assert/strict'
import {chmodSync, chownSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {permissionProblems} from '../../src/lib/config-check.js'
import {Store} from '../../src/lib/store/store.js'
import {freshStateDir, sova} from './helpers.js'

/** `sova ARGS` with no SOVA_CONFIG and an empty XDG_CONFIG_HOME. */
function run(args: string[], state = freshStateDir()) {
  const xdg = mkdtempSync(join(tmpdir(), 'sova-xdg-'))
  return sova(args, {state, env: {SOVA_CONFIG: '', XDG_CONFIG_HOME: xdg}})
}

/** A file in a fresh private directory (mode 0700), with `text`, mode 0644 unless told. */
function configFile(text: string, fileMode = 0o644): string {
  const dir = mkdtempSync(join(tmpdir(), 'sova-config-'))
  const path = join(dir, 'config.json')
  writeFileSync(path, text)
  chmodSync(path, fileMode)
  return path
}

const BAD_PARAMETERS = `{
  "policy": {
    "hotspot": {"threshold": -0.5},
    "seed": {"targetBelow": -1},
    "sova": {
      "cooldownSeconds": -5,
      "maxMigrationsPerCycle": 0.5
    }
  },
  "hosts": [
    {"name": "x1", "backend": "xen", "port": {"device": "eth0"},
     "policy": {"sova": {"targetBelow": 2}}}
  ]
}
`

describe('policy parameters: one validator for config check and run', () => {
  it('config check lists each bad parameter at its line, exit 65', async () => {
    const path = configFile(BAD_PARAMETERS)
    const result = await run(['config', 'check', '--config', path])
    assert.equal(result.exitCode, 65, String(result.stderr))
    assert.equal(
      String(result.stdout),
      [
        `${path}:3: policy.hotspot.threshold: expected a number > 0, got number -0.5`,
        `${path}:4: policy.seed.targetBelow: expected a number > 0, got number -1`,
        `${path}:6: policy.sova.cooldownSeconds: expected a number >= 0, got number -5`,
        `${path}:7: policy.sova.maxMigrationsPerCycle: expected a whole number >= 0, got number 0.5`,
        `${path}:12: hosts[0].policy.sova.targetBelow: expected a share greater than 0 and at most 1, got number 2`,
        '',
      ].join('\n'),
    )
    assert.equal(String(result.stderr), `sova config check: ${path}: 5 problems\n`)
  })

  for (const [key, value, line] of [
    ['cooldownSeconds', '-5', 'expected a number >= 0, got number -5'],
    ['maxMigrationsPerCycle', '0.5', 'expected a whole number >= 0, got number 0.5'],
  ] as const) {
    it(`sova run refuses ${key}: ${value} from the file with exit 65 and FILE:LINE, acting on nothing`, async () => {
      const path = configFile(`{\n  "policy": {\n    "sova": {"${key}": ${value}}\n  }\n}\n`)
      const state = freshStateDir()
      const result = await run(['run', '--once', '--config', path], state)
      assert.equal(result.exitCode, 65, String(result.stderr))
      assert.equal(String(result.stdout), '')
      assert.equal(String(result.stderr), `sova run: ${path}:3: policy.sova.${key}: ${line}\n`)
      const store = Store.open(state)
      try {
        assert.equal(store.journalCount(), 0)
      } finally {
        store.close()
      }
    })
  }

  it('a value that clashes with a default is placed at its section and says so', async () => {
    const path = configFile('{\n  "policy": {\n    "name": "seed",\n    "hotspot": {"recent": 2}\n  }\n}\n')
    const result = await run(['config', 'check', '--config', path])
    assert.equal(result.exitCode, 65)
    assert.equal(String(result.stdout), `${path}:4: policy.hotspot.hotSamplesNeeded: expected at most recent (2), got 3 (with the defaults)\n`)
  })

  it('a flag still wins: a bad flag is a usage error (exit 2)', async () => {
    const result = await run(['run', '--once', '--dry-run', '--cooldown-backoff', '0.5'])
    assert.equal(result.exitCode, 2, String(result.stderr))
  })
})

describe('who may write the configuration', () => {
  const GOOD = '{"policy": {"name": "seed"}}\n'

  it('a file writable by others: config check and every command refuse it (exit 65), naming it and the fix', async () => {
    for (const fileMode of [0o666, 0o620]) {
      const path = configFile(GOOD, fileMode)
      const checked = await run(['config', 'check', '--config', path])
      assert.equal(checked.exitCode, 65, String(checked.stderr))
      const problem = `${path}: writable by group or others (mode 0${fileMode.toString(8)}): whoever can write it decides what Sova does on your hosts; chmod go-w ${path}`
      assert.equal(String(checked.stdout), `${problem}\n`)
      const ran = await run(['run', '--once', '--dry-run', '--config', path])
      assert.equal(ran.exitCode, 65, String(ran.stderr))
      assert.equal(String(ran.stderr), `sova run: ${problem}\n`)
      chmodSync(path, 0o644)
      assert.equal((await run(['config', 'check', '--config', path])).exitCode, 0, 'the fix it names is enough')
    }
  })

  it('a file in a directory others may write (not sticky): refused, naming the directory', async () => {
    const path = configFile(GOOD)
    const dir = join(path, '..')
    chmodSync(dir, 0o777)
    const checked = await run(['config', 'check', '--config', path])
    assert.equal(checked.exitCode, 65, String(checked.stderr))
    assert.equal(String(checked.stdout), `${path}: its directory ${dir} is writable by group or others (mode 0777, not sticky): whoever can write there can replace the file; chmod go-w ${dir}\n`)
    const ran = await run(['collect', '--config', path])
    assert.equal(ran.exitCode, 65)
    assert.match(String(ran.stderr), /^sova collect: .*its directory .* is writable by group or others/)
  })

  it('a sticky shared directory (like /tmp) is fine: others cannot replace a file they do not own there', async () => {
    const path = configFile(GOOD)
    chmodSync(join(path, '..'), 0o1777)
    const checked = await run(['config', 'check', '--config', path])
    assert.equal(checked.exitCode, 0, String(checked.stdout))
  })

  it('a symlink is judged by the file it points to and by both directories', () => {
    const target = configFile(GOOD, 0o646)
    const shared = mkdtempSync(join(tmpdir(), 'sova-link-'))
    mkdirSync(join(shared, 'open'))
    chmodSync(join(shared, 'open'), 0o777)
    const link = join(shared, 'open', 'config.json')
    symlinkSync(target, link)
    const problems = permissionProblems(link, 0)
    assert.equal(problems.length, 2, problems.join('\n'))
    assert.match(problems[0], /writable by group or others \(mode 0646\)/)
    assert.match(problems[1], /its directory .*open is writable/)
  })

  it('a file owned by another user (not root) is refused; one of your own or root\'s is not', {skip: process.getuid?.() !== 0 && 'needs root to give a file away'}, () => {
    const path = configFile(GOOD)
    assert.deepEqual(permissionProblems(path, 0), [])
    assert.deepEqual(permissionProblems(path, 4242), [], 'root\'s file')
    chownSync(path, 4242, 4242)
    assert.deepEqual(permissionProblems(path, 4242), [], 'your own file')
    assert.deepEqual(permissionProblems(path, 0), [`${path}: owned by uid 4242, neither you (uid 0) nor root; chown it or use your own copy`])
  })
})
