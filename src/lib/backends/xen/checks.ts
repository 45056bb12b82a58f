// `sova doctor` for a Xen host: can Sova reach it, run its tools, see its port and hand out VFs?
import {SovaError} from '../../errors.js'
import {toolError} from '../../exec.js'
import {readPort, readSriov, type PortReading, type SriovFacts} from '../../linux/host-facts.js'
import {hostNameOf, nameDoesNotResolve, notChecked, unresolvedCheck} from '../hosts/cause.js'
import type {DoctorCheck, HostDriverContext} from '../hosts/driver.js'
import {memoizeReads} from '../hosts/host-batch.js'
import {runTool} from './host-tools.js'
import {parsePciAssignableList, parseXlInfo, parseXlListLong, type XlDomain} from './parse-xl.js'
import {parseXenstoreLs, readAgentCounters} from './parse-xenstore.js'
import {AGENT_MISSED_INTERVALS, staleAgent} from './vm-traffic.js'
import {computeVfPool} from './vf-pool.js'

type Check = Omit<DoctorCheck, 'host'>

const pass = (check: string, detail: string): Check => ({check, ok: true, detail})
const fail = (check: string, detail: string, fix: string): Check => ({check, ok: false, detail, fix})

async function checkTool(ctx: HostDriverContext, check: string, file: string, args: string[], fix: string, describe: (stdout: string) => string): Promise<Check> {
  const result = await runTool(ctx, file, args)
  return result.exitCode === 0 ? pass(check, describe(result.stdout)) : fail(check, toolError(result), fix)
}

function describeXl(stdout: string): string {
  const info = parseXlInfo(stdout)
  return `Xen ${info.get('xen_version') ?? '?'}, ${info.get('nr_cpus') ?? '?'} CPUs, ${info.get('free_memory') ?? '?'} of ${info.get('total_memory') ?? '?'} MiB free`
}

function describeXenstore(stdout: string, nowSeconds: number): string {
  const nodes = parseXenstoreLs(stdout)
  const guests = [...nodes.keys()].filter((path) => /^\/local\/domain\/[1-9]\d*\/name$/.test(path)).length
  const agents = [...readAgentCounters(nodes).values()]
  const stale = agents.filter((agent) => staleAgent(agent, nowSeconds) !== undefined).length
  const stopped = stale > 0 ? `; ${stale} more whose agent stopped writing (more than ${AGENT_MISSED_INTERVALS} intervals ago)` : ''
  return `guest agent counters from ${agents.length - stale} of ${guests} domains${stopped} (the others are read from dom0's vif counters)`
}

function checkPort(device: string, port: PortReading | undefined): Check {
  return port
    ? pass('PF found', `${device} in /proc/net/dev (rx ${port.rxBytes} B, tx ${port.txBytes} B)`)
    : fail('PF found', `${device} is not in /proc/net/dev`, 'set port.device to the SR-IOV PF\'s interface name as dom0 names it (ip link)')
}

function checkSpeed(ctx: HostDriverContext, port: PortReading | undefined): Check {
  const {device, speedMbps} = ctx.host.port
  if (speedMbps !== undefined) return pass('link speed known', `${speedMbps} Mbit/s (port.speedMbps)`)
  if (port?.speedMbps !== undefined) return pass('link speed known', `${port.speedMbps} Mbit/s (/sys/class/net/${device}/speed)`)
  return fail('link speed known', `/sys/class/net/${device}/speed is -1 or unreadable`, 'set port.speedMbps in this host\'s config')
}

function checkSriov(device: string, sriov: SriovFacts | undefined): Check {
  if (!sriov) return fail('SR-IOV enabled', `${device} has no SR-IOV capability in sysfs`, 'set port.device to the PF of an SR-IOV NIC')
  if (sriov.numVfs > 0) return pass('SR-IOV enabled', `${sriov.numVfs} of ${sriov.totalVfs} VFs enabled on ${device}`)
  return fail('SR-IOV enabled', `0 of ${sriov.totalVfs} VFs enabled on ${device}`, `echo N > /sys/class/net/${device}/device/sriov_numvfs (N up to ${sriov.totalVfs})`)
}

async function checkPool(ctx: HostDriverContext, sriov: SriovFacts | undefined): Promise<Check> {
  const [assignable, long] = await Promise.all([runTool(ctx, 'xl', ['pci-assignable-list']), runTool(ctx, 'xl', ['list', '-l'])])
  const failed = [assignable, long].find((result) => result.exitCode !== 0)
  if (failed) return fail('VFs assignable', toolError(failed), 'make "xl pci-assignable-list" and "xl list -l" work as root on dom0')
  let domains: XlDomain[]
  try {
    domains = parseXlListLong(long.stdout)
  } catch (error) {
    if (error instanceof SovaError) return fail('VFs assignable', error.message, error.remedy ?? 'see the detail')
    return fail('VFs assignable', `xl list -l printed output that could not be parsed: ${(error as Error).message}`, 'run "xl list -l" on the host by hand')
  }
  const pool = computeVfPool({
    assignable: parsePciAssignableList(assignable.stdout),
    pfVfs: sriov?.vfs.map((vf) => vf.address),
    allow: ctx.host.vfs?.allow,
    // Every guest's devices, managed or not: a VF held by any domain is in use.
    assigned: domains.filter((domain) => domain.domid !== 0).flatMap((domain) => domain.pcidevs),
  })
  if (pool.total > 0) return pass('VFs assignable', `${pool.total} VFs: ${pool.free.length} free${pool.free.length > 0 ? ` (${pool.free.join(', ')})` : ''}, ${pool.inUse.length} in use`)
  const from = ctx.host.vfs?.allow ? 'vfs.allow' : `the VFs of ${ctx.host.port.device}`
  return fail('VFs assignable', `none of ${from} is assignable or assigned`, 'xl pci-assignable-add <BDF> for each VF Sova may hand out')
}

/** Every readiness check of one Xen host, in the order an operator would fix them. */
export async function checkXenHost(context: HostDriverContext): Promise<DoctorCheck[]> {
  const ctx = {...context, shell: memoizeReads(context.shell)}
  const host = ctx.host.name
  const device = ctx.host.port.device
  const withHost = (checks: Check[]): DoctorCheck[] => checks.map((check) => ({host, ...check}))
  if (ctx.host.ssh) {
    let ssh = await checkTool(ctx, 'ssh reachable', 'true', [], `make "ssh -o BatchMode=yes ${ctx.shell.where} true" work (key-based login, known host key)`, () => `${ctx.shell.where} answers`)
    const unresolved = !ssh.ok && nameDoesNotResolve(ssh.detail)
    if (unresolved) ssh = unresolvedCheck('ssh reachable', hostNameOf(ctx.host.ssh), ssh.detail, 'the host\'s "ssh"')
    // Nothing else can be read through a dead ssh: the other checks say so instead of failing for it.
    const because = unresolved ? `${hostNameOf(ctx.host.ssh)} does not resolve` : 'ssh does not answer'
    if (!ssh.ok) return withHost([ssh, ...SHELL_CHECKS.map((check) => notChecked(check, because))])
    const rest = await checkThroughShell(ctx, device)
    return withHost([ssh, ...rest])
  }
  return withHost(await checkThroughShell(ctx, device))
}

/** The checks that read the host through its shell, in the order checkThroughShell returns them. */
const SHELL_CHECKS = ['xl runs', 'xentop present', 'xenstore-ls present', 'PF found', 'link speed known', 'SR-IOV enabled', 'VFs assignable']

async function checkThroughShell(ctx: HostDriverContext, device: string): Promise<Check[]> {
  const [xl, xentop, xenstore, port, sriov] = await Promise.all([
    checkTool(ctx, 'xl runs', 'xl', ['info'], 'run Sova as root on dom0, with the xl toolstack installed and xenstored running', describeXl),
    checkTool(ctx, 'xentop present', 'xentop', ['-b', '-i', '1'], 'install xentop (Debian: xen-utils); snapshots do not need it, operators do', () => 'xentop -b runs'),
    checkTool(ctx, 'xenstore-ls present', 'xenstore-ls', ['-f', '/local/domain'], 'install the xenstore clients (Debian: xen-utils-common)', (stdout) => describeXenstore(stdout, ctx.now())),
    readPort(ctx.shell, device),
    readSriov(ctx.shell, device),
  ])
  return [xl, xentop, xenstore, checkPort(device, port), checkSpeed(ctx, port), checkSriov(device, sriov), await checkPool(ctx, sriov)]
}
