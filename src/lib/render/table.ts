// Tables for people (cli-table3 + chalk). Borders and headers are never coloured (TOOLING.md).
import {Chalk, type ChalkInstance} from 'chalk'
import Table from 'cli-table3'
import type {Action, SovaDocument, Unmanaged} from '../document/schema.js'
import {fixed, mbps} from './figures.js'
import type {View} from './view.js'
import {ownValue} from '../named.js'
import {hostRuleMarkers, vmRuleMarkers} from '../rules/markers.js'

function table(head: string[], rows: string[][]): string {
  // No rule between rows: a cluster's VMs read as one list.
  const out = new Table({head, style: {head: [], border: []}, chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''}})
  out.push(...rows)
  return out.toString()
}

function heading(doc: SovaDocument, chalk: ChalkInstance): string {
  const tick = doc.source.tick === undefined ? '' : ` · tick ${doc.source.tick}`
  return chalk.bold(`${doc.source.cluster} · ${doc.at}${tick} · window ${fixed(doc.source.windowSeconds, 1)} s`)
}

function hostsTable(doc: SovaDocument, chalk: ChalkInstance): string {
  const rows = doc.hosts.map((host) => {
    const score = ownValue(doc.scores?.hosts, host.name)
    const used = host.vms.filter((vm) => vm.vf).length
    const hot = score ? (score.hot ? chalk.red('HOT') : chalk.green('ok')) : ''
    return [host.name, fixed(host.nic.utilisation), fixed(score?.forecast), hot, `${used}/${host.vfs.total}`, String(host.vms.length), hostRuleMarkers(host.rules), score?.reason ?? '']
  })
  return table(['Host', 'Port util', 'Forecast', 'Hotspot', 'VFs used', 'VMs', 'Rules', 'Why'], rows)
}

function vmsTable(doc: SovaDocument, chalk: ChalkInstance): string {
  const rows = doc.hosts.flatMap((host) =>
    host.vms.map((vm) => {
      const score = ownValue(doc.scores?.vms, vm.name)
      const path = vm.path === 'vf' ? chalk.cyan(`vf ${vm.vf}`) : 'pv'
      return [
        vm.name, host.name, path, vmRuleMarkers(vm.rules), fixed(vm.cpu.usedRatio), fixed(vm.cpu.blockedRatio),
        mbps(vm.net.rxBps + vm.net.txBps), fixed(vm.net.activeRatio),
        fixed(score?.ioRatio), score ? String(score.netScore) : '',
        score?.tier ?? (score?.vfValueMbps === undefined ? '' : String(Math.round(score.vfValueMbps))), score?.reason ?? '',
      ]
    }),
  )
  // Seed-based policies rank into tiers; sova values a VF in Mbit/s.
  const ranked = doc.scores?.policy === 'sova' ? 'VF worth' : 'Tier'
  return table(['VM', 'Host', 'Path', 'Rules', 'CPU', 'Blocked', 'Mbit/s', 'Active', 'I/O ratio', 'Net score', ranked, 'Why'], rows)
}

function statusText(action: Action, chalk: ChalkInstance): string {
  if (action.status === 'done') return chalk.green('done')
  if (action.status === 'failed') return chalk.red('failed')
  if (action.status === 'skipped') return chalk.yellow('skipped')
  return chalk.dim('dry-run')
}

function actionsTable(doc: SovaDocument, chalk: ChalkInstance): string {
  const actions = doc.actions ?? []
  const rows = actions.map((action) => [
    action.kind, action.vm, action.to ? `${action.host} -> ${action.to}` : action.host, action.vf ?? '',
    statusText(action, chalk), action.error ? `${action.reason}; ${chalk.red(action.error)}` : action.reason,
  ])
  return table(['Action', 'VM', 'Host', 'VF', 'Status', 'Why'], rows)
}

/** VF alternatives are many on big hosts: a terminal shows the first few. */
const REJECTED_VF_SHOWN = 5

function planLines(doc: SovaDocument, chalk: ChalkInstance): string[] {
  const lines: string[] = []
  for (const entry of doc.missing ?? []) lines.push(chalk.yellow(`missing: ${entry.host}: ${entry.reason}`))
  for (const entry of doc.unmanaged ?? []) lines.push(chalk.yellow(unmanagedLine(entry)))
  for (const move of doc.plan?.migrations ?? []) lines.push(`planned: migrate ${move.vm} ${move.from} -> ${move.to}: ${move.reason}`)
  if (doc.plan?.noop?.migrations) lines.push(chalk.dim(`migrations: ${doc.plan.noop.migrations}`))
  if (doc.plan?.noop?.vf) lines.push(chalk.dim(`VF changes: ${doc.plan.noop.vf}`))
  for (const why of doc.plan?.rejected?.migrations ?? []) lines.push(chalk.dim(`not migrated: ${why}`))
  const vf = doc.plan?.rejected?.vf ?? []
  for (const why of vf.slice(0, REJECTED_VF_SHOWN)) lines.push(chalk.dim(`no VF change: ${why}`))
  if (vf.length > REJECTED_VF_SHOWN) lines.push(chalk.dim(`… ${vf.length - REJECTED_VF_SHOWN} more in plan.rejected.vf (--format json)`))
  return lines
}

/** One document as text for a terminal. */
export function renderTable(doc: SovaDocument, view: View, colour: boolean): string {
  const chalk = new Chalk({level: colour ? 1 : 0})
  const parts = [heading(doc, chalk), hostsTable(doc, chalk), vmsTable(doc, chalk)]
  if (view === 'actions' && (doc.actions?.length ?? 0) > 0) parts.push(actionsTable(doc, chalk))
  parts.push(...planLines(doc, chalk))
  return parts.join('\n') + '\n'
}

/**
 * A domain Sova does not manage, for people: its name quoted as JSON (it may hold spaces or control
 * characters, which is often why it is refused), what it holds, and why.
 */
export function unmanagedLine(entry: Unmanaged): string {
  const vf = entry.vf ? `, holds VF ${entry.vf}` : ''
  const uuid = entry.uuid ? ` (UUID ${entry.uuid}${vf})` : vf ? ` (${vf.slice(2)})` : ''
  return `unmanaged: ${entry.host}: ${JSON.stringify(entry.name)}${uuid}: ${entry.why}; never acted on, its VF and traffic count for ${entry.host}`
}
