// What a command's start loads: dist/commands.js holds stand-ins, and oclif knows every command
// (help, the list, did-you-mean, completion) from oclif.manifest.json, written by the build from
// the real classes. A command in one map and not the other, or a manifest out of step with the
// classes, would show wrong help or run nothing.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {describe, it} from 'node:test'
import {COMMANDS} from '../../src/commands.js'
import {COMMANDS as STAND_INS} from '../../src/commands-lazy.js'
import {freshStateDir, sova} from './helpers.js'

const ROOT = join(import.meta.dirname, '..', '..')

describe('the command map loaded at start', () => {
  it('has a stand-in for every command, and no command class', async () => {
    assert.deepEqual(Object.keys(STAND_INS).sort(), Object.keys(COMMANDS).sort())
    const built = (await import(pathToFileURL(join(ROOT, 'dist', 'commands.js')).href)) as {COMMANDS: Record<string, object>}
    assert.deepEqual(Object.keys(built.COMMANDS).sort(), Object.keys(COMMANDS).sort())
    for (const [id, standIn] of Object.entries(built.COMMANDS)) assert.ok(!('flags' in standIn) && !('summary' in standIn), `${id} is a stand-in`)
  })

  it('the manifest lists every command with the flags and summary of its class', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, {summary?: string; flags: Record<string, unknown>}>}
    assert.deepEqual(Object.keys(manifest.commands).sort(), Object.keys(COMMANDS).sort())
    for (const [id, command] of Object.entries(COMMANDS)) {
      const flags = Object.keys({...(command as {baseFlags?: object}).baseFlags, ...command.flags}).sort()
      assert.deepEqual(Object.keys(manifest.commands[id].flags).sort(), flags, `${id}: flags`)
      assert.equal(manifest.commands[id].summary, command.summary, `${id}: summary`)
    }
  })

  it('a stand-in runs its command: flags parsed as the class says', async () => {
    const result = await sova(['sim', 'scenarios', '--format', 'json'], {state: freshStateDir()})
    assert.equal(result.exitCode, 0)
    assert.match(String(result.stdout), /"paper"/)
    const refused = await sova(['sim', 'scenarios', '--no-such-flag'], {state: freshStateDir()})
    assert.equal(refused.exitCode, 2)
    assert.match(String(refused.stderr), /^sova sim scenarios: unknown flag --no-such-flag/)
  })

  it('a Sova command starts without the completion plugin, which help, did-you-mean and autocomplete still load', async () => {
    // oclif's debug log names each plugin it loads.
    const env = {DEBUG: 'oclif:*'}
    const scenarios = await sova(['sim', 'scenarios', '--format', 'json'], {state: freshStateDir(), env})
    assert.equal(scenarios.exitCode, 0)
    assert.doesNotMatch(String(scenarios.stderr), /plugin-autocomplete/)
    const version = await sova(['--version'], {state: freshStateDir(), env})
    assert.doesNotMatch(String(version.stderr), /plugin-autocomplete/)
    const help = await sova(['help'], {state: freshStateDir()})
    assert.match(String(help.stdout), /^ {2}autocomplete +Display autocomplete installation instructions/m)
    const mistyped = await sova(['autocomplet'], {state: freshStateDir()})
    assert.equal(mistyped.exitCode, 2)
    assert.match(String(mistyped.stderr), /did you mean "autocomplete"\?/)
    const completion = await sova(['autocomplete', 'script', 'bash'], {state: freshStateDir()})
    assert.equal(completion.exitCode, 0)
    assert.match(String(completion.stdout), /SOVA_AC_BASH_SETUP_PATH/)
  })
})
