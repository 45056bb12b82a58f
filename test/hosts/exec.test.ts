// The one door to external programs: argument arrays, timeouts, and nothing a remote shell could
// read as more than a plain word.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {UsageError} from '../../src/lib/errors.js'
import {isSshFailure, runLocal, sshShell, type ToolResult, toolError} from '../../src/lib/exec.js'
import {canonicalMac, canonicalPci, validateName} from '../../src/lib/identifiers.js'

function recordingRunner(answer: Partial<ToolResult> = {}) {
  const calls: {file: string; args: string[]}[] = []
  const runner = async (file: string, args: string[]): Promise<ToolResult> => {
    calls.push({file, args})
    return {command: [file, ...args], exitCode: 0, stdout: '', stderr: '', timedOut: false, notFound: false, durationMs: 1, ...answer}
  }
  return {calls, runner}
}

describe('exec', () => {
  it('runs a program with an argument array: metacharacters stay inside one argument', async () => {
    const result = await runLocal('printf', ['%s|', 'a b', '$(echo no)', ';reboot'])
    assert.equal(result.exitCode, 0)
    assert.equal(result.stdout, 'a b|$(echo no)|;reboot|')
  })

  it('a program that is not installed is reported as such, not thrown', async () => {
    const result = await runLocal('sova-no-such-tool', [])
    assert.equal(result.notFound, true)
    assert.equal(toolError(result), 'sova-no-such-tool: not found (is it installed and on PATH?)')
  })

  it('a program that runs too long is killed and said to have timed out', async () => {
    const result = await runLocal('sleep', ['5'], {timeoutMs: 200})
    assert.equal(result.timedOut, true)
    assert.match(toolError(result), /^sleep 5: timed out after \d+ s$/)
  })

  it('the tool\'s own last stderr lines are the error', () => {
    const result: ToolResult = {command: ['virsh'], exitCode: 1, stdout: '\n', stderr: 'error: failed to get domain \'x\'\n', timedOut: false, notFound: false, durationMs: 3}
    assert.equal(toolError(result), "error: failed to get domain 'x'")
  })

  it('ssh runs in batch mode with a connect timeout, the destination after --', async () => {
    const {calls, runner} = recordingRunner()
    await sshShell('root@xen1', runner).run('xl', ['pci-list', 'web1'])
    assert.deepEqual(calls, [{file: 'ssh', args: ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '--', 'root@xen1', 'xl', 'pci-list', 'web1']}])
  })

  it('nothing a remote shell could misread reaches ssh', async () => {
    const {calls, runner} = recordingRunner()
    const shell = sshShell('root@xen1', runner)
    for (const bad of ['web1; rm -rf /', '$(reboot)', 'a b', "it's", 'x|y', '`id`', 'a\nb', '']) {
      await assert.rejects(shell.run('xl', ['pci-list', bad]), UsageError, bad)
    }
    assert.throws(() => sshShell('-oProxyCommand=reboot', runner), UsageError)
    assert.equal(calls.length, 0)
  })

  it('ssh\'s own failure (exit 255) is told apart from the remote tool\'s', async () => {
    const {runner} = recordingRunner({exitCode: 255, stderr: 'ssh: connect to host xen9 port 22: Connection refused'})
    const result = await sshShell('xen9', runner).run('xl', ['info'])
    assert.equal(isSshFailure(result), true)
    assert.equal(isSshFailure({...result, command: ['xl', 'info']}), false)
  })
})

describe('identifiers', () => {
  it('refuses names that could be read as options or commands', () => {
    for (const bad of ['web1; rm -rf /', '--force', '-rf', '--help', 'a b', '', 'x'.repeat(65), 'web1\n']) {
      assert.throws(() => validateName(bad, 'VM'), UsageError, JSON.stringify(bad))
    }
    assert.equal(validateName('web-01.prod@dc1', 'VM'), 'web-01.prod@dc1')
  })

  it('canonicalises PCI addresses and refuses impossible ones', () => {
    assert.equal(canonicalPci('03:10.1'), '0000:03:10.1')
    assert.equal(canonicalPci('0000:0A:1F.7'), '0000:0a:1f.7')
    assert.equal(canonicalPci('10000:03:10.1'), '10000:03:10.1')
    for (const bad of ['03:20.1', '03:10.8', '3:10.1', '0000:03:10', '--force', '0000:03:10.1;x']) {
      assert.throws(() => canonicalPci(bad), UsageError, bad)
    }
  })

  it('checks MAC addresses', () => {
    assert.equal(canonicalMac('52:54:00:AA:00:01'), '52:54:00:aa:00:01')
    assert.throws(() => canonicalMac('52:54:00:aa:00'), UsageError)
  })
})
