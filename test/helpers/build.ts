// Builders for small, valid Sova documents in tests (STYLE.md guideline 14): sensible defaults,
// and a tweak (a partial object, shallowly merged, or a function that edits the value).
import type {Host, HostScore, Scores, SovaDocument, Vm} from '../../src/lib/document/schema.js'

/** How a test adjusts a default: fields to override (shallow) or a function that edits in place. */
export type Tweak<T> = Partial<T> | ((value: T) => void)

function applyTweak<T extends object>(value: T, tweak?: Tweak<T>): T {
  if (typeof tweak === 'function') {
    tweak(value)
    return value
  }
  return {...value, ...tweak}
}

/** The VF addresses a default host offers, lowest first. */
export const DEFAULT_VFS = ['0000:03:10.0', '0000:03:10.1', '0000:03:10.2', '0000:03:10.3'] as const

/** A VM on the PV path, 1 vCPU, 1 GiB, half a CPU, idle network. Setting `vf` sets the path. */
export function vm(name: string, tweak?: Tweak<Vm>): Vm {
  const built = applyTweak<Vm>(
    {
      name,
      id: name,
      vcpus: 1,
      memoryMiB: 1024,
      cpu: {usedRatio: 0.5, blockedRatio: 0.1},
      net: {rxBps: 0, txBps: 0, activeRatio: 0},
      path: 'pv',
      vf: null,
    },
    tweak,
  )
  if (typeof tweak === 'object' && 'vf' in tweak && !('path' in tweak)) built.path = built.vf ? 'vf' : 'pv'
  return built
}

/**
 * A host with a 10 GbE port at utilisation 0, 4 VFs (those its VMs do not hold are free),
 * 16 CPUs and 64 GiB.
 */
export function host(name: string, vms: Vm[] = [], tweak?: Tweak<Host>): Host {
  const held = new Set(vms.map((guest) => guest.vf))
  return applyTweak<Host>(
    {
      name,
      nic: {device: 'eth0', speedMbps: 10_000, rxBps: 0, txBps: 0, utilisation: 0},
      vfs: {total: DEFAULT_VFS.length, free: DEFAULT_VFS.filter((vf) => !held.has(vf))},
      cpus: 16,
      memoryMiB: {total: 65_536, free: 32_768},
      vms,
    },
    tweak,
  )
}

/** A host whose port is at `utilisation` (rx carries it all), for balancing tests. */
export function loadedHost(name: string, utilisation: number, vms: Vm[] = [], tweak?: Tweak<Host>): Host {
  const built = host(name, vms, tweak)
  built.nic = {...built.nic, utilisation, rxBps: (utilisation * built.nic.speedMbps * 1e6) / 8, txBps: 0}
  return built
}

/** A version-1 document from the sim backend at a fixed time. */
export function doc(hosts: Host[], tweak?: Tweak<SovaDocument>): SovaDocument {
  return applyTweak<SovaDocument>(
    {
      sova: 1,
      at: '2024-01-01T00:00:00Z',
      source: {backend: 'sim', cluster: 'test', windowSeconds: 10},
      hosts,
    },
    tweak,
  )
}

/** A host's score: not hot, utilisation 0, burg, unless the tweak says otherwise. */
export function hostScore(tweak?: Tweak<HostScore>): HostScore {
  return applyTweak<HostScore>(
    {utilisation: 0, window: [0, 0, 0, 0, 0], forecast: null, predictor: 'burg', hot: false, reason: 'test'},
    tweak,
  )
}

/** Seed scores for the named hosts (no VM scores unless given). */
export function seedScores(hosts: Record<string, HostScore>, vms: Scores['vms'] = {}): Scores {
  return {policy: 'seed', vms, hosts}
}
