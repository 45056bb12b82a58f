// The built CLI against a real-host (Xen) configuration: two dom0s xen1 and xen2 reached with ssh,
// played by the scripted stand-ins of test/fixtures/bin/xen (first on PATH). Every tool call is
// logged, so each test asserts what an operator would check: the document on stdout, the one-line
// stderr, the exit code, and the exact argv that ran on each host.
import assert from 'node:assert/strict'
import {chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {documents} from './helpers.js'
import {acting, CONFIG, lab, sshCall} from './xen-lab.js'

const vmsOf = (doc: any) => Object.fromEntries(doc.hosts.map((host: any) => [host.name, host.vms.map((vm: any) => [vm.name, vm.path, vm.vf])]))

describe('sova on a Xen cluster (fake xl/ssh)', () => {
  it('collect: one document with both hosts, their VMs, paths and VFs, then rates since the last sample', async () => {
    // Protects the whole read path: config -> ssh -> xl/xenstore/proc parsing -> one document of rates.
    const {run, editWorld} = lab()
    const first = await run(['collect'])
    assert.equal(first.exitCode, 0, String(first.stderr))
    assert.equal(String(first.stderr), 'collect: no previous sample; sampling for 2 s\n')
    const [doc] = documents(first.stdout)
    assert.equal(documents(first.stdout).length, 1)
    assert.deepEqual([doc.source.backend, doc.source.cluster], ['xen', 'lab'])
    assert.deepEqual(vmsOf(doc), {xen1: [['web1', 'pv', null], ['db1', 'vf', '0000:04:10.5']], xen2: [['app2', 'pv', null]]})
    assert.deepEqual(doc.hosts.map((h: any) => [h.name, h.nic.speedMbps, h.vfs, h.cpus]), [
      ['xen1', 10_000, {total: 3, free: ['0000:04:10.1', '0000:04:10.3']}, 16],
      ['xen2', 25_000, {total: 2, free: ['0000:81:02.0', '0000:81:02.1']}, 32],
    ])
    // xen1's mlx5_core prints its port counters; xen2 has no ethtool: its PF plus its VFs, said why.
    assert.deepEqual([doc.hosts[0].nic.basis, doc.hosts[0].nic.basisWhy], ['port-counters', 'mlx5_core port counters rx_bytes_phy/tx_bytes_phy from ethtool -S'])
    assert.equal(doc.hosts[1].nic.basis, 'pf+vfs')
    assert.match(doc.hosts[1].nic.basisWhy, /^ethtool -i eth0 failed: bash: line 1: ethtool: command not found; .*PF plus 2 VF\(s\) from ip -s link/)

    // Traffic between the two samples: 1.25 GB into xen1's port, 10 MB into web1 (its vif's tx), 1 s of CPU.
    editWorld((w) => {
      w.hosts.xen1.port.rxBytes += 1_250_000_000
      // db1 sends 1 GB on its VF (VF 2): switched in the NIC, never in the PF's row, in the port counters.
      w.hosts.xen1.vfStats['2'].tx += 1_000_000_000
      w.domains.web1.vifs['0'][1] += 10_000_000
      w.domains.web1.cpuSeconds += 1
    })
    const second = await run(['collect'])
    assert.equal(second.exitCode, 0, String(second.stderr))
    assert.equal(String(second.stderr), '')
    const [next] = documents(second.stdout)
    const window = next.source.windowSeconds
    assert.ok(window > 0 && window < 60, `window ${window}`)
    const xen1 = next.hosts[0]
    const web1 = xen1.vms.find((vm: any) => vm.name === 'web1')
    const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-6 * Math.max(1, expected), `${actual} != ${expected}`)
    close(xen1.nic.rxBps * window, 1_250_000_000)
    close(xen1.nic.txBps * window, 1_000_000_000)
    close(xen1.nic.utilisation, (8 * (xen1.nic.rxBps + xen1.nic.txBps)) / 10_000e6)
    close(web1.net.rxBps * window, 10_000_000)
    close(web1.cpu.usedRatio * window, 1)
  })

  it('a domain whose config says nomigrate=1 is pinned by that rule, named as where it was said', async () => {
    // Protects the rule that lives with a Xen domain: b_info.disable_migrate from xl list -l.
    const {run, editWorld} = lab()
    editWorld((world) => {
      world.domains.web1.config.b_info.disable_migrate = 'True'
    })
    const result = await run(['collect'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    const vms = doc.hosts.flatMap((host: any) => host.vms)
    const web1 = vms.find((vm: any) => vm.name === 'web1')
    assert.deepEqual(web1.tags, ['xen:nomigrate'])
    assert.deepEqual(web1.rules, {migrate: 'never', by: {migrate: 'Xen domain config nomigrate=1'}})
    assert.ok(vms.filter((vm: any) => vm.name !== 'web1').every((vm: any) => vm.rules === undefined))
    const listed = documents((await run(['rule:list', '--format', 'json'])).stdout)
    assert.deepEqual(listed.map((record: any) => [record.match, record.rule, record.origin, record.selects]), [['tag xen:nomigrate', 'migrate=never', 'Xen domain config nomigrate=1', 'web1']])
  })

  it('switch-vf --to vf / --to pv: xl pci-attach then pci-detach on xen1 through ssh, actions done', async () => {
    // Protects the one-off VF hot-plug: exact xl argv, the ssh hop to the VM's host, the action record.
    const {run, calls, clearLog} = lab()
    const attach = await run(['switch-vf', 'web1', '--to', 'vf'])
    assert.equal(attach.exitCode, 0, String(attach.stderr))
    // web1 is looked up by name, its UUID checked, and xl given its domid.
    assert.deepEqual(acting(calls()), ['xen1: xl pci-attach 5 0000:04:10.1'])
    assert.ok(sshCall(calls(), 'root@xen1', ['xl', 'list', '-l', 'web1']), 'web1 was looked up on xen1')
    assert.ok(sshCall(calls(), 'root@xen1', ['xl', 'pci-attach', '5', '0000:04:10.1']), 'ran through ssh root@xen1')
    const [attached] = documents(attach.stdout)
    assert.deepEqual(
      attached.actions.map((a: any) => [a.kind, a.vm, a.uuid, a.host, a.vf, a.status]),
      [['attach-vf', 'web1', '8c6a2f3e-51b2-4a7c-9d0e-1f2a3b4c5d61', 'xen1', '0000:04:10.1', 'done']],
    )

    clearLog()
    const detach = await run(['switch-vf', 'web1', '--to', 'pv'])
    assert.equal(detach.exitCode, 0, String(detach.stderr))
    assert.equal(String(detach.stderr), '')
    assert.deepEqual(acting(calls()), ['xen1: xl pci-detach 5 0000:04:10.1'])
    assert.ok(sshCall(calls(), 'root@xen1', ['xl', 'pci-detach', '5', '0000:04:10.1']), 'ran through ssh root@xen1')
    assert.deepEqual(
      documents(detach.stdout)[0].actions.map((a: any) => [a.kind, a.vm, a.host, a.vf, a.status]),
      [['detach-vf', 'web1', 'xen1', '0000:04:10.1', 'done']],
    )
  })

  it('migrate VM-with-VF --to xen2: detach on xen1, xl migrate, attach on xen2, in that order', async () => {
    // Protects the Executor's migration over real tools: Xen cannot migrate with a VF held.
    const {run, calls} = lab()
    const result = await run(['migrate', 'db1', '--to', 'xen2'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.deepEqual(acting(calls()), [
      'xen1: xl pci-detach 6 0000:04:10.5',
      'xen1: xl migrate 6 xen2',
      // db1 arrived as domain 4 of xen2, with the same UUID.
      'xen2: xl pci-attach 4 0000:81:02.0',
    ])
    assert.ok(sshCall(calls(), 'root@xen1', ['xl', 'migrate', '6', 'xen2']), 'xl migrate runs on the source dom0')
    assert.ok(sshCall(calls(), 'root@xen2', ['xl', 'pci-attach', '4', '0000:81:02.0']), 'the arrival VF is attached on xen2')
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.actions.map((a: any) => [a.kind, a.host, a.vf ?? a.to, a.status]), [
      ['detach-vf', 'xen1', '0000:04:10.5', 'done'],
      ['migrate', 'xen1', 'xen2', 'done'],
      ['attach-vf', 'xen2', '0000:81:02.0', 'done'],
    ])

    const after = await run(['collect'])
    assert.equal(after.exitCode, 0, String(after.stderr))
    const [now] = documents(after.stdout)
    assert.deepEqual(vmsOf(now), {xen1: [['web1', 'pv', null]], xen2: [['app2', 'pv', null], ['db1', 'vf', '0000:81:02.0']]})
    assert.deepEqual(now.hosts.map((h: any) => h.vfs.free), [['0000:04:10.1', '0000:04:10.3', '0000:04:10.5'], ['0000:81:02.1']])
  })

  it('migration options from a YAML configuration: xl migrate -s COMMAND to the target\'s migration address', async () => {
    // Protects the path from the file to xl (config -> hosts backend -> Xen driver), and the migration network.
    const dir = mkdtempSync(join(tmpdir(), 'sova-xen-yaml-'))
    chmodSync(dir, 0o700)
    const config = join(dir, 'xen.yaml')
    const xen = JSON.parse(readFileSync(CONFIG, 'utf8'))
    xen.migration = {sshCommand: '/usr/local/sbin/migrate-ssh'}
    xen.hosts[1].migration = {address: '10.0.9.2'}
    // JSON is YAML too; the comment makes it a YAML file only.
    writeFileSync(config, `# the Xen lab over a migration network\n${JSON.stringify(xen, null, 2)}\n`, {mode: 0o600})
    const {run, calls, editWorld} = lab(config)
    editWorld((w) => {
      w.hosts.xen2.migrationAddresses = ['10.0.9.2']
    })
    const result = await run(['migrate', 'web1', '--to', 'xen2'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.deepEqual(acting(calls()), ['xen1: xl migrate -s /usr/local/sbin/migrate-ssh 5 10.0.9.2'])
    assert.deepEqual(documents(result.stdout)[0].actions.map((a: any) => [a.kind, a.to, a.status]), [['migrate', 'xen2', 'done']])
  })

  it('migrate --dry-run: the three steps as dry-run, and no tool that changes anything runs', async () => {
    // Protects --dry-run on real hosts: plan only, the fake world is never written.
    const {run, calls, world} = lab()
    const result = await run(['migrate', 'db1', '--to', 'xen2', '--dry-run'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.actions.map((a: any) => [a.kind, a.status]), [['detach-vf', 'dry-run'], ['migrate', 'dry-run'], ['attach-vf', 'dry-run']])
    assert.ok(calls().length > 0, 'it did read the hosts')
    assert.deepEqual(acting(calls()), [])
    assert.ok(!calls().some((call) => call.argv.includes('migrate-receive')))
    assert.equal(existsSync(world), false, 'the fake world was never changed')
  })

  const hostile: [string, string[], string, string][] = [
    // [what, argv, the refused name as stderr quotes it, a fragment that must reach no tool]
    ['a VM name with a shell command', ['switch-vf', 'web1; rm -rf /', '--to', 'vf'], 'VM "web1; rm -rf /"', 'rm -rf'],
    ['a VM name that is a flag (after --)', ['migrate', '--to', 'xen2', '--', '--force'], 'VM "--force"', '--force'],
    ['a target host with a shell command', ['migrate', 'web1', '--to', 'xen2;reboot'], 'host "xen2;reboot"', 'reboot'],
  ]
  for (const [what, args, refused, fragment] of hostile) {
    it(`refuses ${what} with exit 2, and the name never reaches a tool`, async () => {
      // Protects the name validation in front of ssh/xl: a hostile name is a usage error, not an argv.
      const {run, calls} = lab()
      const result = await run(args)
      assert.equal(result.exitCode, 2, String(result.stderr))
      assert.equal(String(result.stdout), '')
      const lines = String(result.stderr).trim().split('\n')
      assert.equal(lines.length, 1, String(result.stderr))
      assert.ok(lines[0].startsWith(`sova ${args[0]}: ${refused} is not a valid name`), lines[0])
      assert.deepEqual(calls().filter((call) => call.argv.some((arg) => arg.includes(fragment))), [])
      assert.deepEqual(acting(calls()), [])
    })
  }

  it('collect writes xen1\'s sample, lists xen2 missing when ssh to it fails (exit 255), and exits 69', async () => {
    // Protects a partial sample -> exit 69 through the CLI: the document first, xen2 in "missing".
    const {run, calls, editWorld} = lab()
    editWorld((w) => {
      w.hosts.xen2.reachable = false
    })
    const result = await run(['collect', '--quiet'])
    assert.equal(result.exitCode, 69, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.hosts.map((host: {name: string}) => host.name), ['xen1'])
    assert.deepEqual(doc.missing, [{host: 'xen2', reason: 'did not answer: ssh: connect to host xen2 port 22: Connection refused; no earlier sample of it is known: no decision about xen2 or its VMs'}])
    assert.equal(String(result.stderr), 'sova collect: xen2 gave no readings, so nothing was decided about it; the other hosts were handled (see "missing" in the output)\n')
    assert.ok(sshCall(calls(), 'root@xen2', ['xl', 'info']), 'it did try xen2')
    assert.deepEqual(calls().filter((call) => call.host === 'xen2'), [], 'nothing ran on xen2')
  })
  it('a dom0 costs at most 3 ssh sessions a cycle, sharing one connection under the state directory', async () => {
    // Protects the polling cost (docs/configuration.md "Polling cost") where an operator meets it.
    const {run, calls, clearLog} = lab()
    const sessions = (host: string) => calls().filter((call) => call.host === 'local' && call.argv[0] === 'ssh' && call.argv[call.argv.indexOf('--') + 1] === `root@${host}`)
    // No earlier sample: collect takes two, a few seconds apart (2 sessions, then 1: the VF links are known).
    const cold = await run(['collect', '--quiet'])
    assert.equal(cold.exitCode, 0, String(cold.stderr))
    for (const host of ['xen1', 'xen2']) assert.equal(sessions(host).length, 3, host)
    for (const call of [...sessions('xen1'), ...sessions('xen2')]) {
      const path = call.argv[call.argv.indexOf('ControlMaster=auto') + 2]
      assert.match(path, /^ControlPath=.+\/ssh\/%C$/)
      assert.equal(statSync(path.slice('ControlPath='.length, -'/%C'.length)).mode & 0o777, 0o700)
    }
    // A cycle from cron (a new process, one sample): 2 sessions a host.
    clearLog()
    const warm = await run(['run', '--once', '--dry-run', '--quiet'])
    assert.equal(warm.exitCode, 0, String(warm.stderr))
    for (const host of ['xen1', 'xen2']) assert.equal(sessions(host).length, 2, host)
  })
})
