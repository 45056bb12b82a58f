// The configuration file: where it is found, what it may hold, and that flags win over it.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {policyParams} from '../../src/lib/cli/flags.js'
import {loadConfig, parseConfig, resolveConfigPath} from '../../src/lib/config.js'
import {InputError, UsageError} from '../../src/lib/errors.js'
import {HOTSPOT_DEFAULTS} from '../../src/lib/policy/hotspot.js'
import {SOVA_DEFAULTS, SOVA_HOT_THRESHOLD} from '../../src/lib/policy/sova-params.js'
import {documents, freshStateDir, sova} from '../cli/helpers.js'

function configFile(value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sova-config-'))
  const path = join(dir, 'config.json')
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value))
  return path
}

describe('configuration file', () => {
  it('is found through --config, then SOVA_CONFIG, then the XDG default', () => {
    assert.deepEqual(resolveConfigPath('/a.json', {SOVA_CONFIG: '/b.json'}), {path: '/a.json', required: true})
    assert.deepEqual(resolveConfigPath(undefined, {SOVA_CONFIG: '/b.json'}), {path: '/b.json', required: true})
    assert.deepEqual(resolveConfigPath(undefined, {XDG_CONFIG_HOME: '/x'}), {path: '/x/sova/config.json', required: false})
  })

  it('a missing default file is no configuration; a missing named one is a usage error', () => {
    assert.deepEqual(loadConfig(undefined, {XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'sova-xdg-'))}), {})
    assert.throws(() => loadConfig('/nonexistent/sova.json', {}), (error: unknown) => error instanceof UsageError && /--config \/nonexistent\/sova\.json: cannot read/.test(error.message))
    assert.throws(() => loadConfig(undefined, {SOVA_CONFIG: '/nonexistent/x.json'}), /SOVA_CONFIG \/nonexistent\/x\.json: cannot read/)
  })

  it('the XDG default is read when it exists', () => {
    const xdg = mkdtempSync(join(tmpdir(), 'sova-xdg-'))
    mkdirSync(join(xdg, 'sova'))
    writeFileSync(join(xdg, 'sova', 'config.json'), JSON.stringify({policy: {name: 'seed'}}))
    assert.deepEqual(loadConfig(undefined, {XDG_CONFIG_HOME: xdg}), {policy: {name: 'seed'}})
  })

  for (const [why, value, message] of [
    ['a typo in a sova parameter', {policy: {sova: {cooldownSecond: 10}}}, /policy\.sova\.cooldownSecond: unknown key/],
    ['an unknown top-level key', {polcy: {}}, /polcy: unknown key \(expected cluster, hosts, timeouts, maxSampleAgeSeconds, policy, migration, vfChanges, rules or sensing\)/],
    ['an unknown policy', {policy: {name: 'fastest'}}, /policy\.name: expected one of static-pv, static-vf, dsriov, vlm, seed, sova, got "fastest"/],
    ['a string for a number', {policy: {hotspot: {threshold: '0.8'}}}, /policy\.hotspot\.threshold: expected a number, got "0\.8"/],
    ['not an object', [1, 2], /expected a configuration/],
  ] as const) {
    it(`refuses ${why}, naming the file and the path`, () => {
      assert.throws(() => parseConfig(value, 'my.json'), (error: unknown) => error instanceof InputError && error.message.startsWith('my.json: ') && message.test(error.message))
    })
  }

  it('refuses a file that is not JSON (exit 65)', () => {
    const path = configFile('{"policy": ')
    assert.throws(() => loadConfig(path, {}), (error: unknown) => error instanceof InputError && error.message.includes(`${path}: not valid JSON`))
  })

  it('flags win over the file, the file over the defaults, and defaults follow the policy', () => {
    const file = {name: 'sova' as const, hotspot: {threshold: 0.9}, sova: {cooldownSeconds: 120, maxMigrationsPerCycle: 1}}
    const fromFile = policyParams({}, file)
    assert.equal(fromFile.policy, 'sova')
    assert.equal(fromFile.hotspot.threshold, 0.9)
    assert.equal(fromFile.sova.cooldownSeconds, 120)
    assert.equal(fromFile.sova.maxMigrationsPerCycle, 1)
    assert.equal(fromFile.sova.vfHoldSeconds, SOVA_DEFAULTS.vfHoldSeconds)
    const flagged = policyParams({threshold: 0.8, cooldown: 30}, file)
    assert.equal(flagged.hotspot.threshold, 0.8)
    assert.equal(flagged.sova.cooldownSeconds, 30)
    assert.equal(policyParams({}).hotspot.threshold, SOVA_HOT_THRESHOLD)
    assert.equal(policyParams({policy: 'seed'}).hotspot.threshold, HOTSPOT_DEFAULTS.threshold)
    assert.equal(policyParams({policy: 'seed'}, file).policy, 'seed', 'the --policy flag wins over policy.name')
  })

  it('bad values from the file are refused like bad flags (exit 2)', () => {
    assert.throws(() => policyParams({}, {sova: {maxMigrationsPerCycle: 1.5}}), /maxMigrationsPerCycle: expected a whole number/)
  })

  it('sova run takes the policy and its parameters from the file; a bad file exits 65 and does nothing', async () => {
    const state = freshStateDir()
    const good = configFile({policy: {name: 'seed', hotspot: {predictor: 'lsq'}}})
    const ran = await sova(['run', '--once', '--config', good], {state})
    assert.equal(ran.exitCode, 0, String(ran.stderr))
    const [doc] = documents(ran.stdout)
    assert.equal(doc.scores.policy, 'seed')
    assert.equal(Object.values(doc.scores.hosts as Record<string, {predictor: string}>)[0].predictor, 'lsq')

    const bad = configFile({policy: {sova: {cooldown: 5}}})
    const refused = await sova(['run', '--once'], {state, env: {SOVA_CONFIG: bad}})
    assert.equal(refused.exitCode, 65)
    assert.equal(String(refused.stdout), '')
    assert.match(String(refused.stderr), /policy\.sova\.cooldown: unknown key/)
    assert.equal(String(refused.stderr).trim().split('\n').length, 1)
  })
})

describe('every sova parameter is a flag', () => {
  it('run takes a flag for each key of SOVA_DEFAULTS, and the flag sets it', async () => {
    const {ALL_SOVA_FLAGS, runFlags} = await import('../../src/lib/cli/flags.js')
    const flagged = new Set<string>(Object.values(ALL_SOVA_FLAGS).map(([key]) => key))
    flagged.add('targetBelow') // --target-below, shared with seed
    assert.deepEqual(Object.keys(SOVA_DEFAULTS).filter((key) => !flagged.has(key)), [])
    for (const name of Object.keys(ALL_SOVA_FLAGS)) assert.ok(name in runFlags, `sova run --${name}`)
    assert.equal(policyParams({'backend-capacity': 5000}).sova.backendCapacityMbps, 5000)
  })
})
