// `/proc/net/bonding/<bond>` (linux drivers/net/bonding/bond_procfs.c, INTERFACES.md §4.1): blocks
// of `key: value` lines separated by blank lines. Blocks with a `Slave Interface` line describe one
// slave each; every other block (the driver version line, the master, 802.3ad info) the bond.
// Pure: the text in, a typed value out.

/** The sysfs short names of the bonding modes, as `mode=` in the bond's options takes them. */
export type BondMode = 'balance-rr' | 'active-backup' | 'balance-xor' | 'broadcast' | '802.3ad' | 'balance-tlb' | 'balance-alb' | 'unknown'

/** bond_mode_name()'s long names, which is what procfs prints. */
const MODE_NAMES: Record<string, BondMode> = {
  'load balancing (round-robin)': 'balance-rr',
  'fault-tolerance (active-backup)': 'active-backup',
  'load balancing (xor)': 'balance-xor',
  'fault-tolerance (broadcast)': 'broadcast',
  'IEEE 802.3ad Dynamic link aggregation': '802.3ad',
  'transmit load balancing': 'balance-tlb',
  'adaptive load balancing': 'balance-alb',
}

/** One `Slave Interface` block. */
export interface BondSlave {
  name: string
  /** `up`, `down`, `going back`, ... as printed; undefined when the block has no such line. */
  miiStatus: string | undefined
  /** `10000 Mbps`, `Unknown` (normal for netfront and virtio). */
  speed: string | undefined
  linkFailureCount: number | undefined
  permanentHwAddr: string | undefined
}

/** Everything the procfs text says about one bond. */
export interface BondStatus {
  /** `v6.8.0-45-generic`, or `v3.7.1 (April 27, 2011)` on old kernels. */
  driverVersion: string | undefined
  mode: BondMode
  /** The mode as printed, without the `(fail_over_mac ...)` suffix. */
  modeText: string | undefined
  failOverMac: string | undefined
  /** The primary slave's name; undefined for `None` and for modes that print no such line. */
  primary: string | undefined
  primaryReselect: string | undefined
  /** The active slave's name; undefined for `None` and for modes that print no such line. */
  activeSlave: string | undefined
  /** Whether the mode prints primary/active lines at all (active-backup, balance-tlb, balance-alb). */
  usesPrimary: boolean
  miiStatus: string | undefined
  /** `MII Polling Interval (ms)`; 0 means link monitoring by MII is off. */
  miimonMs: number | undefined
  upDelayMs: number | undefined
  downDelayMs: number | undefined
  slaves: BondSlave[]
}

type Block = Map<string, string>

/** Blank-line-separated blocks of `key: value` lines; within a block the first occurrence of a key wins. */
function blocksOf(text: string): Block[] {
  const blocks: Block[] = []
  let current: Block | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd()
    if (line.trim() === '') {
      current = undefined
      continue
    }
    if (!current) blocks.push((current = new Map()))
    const colon = line.indexOf(':')
    if (colon < 0) {
      if (!current.has(line.trim())) current.set(line.trim(), '')
      continue
    }
    const key = line.slice(0, colon).trim()
    if (!current.has(key)) current.set(key, line.slice(colon + 1).trim())
  }
  return blocks
}

const nameOrNone = (value: string | undefined) => (value === undefined || value === '' || value === 'None' ? undefined : value)

const integerOf = (value: string | undefined) => {
  if (value === undefined || !/^-?\d+$/.test(value)) return undefined
  return Number(value)
}

/** `eth1 (primary_reselect always)` → name and option; `None` → neither. */
function splitSuffix(value: string | undefined, option: string): {head: string | undefined; option: string | undefined} {
  if (value === undefined) return {head: undefined, option: undefined}
  const match = new RegExp(`^(.*?)\\s*\\(${option} ([^)]*)\\)$`).exec(value)
  return match ? {head: match[1], option: match[2]} : {head: value, option: undefined}
}

/** Reads one bond's procfs text; never throws (missing lines come back undefined). */
export function parseBonding(text: string): BondStatus {
  const blocks = blocksOf(text)
  const master = new Map<string, string>()
  const slaves: BondSlave[] = []
  for (const block of blocks) {
    const name = block.get('Slave Interface')
    if (name !== undefined) {
      slaves.push({
        name,
        miiStatus: block.get('MII Status'),
        speed: block.get('Speed'),
        linkFailureCount: integerOf(block.get('Link Failure Count')),
        permanentHwAddr: block.get('Permanent HW addr'),
      })
      continue
    }
    for (const [key, value] of block) if (!master.has(key)) master.set(key, value)
  }
  const mode = splitSuffix(master.get('Bonding Mode'), 'fail_over_mac')
  const primary = splitSuffix(master.get('Primary Slave'), 'primary_reselect')
  return {
    driverVersion: master.get('Ethernet Channel Bonding Driver'),
    mode: (mode.head !== undefined && MODE_NAMES[mode.head]) || 'unknown',
    modeText: mode.head,
    failOverMac: mode.option,
    primary: nameOrNone(primary.head),
    primaryReselect: primary.option,
    activeSlave: nameOrNone(master.get('Currently Active Slave')),
    usesPrimary: master.has('Primary Slave') || master.has('Currently Active Slave'),
    miiStatus: master.get('MII Status'),
    miimonMs: integerOf(master.get('MII Polling Interval (ms)')),
    upDelayMs: integerOf(master.get('Up Delay (ms)')),
    downDelayMs: integerOf(master.get('Down Delay (ms)')),
    slaves,
  }
}
