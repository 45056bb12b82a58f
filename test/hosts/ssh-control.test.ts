// The hosts' shared ssh connections: a 0700 folder under the state directory, or no sharing at all
// when that cannot be done safely; libvirt's own ssh pointed at the same connections.
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {libvirtConnectUri, sshMultiplexing} from '../../src/lib/backends/hosts/ssh-control.js'

const root = mkdtempSync(join(tmpdir(), 'sova-ssh-control-'))
after(() => rmSync(root, {recursive: true, force: true}))

describe('ssh connection sharing', () => {
  it('makes <state>/ssh mode 0700, and narrows one that was open to others', () => {
    const state = join(root, 'a')
    assert.deepEqual(sshMultiplexing(state), {controlDir: join(state, 'ssh'), persistSeconds: 30})
    assert.equal(statSync(join(state, 'ssh')).mode & 0o777, 0o700)
    chmodSync(join(state, 'ssh'), 0o755)
    sshMultiplexing(state)
    assert.equal(statSync(join(state, 'ssh')).mode & 0o777, 0o700)
  })

  it('shares nothing when the folder cannot be used safely: too long for a socket, ssh tokens in it, not a folder', () => {
    assert.equal(sshMultiplexing(join(root, 'x'.repeat(80))), undefined)
    assert.equal(sshMultiplexing(join(root, '100%')), undefined)
    assert.equal(sshMultiplexing(join(root, 'a b')), undefined)
    mkdirSync(join(root, 'file-state'))
    writeFileSync(join(root, 'file-state', 'ssh'), '')
    assert.equal(sshMultiplexing(join(root, 'file-state')), undefined)
    assert.equal(sshMultiplexing(undefined), undefined)
  })

  it('a +ssh URI gets command=<the script>, written 0700 with constant text; other URIs and one naming its own ssh are kept', () => {
    const mux = sshMultiplexing(join(root, 'b'))
    assert.ok(mux)
    const script = join(mux.controlDir, 'ssh')
    assert.equal(libvirtConnectUri('qemu+ssh://root@kvm1/system', mux), `qemu+ssh://root@kvm1/system?command=${encodeURIComponent(script)}`)
    assert.equal(libvirtConnectUri('qemu+ssh://kvm1/system?keyfile=/k', mux), `qemu+ssh://kvm1/system?keyfile=/k&command=${encodeURIComponent(script)}`)
    assert.equal(statSync(script).mode & 0o777, 0o700)
    assert.match(readFileSync(script, 'utf8'), /^#!\/bin\/sh\n/)
    // A script changed by someone is written back as Sova's.
    writeFileSync(script, '#!/bin/sh\nexec evil "$@"\n')
    libvirtConnectUri('qemu+ssh://root@kvm1/system', mux)
    assert.doesNotMatch(readFileSync(script, 'utf8'), /evil/)
    assert.equal(libvirtConnectUri('qemu+ssh://kvm1/system?command=/usr/local/bin/myssh', mux), 'qemu+ssh://kvm1/system?command=/usr/local/bin/myssh')
    assert.equal(libvirtConnectUri('qemu+unix:///system?socket=/tmp/s', mux), 'qemu+unix:///system?socket=/tmp/s')
    assert.equal(libvirtConnectUri('qemu+ssh://root@kvm1/system', undefined), 'qemu+ssh://root@kvm1/system')
  })
})
