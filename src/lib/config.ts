// The configuration file, JSON or YAML (config-text.ts), found as config-path.ts says (--config,
// $SOVA_CONFIG, the user's file, the system-wide one; ARCHITECTURE.md §6). It holds the policy and
// its parameters, the hosts of a real cluster with their backend, how to reach them, their port
// and VFs, per-host policy overrides, and how migrations are done (config-migration.ts). Unknown keys are refused, so a typo cannot pass silently; every refusal names the
// file and the JSON path (`sova config check` lists them all, with line numbers).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {type Static, Type} from '@sinclair/typebox'
import {MAX_HOSTS} from './document/limits.js'
import {NAME_EXPECTED, NAME_PATTERN, PCI_PATTERN} from './document/schema.js'
// config-check reads ConfigFile only when called, so this import cycle is harmless.
import {checkConfigText, configProblems, permissionProblems} from './config-check.js'
import {HostMigrationSection, MigrationSection} from './config-migration.js'
// How many actions run at once: migration.maxParallel(InCluster) and vfChanges (config-bounds.ts).
import {VfChangesSection} from './config-bounds.js'
import {locateConfig, userConfigDir} from './config-path.js'
import {readConfigText} from './config-text.js'
import {InputError, UsageError} from './errors.js'
import {DEFAULT_MAX_SAMPLE_AGE_SECONDS} from './loop/freshness.js'
import {HOTSPOT_PARAM_DOCS} from './policy/hotspot.js'
import {POLICY_NAMES} from './policy/policies.js'
// The operator's rules (what Sova may touch): their own section, schema in rules/config-rules.ts.
import {RulesSection} from './rules/config-rules.js'
import {SEED_BALANCE_PARAM_DOCS} from './policy/balance-seed.js'
import {SOVA_PARAM_DOCS} from './policy/sova-params.js'
// Where the cluster is read from (Prometheus), schema in sensing/config-sensing.ts.
import {SensingSection} from './sensing/config-sensing.js'

const strict = {additionalProperties: false} as const
const number = (description: string) => Type.Optional(Type.Number({description, expected: 'a number'}))
const whole = (description: string) => Type.Optional(Type.Integer({minimum: 1, description, expected: 'a whole number >= 1'}))

/** The parameters of a policy: the file's policy section, and a host's overrides of it. */
const policyParameters = {
    hotspot: Type.Optional(
      Type.Object(
        {
          threshold: number(HOTSPOT_PARAM_DOCS.threshold),
          recent: whole(HOTSPOT_PARAM_DOCS.recent),
          hotSamplesNeeded: whole(HOTSPOT_PARAM_DOCS.hotSamplesNeeded),
          order: whole(HOTSPOT_PARAM_DOCS.order),
          predictor: Type.Optional(Type.Union([Type.Literal('burg'), Type.Literal('lsq')], {expected: 'burg or lsq'})),
          window: whole(HOTSPOT_PARAM_DOCS.window),
        },
        strict,
      ),
    ),
    seed: Type.Optional(Type.Object({targetBelow: number(SEED_BALANCE_PARAM_DOCS.targetBelow)}, strict)),
    sova: Type.Optional(
      Type.Object(
        Object.fromEntries(Object.keys(SOVA_PARAM_DOCS).map((key) => [key, number(SOVA_PARAM_DOCS[key as keyof typeof SOVA_PARAM_DOCS])])),
        strict,
      ),
    ),
}

const PolicySection = Type.Object(
  {
    name: Type.Optional(Type.Union(POLICY_NAMES.map((name) => Type.Literal(name)), {expected: `one of ${POLICY_NAMES.join(', ')}`})),
    ...policyParameters,
  },
  strict,
)

const name = (description: string) => Type.String({pattern: NAME_PATTERN, description, expected: NAME_EXPECTED})
const pci = (description: string) => Type.String({pattern: PCI_PATTERN, description, expected: 'a PCI address [DDDD:]BB:SS.F'})
const MAC_PATTERN = '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$'
/** Interface names as Linux allows them (IFNAMSIZ 16, no slash, whitespace or colon). */
const IFNAME_PATTERN = '^[A-Za-z0-9_.@-]{1,15}$'
/** ssh destinations: [user@]host, nothing a remote shell could read as more than a word. */
const SSH_PATTERN = '^([A-Za-z0-9_][A-Za-z0-9_.-]*@)?[A-Za-z0-9_][A-Za-z0-9_.:-]*$'
/** libvirt connection URIs: driver[+transport]://[user@][host][:port]/path[?query]. */
const URI_PATTERN = '^[a-z0-9]+(\\+[a-z0-9]+)?://([A-Za-z0-9_.-]+@)?[A-Za-z0-9_.:\\[\\]-]*/[A-Za-z0-9_./-]*(\\?[A-Za-z0-9_./=&%:-]*)?$'

const HostEntry = Type.Object(
  {
    name: name('the host as Sova names it (the hypervisor\'s host name for Xen migration, unless ssh says otherwise)'),
    backend: Type.Union([Type.Literal('xen'), Type.Literal('libvirt')], {expected: 'xen or libvirt'}),
    ssh: Type.Optional(Type.String({pattern: SSH_PATTERN, description: 'ssh destination ([user@]host) for a remote host; absent: the tools run here', expected: '[user@]host'})),
    uri: Type.Optional(Type.String({pattern: URI_PATTERN, description: 'libvirt connection URI (default qemu:///system, or qemu+ssh://<ssh>/system when ssh is set)', expected: 'a libvirt URI such as qemu+ssh://root@host2/system'})),
    port: Type.Object(
      {
        device: Type.String({pattern: IFNAME_PATTERN, description: 'the physical port (the SR-IOV PF) as the host names it', expected: 'an interface name such as enp3s0f0'}),
        speedMbps: Type.Optional(Type.Number({exclusiveMinimum: 0, description: 'link speed override, Mbit/s (default: /sys/class/net/<device>/speed)', expected: 'a number > 0'})),
        counters: Type.Optional(Type.Union([Type.Literal('pf'), Type.Literal('vms')], {description: 'where the port\'s traffic is read: the PF\'s own counters (default) or the sum of its VMs\' (labs without a real port)', expected: 'pf or vms'})),
      },
      strict,
    ),
    vfs: Type.Optional(
      Type.Object(
        {
          allow: Type.Optional(Type.Array(pci('a VF Sova may hand out'), {description: 'only these VFs of the PF are Sova\'s to give (default: all assignable ones)'})),
          network: Type.Optional(Type.String({pattern: NAME_PATTERN, description: 'libvirt: a hostdev network (forward mode=hostdev) that pools the PF\'s VFs', expected: NAME_EXPECTED})),
          vlan: Type.Optional(Type.Integer({minimum: 1, maximum: 4094, description: 'libvirt: the 802.1Q VLAN a VF Sova hands out is tagged with (<vlan><tag id/></vlan>); a VF given back after a failed migration keeps the VLAN it had', expected: 'an integer 1..4094'})),
          mac: Type.Optional(Type.Union([Type.Literal('per-vf'), Type.Literal('per-vm')], {description: 'libvirt: the MAC of a VF Sova hands out: per-vf (default) derived from host and VF, per-vm derived from the domain UUID (the same on every host); a teaming backup\'s MAC always wins, and a VF given back keeps the MAC it had', expected: 'per-vf or per-vm'})),
          emulated: Type.Optional(
            Type.Object(
              {
                model: Type.Union([Type.Literal('e1000e'), Type.Literal('virtio'), Type.Literal('rtl8139'), Type.Literal('e1000')], {expected: 'e1000e, virtio, e1000 or rtl8139'}),
                nics: Type.Array(
                  Type.Object({id: pci('the name Sova gives this stand-in VF'), mac: Type.String({pattern: MAC_PATTERN, expected: 'a MAC address xx:xx:xx:xx:xx:xx'})}, strict),
                  {minItems: 1, expected: 'at least one {id, mac}'},
                ),
              },
              {...strict, description: 'labs: emulated NICs hot-plugged in place of VFs (no SR-IOV hardware)'},
            ),
          ),
        },
        strict,
      ),
    ),
    policy: Type.Optional(Type.Object(policyParameters, {...strict, description: 'this host\'s overrides of the policy parameters'})),
    migration: Type.Optional(HostMigrationSection),
  },
  strict,
)

const TimeoutsSection = Type.Object(
  {
    toolSeconds: Type.Optional(Type.Number({exclusiveMinimum: 0, description: 'longest a hypervisor tool may take (default 30)', expected: 'a number > 0'})),
    migrateSeconds: Type.Optional(Type.Number({exclusiveMinimum: 0, description: 'longest a live migration may take before it is aborted (default 300)', expected: 'a number > 0'})),
  },
  strict,
)

export const ConfigFile = Type.Object(
  {
    cluster: Type.Optional(name('the cluster\'s name (samples and journal are kept per cluster)')),
    hosts: Type.Optional(Type.Array(HostEntry, {minItems: 1, maxItems: MAX_HOSTS, expected: `a list of 1 to ${MAX_HOSTS} hosts`})),
    timeouts: Type.Optional(TimeoutsSection),
    maxSampleAgeSeconds: Type.Optional(Type.Number({exclusiveMinimum: 0, description: `no decision is taken on a sample older than this by the cluster's clock (default ${DEFAULT_MAX_SAMPLE_AGE_SECONDS})`, expected: 'a number > 0'})),
    policy: Type.Optional(PolicySection),
    migration: Type.Optional(MigrationSection),
    vfChanges: Type.Optional(VfChangesSection),
    rules: Type.Optional(RulesSection),
    sensing: Type.Optional(SensingSection),
  },
  {...strict, title: 'Sova configuration file'},
)
export type HostEntry = Static<typeof HostEntry>
export type ConfigFile = Static<typeof ConfigFile>
export type PolicyConfig = NonNullable<ConfigFile['policy']>

/**
 * Which file to read (config-path.ts): the flag, else $SOVA_CONFIG (both must exist), else the
 * user's file, else the system-wide one; when none is in force, the user's config.json, marked not
 * required (messages name where one would go). `sova config path` tells the whole story.
 */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): {path: string; required: boolean} {
  const {path, required} = locateConfig(flag, env)
  return {path: path ?? join(userConfigDir(env), 'config.json'), required}
}

/** Validates a parsed configuration; `where` names it in messages (the first problem is refused). */
export function parseConfig(value: unknown, where: string): ConfigFile {
  const [first] = configProblems(value)
  if (first) throw new InputError(`${where}: ${first.line}`)
  return value as ConfigFile
}

/** Reads the configuration in effect (an empty one when there is none and none was asked for). */
export function loadConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const {path, rule} = locateConfig(flag, env)
  if (path === undefined) return {}
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`${rule === '--config' ? '--config' : rule === 'SOVA_CONFIG' ? 'SOVA_CONFIG' : 'configuration'} ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  // The first problem: who may write the file, then the first in file order, with its line, as `sova config check` lists them all.
  const [first] = [...permissionProblems(path), ...checkConfigText(text, path)]
  if (first) throw new InputError(first)
  return (readConfigText(text, path) as {value: ConfigFile}).value
}
