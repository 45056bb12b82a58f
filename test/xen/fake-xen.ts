// The fake Xen world of test/fixtures/bin/xen for driver tests: the stand-ins on PATH, a fresh
// state directory per test, the calls they logged, and the world edited before a test runs.
import {after, beforeEach} from 'node:test'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import type {HostEntry} from '../../src/lib/config.js'
import type {MigrationSettings} from '../../src/lib/config-migration.js'
import {sshShell} from '../../src/lib/exec.js'
import type {HostDriver} from '../../src/lib/backends/hosts/driver.js'
import {createXenDriver} from '../../src/lib/backends/xen/driver.js'

const FAKE_BIN = join(import.meta.dirname, '..', 'fixtures', 'bin', 'xen')
export const START_WORLD = join(import.meta.dirname, '..', 'fixtures', 'xen', 'world.json')
process.env.PATH = [FAKE_BIN, dirname(process.execPath), process.env.PATH].join(delimiter)

/** Each fake domain's UUID (its c_info.uuid in the world). */
export const UUIDS: Record<string, string> = Object.fromEntries(
  Object.entries(JSON.parse(readFileSync(START_WORLD, 'utf8')).domains as Record<string, {config: {c_info: {uuid: string}}}>).map(([name, domain]) => [name, domain.config.c_info.uuid]),
)

/** A VM as actions address it: its name and its domain's UUID, which the driver checks against the live domain. */
export const ref = (name: string) => ({name, uuid: UUIDS[name] ?? '00000000-0000-4000-8000-000000000000'})

export const NOW = 1_700_000_000
export const XEN1: HostEntry = {name: 'xen1', backend: 'xen', ssh: 'root@xen1', port: {device: 'eth0'}}
export const XEN2: HostEntry = {name: 'xen2', backend: 'xen', ssh: 'root@xen2', port: {device: 'eth0', speedMbps: 25_000}}

/** `migration`: the configuration's top-level migration section, as the hosts backend passes it. */
export function driverFor(host: HostEntry, migration?: MigrationSettings): HostDriver {
  return createXenDriver({host, shell: sshShell(host.ssh ?? host.name), timeouts: {toolMs: 20_000, migrateMs: 30_000}, now: () => NOW, ...(migration ? {migration} : {})})
}

let dir = ''
const dirs: string[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sova-xen-'))
  dirs.push(dir)
  process.env.SOVA_FAKE_STATE = dir
  process.env.SOVA_FAKE_LOG = join(dir, 'calls.ndjson')
})

after(() => {
  for (const used of dirs) rmSync(used, {recursive: true, force: true})
})

export interface Call {
  host: string
  argv: string[]
}

export function calls(): Call[] {
  const log = process.env.SOVA_FAKE_LOG ?? ''
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Call) : []
}

/** The commands that ran on `host` (the fake ssh's own calls left out), as `prog arg...` strings. */
export function commandsOn(host: string, program?: string): string[] {
  return calls()
    .filter((call) => call.host === host && (program === undefined || call.argv[0] === program))
    .map((call) => call.argv.join(' '))
}

export type FakeWorld = {hosts: Record<string, Record<string, any>>; domains: Record<string, Record<string, any>>}

/** The fake world as the stand-ins see it now. */
export function readWorld(): FakeWorld {
  const file = join(dir, 'xen-world.json')
  return JSON.parse(readFileSync(existsSync(file) ? file : START_WORLD, 'utf8'))
}

/** Changes the fake world before the driver runs (e.g. to add a quirk). */
export function editWorld(change: (world: FakeWorld) => void): void {
  const world = readWorld()
  change(world)
  writeFileSync(join(dir, 'xen-world.json'), JSON.stringify(world))
}
