// The Xen lab of the CLI tests: the built CLI with the scripted stand-ins of test/fixtures/bin/xen
// first on PATH, a fresh fake world and state store per lab, and the tool calls they logged.
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {freshStateDir, sova} from './helpers.js'

const FAKE_BIN = join(import.meta.dirname, '..', 'fixtures', 'bin', 'xen')
export const START_WORLD = join(import.meta.dirname, '..', 'fixtures', 'xen', 'world.json')
export const CONFIG = join(import.meta.dirname, '..', 'fixtures', 'config', 'xen.json')

export interface Call {
  host: string
  argv: string[]
}

/** A fresh fake world and state store; `run` is `sova COMMAND --config xen.json ARGS` with the fakes on PATH. */
/** `config`: the configuration file the commands are given (the Xen lab's by default). */
export function lab(config = CONFIG) {
  const state = freshStateDir()
  const fake = mkdtempSync(join(tmpdir(), 'sova-xen-cli-'))
  const log = join(fake, 'calls.ndjson')
  const world = join(fake, 'xen-world.json')
  const env = {
    PATH: [FAKE_BIN, dirname(process.execPath), process.env.PATH].join(delimiter),
    SOVA_FAKE_STATE: fake,
    SOVA_FAKE_LOG: log,
    SOVA_CONFIG: '',
  }
  return {
    world,
    // --config right after the command: anything after a `--` is an argument.
    run: ([command, ...args]: string[]) => sova([command, '--config', config, ...args], {state, env}),
    calls: (): Call[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) : []),
    clearLog: () => writeFileSync(log, ''),
    /** The fake world as the stand-ins see it now. */
    readWorld: () => JSON.parse(readFileSync(existsSync(world) ? world : START_WORLD, 'utf8')),
    /** Changes the fake world before the next command (a knob such as `reachable: false`). */
    editWorld(change: (w: any) => void) {
      const current = JSON.parse(readFileSync(existsSync(world) ? world : START_WORLD, 'utf8'))
      change(current)
      writeFileSync(world, JSON.stringify(current))
    },
  }
}

/** The calls that change a domain (xl pci-attach, pci-detach, migrate), as `host: argv`, in order. */
export function acting(calls: Call[]): string[] {
  return calls
    .filter((call) => call.host !== 'local' && call.argv[0] === 'xl' && ['pci-attach', 'pci-detach', 'migrate'].includes(call.argv[1]))
    .map((call) => `${call.host}: ${call.argv.join(' ')}`)
}

/**
 * The ssh call that ran `command` on `destination`, alone or as one command of a batch (a snapshot's
 * reads: remote-batch.ts), in batch mode and sharing the host's connection (ControlMaster).
 */
export const sshCall = (calls: Call[], destination: string, command: string[]) =>
  calls.find((call) => {
    if (call.host !== 'local' || call.argv[0] !== 'ssh') return false
    const at = call.argv.indexOf('--')
    const options = call.argv.slice(1, at)
    if (call.argv[at + 1] !== destination || !options.includes('BatchMode=yes') || !options.includes('ControlMaster=auto')) return false
    const rest = call.argv.slice(at + 2)
    return JSON.stringify(rest) === JSON.stringify(command) || (rest.length === 1 && rest[0].split('; ').includes(command.join(' ')))
  })

