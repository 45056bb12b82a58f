// The real-cluster backend fans out to one driver per host, at most --concurrency at a time, and
// lists a host that does not answer as missing, with why (exit 69 only when none answers).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {chooseBackend} from '../../src/lib/backends/index.js'
import {parseToolOutput, UnreadableOutputError, type HostDriver, type HostDriverContext} from '../../src/lib/backends/hosts/driver.js'
import {HostsBackend, shellFor} from '../../src/lib/backends/hosts/hosts-backend.js'
import type {RawHost} from '../../src/lib/backends/types.js'
import type {ConfigFile} from '../../src/lib/config.js'
import {UnreachableError, UsageError} from '../../src/lib/errors.js'
import {hostProgress} from '../../src/lib/cli/host-progress.js'

const config = (count: number): ConfigFile => ({
  cluster: 'c1',
  hosts: Array.from({length: count}, (_, i) => ({name: `h${i + 1}`, backend: 'libvirt' as const, port: {device: 'eth0'}})),
})

function rawHost(name: string): RawHost {
  return {name, nic: {device: 'eth0', speedMbps: 10000, rxBytes: 0, txBytes: 0}, vfs: {total: 0, free: []}, cpus: 4, memoryMiB: {total: 1024, free: 512}, vms: []}
}

function fakeDrivers(behaviour: (name: string) => Promise<RawHost>, calls: string[] = []) {
  return async (context: HostDriverContext): Promise<HostDriver> => ({
    name: context.host.name,
    snapshot: () => behaviour(context.host.name),
    attachVf: async (vm, vf) => (calls.push(`attach ${context.host.name} ${vm.name}/${vm.uuid} ${vf}`), {ok: true, durationMs: 1}),
    detachVf: async (vm, vf) => (calls.push(`detach ${context.host.name} ${vm.name}/${vm.uuid} ${vf}`), {ok: true, durationMs: 1}),
    migrate: async (vm, target) => (calls.push(`migrate ${vm.name}/${vm.uuid} ${context.host.name} -> ${target.name}`), {ok: true, durationMs: 1}),
    checks: async () => [],
  })
}

describe('hosts backend', () => {
  it('samples every host with at most --concurrency in flight, in configuration order', async () => {
    let inFlight = 0
    let most = 0
    const backend = new HostsBackend(config(10), {
      concurrency: 3,
      now: () => 1_800_000_000,
      createDriver: fakeDrivers(async (name) => {
        most = Math.max(most, ++inFlight)
        await new Promise((resolve) => setTimeout(resolve, 5 + (name.length % 3)))
        inFlight--
        return rawHost(name)
      }),
    })
    const snapshot = await backend.snapshot()
    assert.equal(most, 3)
    assert.deepEqual(snapshot.hosts.map((host) => host.name), ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'h9', 'h10'])
    assert.deepEqual(snapshot.source, {backend: 'libvirt', cluster: 'c1'})
    assert.equal(snapshot.at, '2027-01-15T08:00:00.000Z')
  })

  it('hosts that do not answer, or whose readings cannot be used, are listed missing with why; the others are sampled', async () => {
    const backend = new HostsBackend(config(4), {
      createDriver: fakeDrivers(async (name) => {
        if (name === 'h2') throw new UnreachableError(`${name}: ssh: connect to host ${name} port 22: No route to host`)
        if (name === 'h4') throw new Error('unexpected virsh nodeinfo output: "garbage"')
        return rawHost(name)
      }),
    })
    const snapshot = await backend.snapshot()
    assert.deepEqual(snapshot.hosts.map((host) => host.name), ['h1', 'h3'])
    assert.deepEqual(snapshot.missing, [
      {host: 'h2', reason: 'did not answer: ssh: connect to host h2 port 22: No route to host'},
      {host: 'h4', reason: 'its readings could not be used: unexpected virsh nodeinfo output: "garbage"'},
    ])
  })

  it('domains a driver does not manage are gathered into the snapshot\'s unmanaged, not left on the host', async () => {
    const backend = new HostsBackend(config(2), {
      createDriver: fakeDrivers(async (name) =>
        name === 'h2' ? {...rawHost(name), unmanaged: [{host: 'h2', name: 'web 2', uuid: '77777777-0000-4000-8000-000000000077', why: 'a name Sova refuses', vf: '0000:03:10.1'}]} : rawHost(name),
      ),
    })
    const snapshot = await backend.snapshot()
    assert.deepEqual(snapshot.unmanaged, [{host: 'h2', name: 'web 2', uuid: '77777777-0000-4000-8000-000000000077', why: 'a name Sova refuses', vf: '0000:03:10.1'}])
    assert.deepEqual(snapshot.hosts.map((host) => Object.keys(host).includes('unmanaged')), [false, false])
    assert.equal((await new HostsBackend(config(1), {createDriver: fakeDrivers(async (name) => rawHost(name))}).snapshot()).unmanaged, undefined)
  })

  it('when no host answers: one UnreachableError naming them all', async () => {
    const backend = new HostsBackend(config(2), {
      createDriver: fakeDrivers(async (name) => {
        throw new UnreachableError(`${name}: ssh: connect to host ${name} port 22: No route to host`)
      }),
    })
    await assert.rejects(backend.snapshot(), (error: unknown) => error instanceof UnreachableError && error.message === 'no host answered: h1: ssh: connect to host h1 port 22: No route to host (and 1 more: h2)')
  })

  it('a tool\'s unreadable output names host and tool; on every host it is exit 69 with the reason, not an internal error', async () => {
    const ctx = {host: {name: 'h1'}} as HostDriverContext
    assert.throws(
      () => parseToolOutput(ctx, 'xl list -l', '[{"domid": 5, "con', (text) => JSON.parse(text)),
      (error: unknown) => error instanceof UnreadableOutputError && error.exit === 69 && /^h1: xl list -l printed output that could not be parsed: /.test(error.message),
    )
    // Sova's own refusals pass through as they are.
    assert.throws(() => parseToolOutput(ctx, 'xl list -l', '(domain)', () => { throw new UsageError('xl list -l printed SXP, not JSON') }), UsageError)
    const unreadable = (name: string) => new UnreadableOutputError(`${name}: xl list -l printed output that could not be parsed: Unexpected end of JSON input`)
    const everyHost = new HostsBackend(config(2), {createDriver: fakeDrivers(async (name) => { throw unreadable(name) })})
    await assert.rejects(everyHost.snapshot(), (error: unknown) =>
      error instanceof UnreachableError && error.message === 'no host gave readings Sova could use: h1: xl list -l printed output that could not be parsed: Unexpected end of JSON input (and 1 more: h2)')
    const oneHost = new HostsBackend(config(2), {createDriver: fakeDrivers(async (name) => { if (name === 'h2') throw unreadable(name); return rawHost(name) })})
    assert.deepEqual((await oneHost.snapshot()).missing, [{host: 'h2', reason: 'its readings could not be used: xl list -l printed output that could not be parsed: Unexpected end of JSON input'}])
    // A bug is still an internal error (70), not a host that did not answer.
    const bug = new HostsBackend(config(2), {createDriver: fakeDrivers(async (name) => { throw name === 'h1' ? unreadable(name) : new TypeError('x is undefined') })})
    await assert.rejects(bug.snapshot(), (error: unknown) => error instanceof TypeError)
  })

  it('domains a driver does not manage are gathered in the snapshot\'s unmanaged, not left on the host', async () => {
    const backend = new HostsBackend(config(2), {
      createDriver: fakeDrivers(async (name) => ({...rawHost(name), unmanaged: [{host: name, name: `web 2 on ${name}`, uuid: `u-${name}`, why: 'its name holds a space', vf: null}]})),
    })
    const snapshot = await backend.snapshot()
    assert.deepEqual(snapshot.unmanaged?.map((entry) => entry.name), ['web 2 on h1', 'web 2 on h2'])
    assert.ok(snapshot.hosts.every((host) => !('unmanaged' in host)))
  })

  it('actions go to the driver of the host they concern; migration gets the target\'s entry', async () => {
    const calls: string[] = []
    const backend = new HostsBackend(config(2), {createDriver: fakeDrivers(async (name) => rawHost(name), calls)})
    const web1 = {name: 'web1', uuid: 'u-web1'}
    await backend.detachVf('h1', web1, '0000:03:10.1')
    await backend.migrate(web1, 'h1', 'h2')
    await backend.attachVf('h2', web1, '0000:04:10.1')
    assert.deepEqual(calls, ['detach h1 web1/u-web1 0000:03:10.1', 'migrate web1/u-web1 h1 -> h2', 'attach h2 web1/u-web1 0000:04:10.1'])
    await assert.rejects(backend.migrate(web1, 'h1', 'h9'), UsageError)
  })

  it('reaches a host through its ssh destination, or the host of a qemu+ssh URI, or runs here', () => {
    assert.equal(shellFor({name: 'a', backend: 'xen', ssh: 'root@a', port: {device: 'eth0'}}).where, 'root@a')
    assert.equal(shellFor({name: 'b', backend: 'libvirt', uri: 'qemu+ssh://root@b:2222/system', port: {device: 'eth0'}}).where, 'root@b')
    assert.equal(shellFor({name: 'c', backend: 'libvirt', uri: 'qemu:///system', port: {device: 'eth0'}}).where, 'local')
  })
})

describe('choosing the backend', () => {
  it('the configuration\'s hosts when it lists any, else sim; a flag that contradicts it is refused', () => {
    assert.equal(chooseBackend(undefined, {}), 'sim')
    assert.equal(chooseBackend(undefined, config(1)), 'libvirt')
    assert.equal(chooseBackend('sim', config(1)), 'sim')
    assert.throws(() => chooseBackend('xen', config(1), 'c.json'), /--backend xen: the hosts of c\.json are libvirt hosts/)
    assert.throws(() => chooseBackend('libvirt', {}, 'c.json'), /--backend libvirt: c\.json lists no hosts/)
  })
})

describe('collect progress bar', () => {
  it('appears only on a terminal, only after a second, and is wiped at the end', () => {
    let now = 0
    const written: string[] = []
    const tty = hostProgress({isTTY: true, write: (text) => written.push(text)}, false, () => now)
    tty.onProgress(1, 40)
    assert.deepEqual(written, [])
    now = 1500
    tty.onProgress(12, 40)
    assert.equal(written.at(-1), '\rcollect [######..............] 12/40 hosts\u001B[K')
    tty.done()
    assert.equal(written.at(-1), '\r\u001B[K')
    const piped: string[] = []
    const pipe = hostProgress({isTTY: false, write: (text) => piped.push(text)}, false, () => (now += 5000))
    pipe.onProgress(1, 40)
    pipe.onProgress(40, 40)
    pipe.done()
    assert.deepEqual(piped, [])
  })
})
