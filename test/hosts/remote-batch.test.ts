// Several reads in one round trip: the one string a remote shell (or virsh) is given is built from
// safe words and constant glue only, and its output is split back strictly, by markers a
// command's output cannot forge.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {spawnSync} from 'node:child_process'
import {createVirsh, splitVirshBatch, virshBatchScript} from '../../src/lib/backends/libvirt/virsh.js'
import {UsageError} from '../../src/lib/errors.js'
import {runLocal, sshShell, type ToolResult} from '../../src/lib/exec.js'
import {BatchOutputError, remoteBatchScript, splitBatchResult} from '../../src/lib/remote-batch.js'

const NONCE = '0123456789abcdef'
const result = (stdout: string, stderr = '', exitCode = 0): ToolResult => ({command: ['ssh', 'x'], exitCode, stdout, stderr, timedOut: false, notFound: false, durationMs: 4})

describe('remote batch (ssh)', () => {
  it('runs each command in a real sh and gives each its own stdout, stderr and exit status', async () => {
    const commands = [{file: 'echo', args: ['a']}, {file: 'cat', args: ['/nonexistent/sova']}, {file: 'true', args: []}, {file: 'printf', args: ['%s', 'no-newline']}]
    const ran = await runLocal('sh', ['-c', remoteBatchScript(commands, NONCE)])
    const [first, missing, empty, last] = splitBatchResult(ran, commands, NONCE)
    assert.deepEqual([first.stdout, first.stderr, first.exitCode], ['a\n', '', 0])
    assert.equal(missing.exitCode, 1)
    assert.match(missing.stderr, /nonexistent\/sova/)
    assert.deepEqual([empty.stdout, empty.exitCode, last.stdout], ['', 0, 'no-newline'])
    assert.deepEqual(last.command, ['printf', '%s', 'no-newline'])
  })

  it('refuses any word a remote shell could read as more than itself, before anything runs', () => {
    for (const bad of ['a b', 'x;reboot', '$(id)', '`id`', "it's", 'a|b', 'a\nb', '']) {
      assert.throws(() => remoteBatchScript([{file: 'cat', args: [bad]}], NONCE), UsageError, bad)
    }
    assert.throws(() => remoteBatchScript([{file: '-oProxyCommand=x', args: []}], NONCE))
    assert.throws(() => remoteBatchScript([{file: 'cat', args: []}], 'not-hex'))
  })

  it('a command that prints a marker of another batch, or of this one, cannot shift the split', () => {
    const commands = [{file: 'a', args: []}, {file: 'b', args: []}]
    // A guest's xenstore value holding a guessed marker: another nonce is just text.
    const forged = `x\nsova-ffffffffffffffff-1:0\n\nsova-${NONCE}-0:0\n\nsova-${NONCE}-1:0\n`
    assert.equal(splitBatchResult(result(forged, `\nsova-${NONCE}-0\n\nsova-${NONCE}-1\n`), commands, NONCE)[0].stdout, 'x\nsova-ffffffffffffffff-1:0\n')
    // This batch's own marker inside a command's output: the output is refused, not split wrongly.
    const inside = `sova-${NONCE}-1 x\n\nsova-${NONCE}-0:0\n\nsova-${NONCE}-1:0\n`
    assert.throws(() => splitBatchResult(result(inside, `\nsova-${NONCE}-0\n\nsova-${NONCE}-1\n`), commands, NONCE), BatchOutputError)
    // Output after the last marker, or a batch that ends early with exit 0: refused.
    assert.throws(() => splitBatchResult(result(`\nsova-${NONCE}-0:0\n\nsova-${NONCE}-1:0\nmore`, `\nsova-${NONCE}-0\n\nsova-${NONCE}-1\n`), commands, NONCE), BatchOutputError)
    assert.throws(() => splitBatchResult(result(`\nsova-${NONCE}-0:0\n`, `\nsova-${NONCE}-0\n`), commands, NONCE), BatchOutputError)
  })

  it('ssh failing (exit 255) gives every command ssh\'s own failure, as a single call would', async () => {
    const runner = async (file: string, args: string[]) => ({...result('', 'ssh: connect to host xen9 port 22: Connection refused\n', 255), command: [file, ...args]})
    const results = await sshShell('root@xen9', runner).batch?.([{file: 'xl', args: ['info']}, {file: 'cat', args: ['/proc/net/dev']}])
    assert.deepEqual(results?.map((r) => [r.command[0], r.exitCode, r.stderr.trim()]), [
      ['ssh', 255, 'ssh: connect to host xen9 port 22: Connection refused'],
      ['ssh', 255, 'ssh: connect to host xen9 port 22: Connection refused'],
    ])
  })

  it('ssh sessions share a connection when multiplexing is given: the options, before the destination', async () => {
    const seen: string[][] = []
    const runner = async (file: string, args: string[]) => {
      seen.push([file, ...args])
      return result('')
    }
    await sshShell('root@xen1', runner, {controlDir: '/var/lib/sova/ssh', persistSeconds: 30}).run('true', [])
    assert.deepEqual(seen, [['ssh', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ControlMaster=auto', '-o', 'ControlPath=/var/lib/sova/ssh/%C', '-o', 'ControlPersist=30', '--', 'root@xen1', 'true']])
  })
})

describe('virsh batch', () => {
  it('one command string: each command, then its markers on stderr and stdout; only safe words', () => {
    assert.equal(virshBatchScript([['nodeinfo'], ['dumpxml', '8c6a1f0e-3b7d-4d59-9a43-2f1e5c7b9a01']], NONCE),
      `nodeinfo ; echo --err sova-${NONCE}-0; echo sova-${NONCE}-0; dumpxml 8c6a1f0e-3b7d-4d59-9a43-2f1e5c7b9a01 ; echo --err sova-${NONCE}-1; echo sova-${NONCE}-1`)
    for (const bad of ["web1'", 'a;b', 'a b', 'a#b', 'a\\b', '"x"']) assert.throws(() => virshBatchScript([['dumpxml', bad]], NONCE), UsageError, bad)
    assert.throws(() => virshBatchScript([['--connect'], ['list']], NONCE))
  })

  it('a failed command is told by its own error lines (virsh goes on and exits 0)', () => {
    const commands = [['dumpxml', 'x'], ['list', '--uuid']]
    const stdout = `\nsova-${NONCE}-0\nuuid-1\n\n\nsova-${NONCE}-1\n`
    const stderr = `error: failed to get domain 'x'\nerror: sova-${NONCE}-0\nerror: sova-${NONCE}-1\n`
    const [dumpxml, list] = splitVirshBatch({...result(stdout, stderr), command: ['virsh', '-c', 'qemu:///system', 'script']}, commands, NONCE)
    assert.deepEqual([dumpxml.exitCode, dumpxml.stderr, dumpxml.command], [1, "error: failed to get domain 'x'\n", ['virsh', '-c', 'qemu:///system', 'dumpxml', 'x']])
    assert.deepEqual([list.exitCode, list.stdout, list.stderr], [0, 'uuid-1\n\n\n', ''])
  })

  it('the real virsh runs a batch on one connection and it splits back (test:///default)', {skip: spawnSync('virsh', ['--version']).status === 0 ? false : 'virsh is not installed'}, async () => {
    const virsh = createVirsh('test:///default', 10_000)
    const [node, missing, listed] = await virsh.batch([['nodeinfo'], ['dumpxml', '00000000-0000-4000-8000-000000000000'], ['list', '--uuid']])
    assert.deepEqual([node.exitCode, missing.exitCode, listed.exitCode], [0, 1, 0])
    assert.match(node.stdout, /^CPU\(s\):\s+16$/m)
    assert.match(missing.stderr, /^error: failed to get domain/m)
    assert.match(listed.stdout.trim(), /^[0-9a-f-]{36}$/)
  })

  it('no connection: every command gets virsh\'s own failure', () => {
    const failed = {...result('\n', 'error: failed to connect to the hypervisor\nerror: no route\n', 1), command: ['virsh', '-c', 'qemu+ssh://x/system', 'script']}
    const results = splitVirshBatch(failed, [['nodeinfo'], ['list']], NONCE)
    assert.ok(results.every((r) => r.exitCode === 1 && /failed to connect to the hypervisor/.test(r.stderr)))
  })
})
