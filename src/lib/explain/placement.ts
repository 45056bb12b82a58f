// Why a VM is on its host after a cycle: moved this cycle (from where, and why), a move that
// failed, or why it stayed: its host not hot, another VM chosen, or the reasons the balancer
// rejected moving it. Pure.
import {cooldownLeft} from '../policy/sova-balance.js'
import {SOVA_DEFAULTS} from '../policy/sova-params.js'
import type {CycleView} from './cycle-view.js'
import {describeHostStatus, hostStatusOf} from './host-status.js'
import {formatLimit} from './thresholds.js'

/** Why the VM is where it is. */
export interface PlacementExplanation {
  /** The host it was sampled on, when this cycle moved it (or, in a dry run, would move it). */
  fromHost?: string
  /** In full, with the figures. */
  text: string
  /** In a few words, for a table. */
  short: string
}

/** Policies that never migrate: a VM stays where its operator put it. */
const NEVER_MIGRATES = new Set(['static-pv', 'static-vf', 'dsriov'])

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

// A rejected line without its "host1: " prefix: "web1 stays: cooling down ...".
function shortened(line: string, host: string): string {
  return line.replace(new RegExp(`^${escape(host)}:? `), '')
}

/** What the loop remembers of the VM's moves, when it moved recently: "it arrived ... ; its cooldown ...". */
function recentMoves(view: CycleView, vm: string): string {
  const score = view.vmScore(vm)
  const memory = score?.memory
  const cooldown = view.thresholds.cooldown
  if (!memory || memory.recentMoves === 0 || memory.lastMoveAt === undefined || !cooldown) return ''
  const left = cooldownLeft(score, view.doc.at, {...SOVA_DEFAULTS, cooldownSeconds: cooldown.value})
  const wait = left > 0 ? `, ${Math.ceil(left)} s of its cooldown (${formatLimit(cooldown)}, more after repeated moves) left` : ''
  return ` It arrived at ${memory.lastMoveAt} (${memory.recentMoves} recent move(s))${wait}.`
}

/** Why the VM stayed on its host this cycle. */
function stayed(view: CycleView, vm: string, host: string): PlacementExplanation {
  const memory = recentMoves(view, vm)
  if (NEVER_MIGRATES.has(view.policy)) {
    return {text: `${view.policy} never migrates: ${vm} stays on ${host}.`, short: `stays: ${view.policy} never migrates`}
  }
  const status = hostStatusOf(view, host)
  if (!status) {
    const noop = view.doc.plan?.noop?.migrations
    return noop
      ? {text: `Stays on ${host}: ${noop}.${memory}`, short: `stays: ${noop}`}
      : {text: `Stays on ${host}: the document has no hotspot figures (run sova score, or sova run).`, short: 'stays (no scores)'}
  }
  if (!status.hot) {
    return {
      text: `Stays on ${host}: ${describeHostStatus(status)}. ${view.policy} moves VMs only off hosts predicted hot.${memory}`,
      short: `stays: ${host} not hot`,
    }
  }
  const about = view.rejectedMigrationsAbout(vm)
  if (about.length > 0) {
    return {text: `Stays on ${host}, which is predicted hot: ${about.join('; ')}.${memory}`, short: shortened(about[0], host)}
  }
  const others = view.migrationsFrom(host).filter((move) => move.vm !== vm)
  if (others.length > 0) {
    const names = others.map((move) => move.vm).join(', ')
    return {text: `Stays on ${host}, which is predicted hot: ${names} moves instead (${others[0].reason}).${memory}`, short: `stays: ${names} moves off ${host} instead`}
  }
  const hostLines = view.rejectedMigrationsAbout(host).filter((line) => /\bhot,? but\b/.test(line))
  const why = hostLines.length > 0 ? hostLines.join('; ') : (view.doc.plan?.noop?.migrations ?? 'no migration was planned (run sova balance)')
  return {text: `Stays on ${host}, which is predicted hot: ${why}.${memory}`, short: `stays on hot ${host}: ${shortened(hostLines[0] ?? why, host)}`}
}

/** Why `vm` is on its host after the document's cycle. */
export function explainPlacement(view: CycleView, vm: string): PlacementExplanation {
  const placed = view.after.get(vm) ?? view.before.get(vm)
  const host = placed?.host.name ?? '?'
  const migrate = view.actionsOf(vm).find((action) => action.kind === 'migrate')
  if (migrate) {
    const route = `${migrate.host} -> ${migrate.to}`
    if (migrate.status === 'done') {
      return {fromHost: migrate.host, text: `Moved ${route} this cycle: ${migrate.reason}.`, short: `moved from ${migrate.host}`}
    }
    if (migrate.status === 'dry-run') {
      return {fromHost: migrate.host, text: `Would move ${route} (dry run, not executed): ${migrate.reason}.`, short: `would move from ${migrate.host}`}
    }
    const what = migrate.status === 'failed' ? 'failed and was undone' : 'was skipped'
    const error = migrate.error ? `: ${migrate.error}` : ''
    return {
      text: `Stays on ${host}: the migration ${route} ${what}${error}. It was planned because ${migrate.reason}.`,
      short: `stays: migration to ${migrate.to} ${migrate.status}`,
    }
  }
  const planned = view.migrationOf(vm)
  // A plan migrate declined as a whole (its sample too old) says why in noop.
  const declined = planned ? view.doc.plan?.noop?.migrations : undefined
  if (planned && declined) {
    return {
      text: `Stays on ${host}: a move ${planned.from} -> ${planned.to} was planned (${planned.reason}), but not executed: ${declined}.`,
      short: `stays: planned move to ${planned.to} not executed`,
    }
  }
  if (planned) {
    return {
      text: `Planned to move ${planned.from} -> ${planned.to}, not executed in this document (sova migrate executes it): ${planned.reason}.`,
      short: `planned to move to ${planned.to}`,
    }
  }
  return stayed(view, vm, host)
}
