// The CLI as a new user meets it: typos, help, and oclif's own usage errors, all in Sova's one-line style.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {didYouMean, editDistance, usageMessage} from '../../src/lib/cli/usage.js'
import {execa} from 'execa'
import {BIN, freshStateDir, sova} from './helpers.js'

/** One line on stderr in Sova's style (`sova ...: ...`), nothing of oclif's, nothing on stdout. */
function assertOneSovaLine(result: {stderr: unknown; stdout: unknown}, prefix: string): string {
  const stderr = String(result.stderr)
  assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`)
  assert.ok(stderr.startsWith(`${prefix}: `), stderr)
  assert.doesNotMatch(stderr, /›|Error:|The following|See more help|[a-z]:[a-z]/)
  assert.equal(String(result.stdout), '')
  return stderr
}

describe('usage errors', () => {
  it('an unknown command names the nearest commands, topics included, as they are typed', async () => {
    const state = freshStateDir()
    for (const [typed, meant] of [[['colect'], 'collect'], [['sim', 'rest'], 'sim reset'], [['config', 'chek'], 'config check'], [['histroy'], 'history']] as const) {
      const result = await sova([...typed], {state})
      assert.equal(result.exitCode, 2, String(result.stderr))
      const line = assertOneSovaLine(result, 'sova')
      assert.match(line, new RegExp(`unknown command "${typed.join(' ')}" \\(did you mean "${meant}"\\?`))
    }
    const flag = await sova(['--hlep'], {state})
    assert.equal(flag.exitCode, 2)
    assert.match(assertOneSovaLine(flag, 'sova'), /unknown flag --hlep \(did you mean "--help"\? flags go after the command/)
    const far = await sova(['xyzzy'], {state})
    assert.equal(far.exitCode, 2)
    assert.doesNotMatch(assertOneSovaLine(far, 'sova'), /did you mean/)
  })

  it('words after a command that takes none are unexpected arguments of that command', async () => {
    const state = freshStateDir()
    const result = await sova(['sim', 'reset', 'paper'], {state})
    assert.equal(result.exitCode, 2)
    assert.match(assertOneSovaLine(result, 'sova sim reset'), /unexpected argument "paper"/)
  })

  it('sova help CMD, CMD -h and CMD --help print the command\'s help and exit 0', async () => {
    const state = freshStateDir()
    for (const args of [['help', 'run'], ['run', '-h'], ['run', '--help']]) {
      const result = await sova(args, {state})
      assert.equal(result.exitCode, 0, String(result.stderr))
      assert.match(String(result.stdout), /USAGE\n {2}\$ sova run /)
      assert.match(String(result.stdout), /--interval/)
    }
    const topic = await sova(['help', 'sim', 'reset'], {state})
    assert.equal(topic.exitCode, 0, String(topic.stderr))
    assert.match(String(topic.stdout), /\$ sova sim reset /)
    const root = await sova(['help'], {state})
    assert.equal(root.exitCode, 0)
    assert.match(String(root.stdout), /COMMANDS[\s\S]* run /)
    // A pager or head that stops reading early is no failure (it left exit 13, an unsettled await).
    for (const args of ['--help', 'help run', 'sim']) {
      const paged = await execa('bash', ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" ${args} | head -n 1`], {reject: false})
      assert.equal(paged.exitCode, 0, `sova ${args} | head: ${paged.stderr}`)
    }
    const typo = await sova(['help', 'rn'], {state})
    assert.equal(typo.exitCode, 2)
    assert.match(assertOneSovaLine(typo, 'sova help'), /unknown command "rn" \(did you mean "run"\?/)
  })

  it('oclif\'s flag and argument errors read as Sova\'s, one line, exit 2', async () => {
    const state = freshStateDir()
    const cases: [string[], string, RegExp][] = [
      [['run', '--once', '--cycles', '1'], 'sova run', /: --once and --cycles cannot be used together \(see sova run --help\)$/],
      [['collect', '--formt', 'json'], 'sova collect', /unknown flag --formt \(did you mean "--format"\?\)/],
      [['collect', '--format', 'xml'], 'sova collect', /--format: expected one of json, table, csv, got "xml"/],
      [['collect', '--concurrency', 'many'], 'sova collect', /--concurrency: expected a whole number, got "many"/],
      [['collect', '--concurrency', '0'], 'sova collect', /--concurrency: expected a whole number ≥ 1, got 0/],
      [['collect', '--count', '2'], 'sova collect', /--count needs --watch/],
      [['sim', 'outage'], 'sova sim outage', /missing argument HOST/],
      [['switch-vf', '--policy'], 'sova switch-vf', /--policy: expected a value, one of /],
    ]
    for (const [args, prefix, expected] of cases) {
      const result = await sova(args, {state})
      assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(assertOneSovaLine(result, prefix).trim(), expected)
    }
  })

  it('suggestions: typos within a third of the word, transpositions count once', () => {
    assert.equal(editDistance('colect', 'collect'), 1)
    assert.equal(editDistance('hsitory', 'history'), 1)
    assert.equal(didYouMean('colect', ['collect', 'score']), 'did you mean "collect"?')
    assert.equal(didYouMean('xyzzy', ['collect', 'score']), undefined)
    assert.equal(usageMessage('The following errors occurred:\n  --a=1 cannot also be provided when using --b\n  Missing required flag c\nSee more help with --help'), '--b and --a cannot be used together; --c is required')
    assert.equal(usageMessage('The following errors occurred:\n  --a cannot also be provided when using --b\n  --b cannot also be provided when using --a'), '--b and --a cannot be used together', 'one pair, one line')
  })
})

describe('help says what works, with units, and points only inside the repository', () => {
  const COMMANDS = ['collect', 'score', 'balance', 'migrate', 'switch-vf', 'run', 'evaluate', 'explain', 'history', 'status', 'doctor', 'check', 'agent', 'export', 'config check', 'schema', 'sim reset', 'sim outage', 'sim scenarios', 'help']

  it('every command\'s help: no design document outside the repository, every duration default with its unit', async () => {
    const state = freshStateDir()
    for (const command of COMMANDS) {
      const result = await sova([...command.split(' '), '--help'], {state})
      assert.equal(result.exitCode, 0, `${command}: ${result.stderr}`)
      const text = String(result.stdout)
      assert.doesNotMatch(text, /ARCHITECTURE\.md|ALGORITHM\.md|INTERFACES\.md|shared\/design/, command)
      for (const [, flag, value] of text.matchAll(/--([a-z-]+)=DURATION\s+\[default: ([^\]]+)\]/g)) {
        assert.match(value, /^\d+(\.\d+)?(ms|s|m|h)$/, `${command} --${flag}: default ${value} without its unit`)
      }
    }
    const run = String((await sova(['run', '--help'], {state})).stdout)
    assert.match(run, /--interval=DURATION\s+\[default: 10s\]/)
    assert.match(run.replace(/\s+/g, ' '), /--attach-seconds=NUMBER .* default 1\.5 s\./)
    assert.match(run.replace(/\s+/g, ' '), /--vf-swap-margin=NUMBER .* default 20 Mbit\/s\./)
  })

  it('schema offers only JSON, and refuses table in the same words as any other bad value', async () => {
    const state = freshStateDir()
    const help = String((await sova(['schema', '--help'], {state})).stdout)
    assert.doesNotMatch(help, /table|csv|--color|--state/)
    const refused = await sova(['schema', '--format', 'table'], {state})
    assert.equal(refused.exitCode, 2)
    assert.match(assertOneSovaLine(refused, 'sova schema'), /--format: expected one of json, got "table"/)
    assert.equal((await sova(['schema', '--format', 'json'], {state})).exitCode, 0)
  })
})

describe('colour', () => {
  it('NO_COLOR changes the default only: an explicit --color or --no-color wins', async () => {
    const {wantsColour} = await import('../../src/lib/render/view.js')
    assert.equal(wantsColour(undefined, true, {NO_COLOR: '1'}), false)
    assert.equal(wantsColour(undefined, true, {}), true)
    assert.equal(wantsColour(undefined, false, {}), false)
    assert.equal(wantsColour(true, false, {NO_COLOR: '1'}), true)
    assert.equal(wantsColour(false, true, {}), false)
  })
})
