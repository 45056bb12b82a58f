// Everything wrong with a configuration, each on its own line with where it is: what
// `sova config check` prints and what `--config` refuses (the first of them). Schema problems
// first; the cross-field rules (unique names, one backend kind, options that fit the backend) only
// once the shape is right, so a message never talks about a field that is not there.
import {realpathSync, statSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {hostPolicyConfig, policyParamProblems, unvalidatedPolicyParams} from './cli/flags.js'
import {ConfigFile, type HostEntry, type PolicyConfig} from './config.js'
import {addressProblem, LIBVIRT_ONLY_KEYS, type MigrationSettings, XEN_ONLY_KEYS} from './config-migration.js'
import {NAME_EXPECTED} from './document/schema.js'
import {schemaErrorList} from './document/schema-errors.js'
import {canonicalPci} from './identifiers.js'
import {readConfigText} from './config-text.js'
import {rulesProblems} from './rules/config-rules.js'
import {sensingProblems} from './sensing/config-sensing.js'

export interface ConfigProblem {
  /** JSON pointer of the offending value (`/hosts/1/uri`). */
  pointer: string
  /** `hosts[1].uri: ...`, without the file name. */
  line: string
}

const unknownKey = (path: string) => {
  const section = path.split('.').slice(0, -1).join('.')
  // rules.vms and rules.hosts are keyed by name: a key that is no name is a bad name, not a typo of a key.
  if (section === 'rules.vms' || section === 'rules.hosts') return `not a ${section === 'rules.vms' ? 'VM' : 'host'} name (${NAME_EXPECTED})`
  const top = Object.keys(ConfigFile.properties)
  return section === '' ? `unknown key (expected ${top.slice(0, -1).join(', ')} or ${top.at(-1)})` : `unknown key in ${section} (see docs/configuration.md)`
}

/** Cross-field rules the schema cannot say. */
function hostProblems(hosts: HostEntry[]): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const at = (index: number, field: string, line: string) => problems.push({pointer: `/hosts/${index}${field ? '/' + field : ''}`, line: `hosts[${index}]${field ? '.' + field.replaceAll('/', '.') : ''}: ${line}`})
  const seenNames = new Map<string, number>()
  const seenVfs = new Map<string, string>()
  const seenMacs = new Map<string, string>()
  hosts.forEach((host, index) => {
    const earlier = seenNames.get(host.name)
    if (earlier !== undefined) at(index, 'name', `"${host.name}" is also hosts[${earlier}]; host names must be unique`)
    else seenNames.set(host.name, index)
    if (host.backend !== hosts[0].backend) {
      at(index, 'backend', `${host.backend}, but hosts[0] is ${hosts[0].backend}: one cluster has one backend kind (a VM cannot migrate between them)`)
    }
    if (host.backend === 'xen') {
      if (host.uri) at(index, 'uri', 'only libvirt hosts have a connection URI (Xen hosts are reached with ssh)')
      if (host.vfs?.network) at(index, 'vfs/network', 'a hostdev network is a libvirt pool; Xen hosts list VFs with allow')
      if (host.vfs?.emulated) at(index, 'vfs/emulated', 'emulated stand-in VFs exist only for libvirt labs')
      if (host.vfs?.vlan !== undefined) at(index, 'vfs/vlan', 'Sova tags VFs with a VLAN only on libvirt hosts')
      if (host.vfs?.mac !== undefined) at(index, 'vfs/mac', 'Sova chooses VF MACs only on libvirt hosts')
    }
    if (host.vfs?.emulated && host.vfs.vlan !== undefined) at(index, 'vfs/vlan', 'libvirt cannot tag an emulated stand-in NIC with a VLAN')
    if (host.vfs?.emulated && host.vfs.mac !== undefined) at(index, 'vfs/mac', 'a stand-in VF has the MAC vfs.emulated.nics gives it')
    const kinds = ['allow', 'network', 'emulated'].filter((kind) => host.vfs?.[kind as keyof NonNullable<HostEntry['vfs']>] !== undefined)
    if (kinds.length > 1) at(index, 'vfs', `choose one of allow, network or emulated (got ${kinds.join(' and ')})`)
    if (host.port.counters === 'vms' && !host.port.speedMbps) at(index, 'port/speedMbps', 'required when counters is "vms" (there is no real port to read a speed from)')
    const ids = [...(host.vfs?.allow ?? []), ...(host.vfs?.emulated?.nics.map((nic) => nic.id) ?? [])]
    ids.forEach((id) => {
      const vf = canonicalPci(id)
      const owner = seenVfs.get(vf)
      if (owner !== undefined) at(index, 'vfs', `VF ${vf} is listed twice (also on ${owner})`)
      else seenVfs.set(vf, host.name)
    })
    host.vfs?.emulated?.nics.forEach((nic) => {
      const mac = nic.mac.toLowerCase()
      const owner = seenMacs.get(mac)
      if (owner !== undefined) at(index, 'vfs/emulated/nics', `MAC ${mac} is listed twice (also on ${owner}); Sova finds a stand-in VF by its MAC`)
      else seenMacs.set(mac, host.name)
    })
  })
  return problems
}

/** Migration options that fit the hosts' backend, and addresses a tool can be given. */
function migrationProblems(config: ConfigFile): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const backend = config.hosts?.[0]?.backend
  const judge = (pointer: string, section: MigrationSettings | undefined, kind: 'xen' | 'libvirt' | undefined) => {
    if (!section) return
    const at = (key: string, line: string) => problems.push({pointer: `${pointer}/${key}`, line: `${dotted(pointer)}.${key}: ${line}`})
    if (kind === 'xen') for (const key of LIBVIRT_ONLY_KEYS) if (section[key] !== undefined) at(key, 'a libvirt option: xl migrate has no such option (docs/configuration.md says what Xen has)')
    if (kind === 'libvirt') for (const key of XEN_ONLY_KEYS) if (section[key] !== undefined) at(key, 'a Xen option (xl migrate -s): libvirt reaches the target by its URI')
    if (section.address !== undefined) {
      const wrong = addressProblem(section.address)
      if (wrong) at('address', wrong)
    }
    if (section.listenAddress !== undefined) {
      const wrong = addressProblem(section.listenAddress, true)
      if (wrong) at('listenAddress', wrong)
    }
  }
  judge('/migration', config.migration, backend)
  config.hosts?.forEach((host, index) => judge(`/hosts/${index}/migration`, host.migration, host.backend))
  return problems
}

/** A policy section of the file and where it is (`/policy`, `/hosts/2/policy`). */
interface PlacedSection {
  pointer: string
  section: PolicyConfig | NonNullable<HostEntry['policy']>
}

const dotted = (pointer: string) => pointer.split('/').slice(1).map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`)).join('').replace(/^\./, '')

/**
 * The parameters' own rules (a whole number of migrations, a cooldown >= 0, shares of at most 1),
 * by the validator `sova run` uses: each problem at the key that sets it, in the most specific
 * section that does, else at the section it comes from (a default that clashes with a set value).
 */
function policyProblems(config: ConfigFile): ConfigProblem[] {
  const problems: ConfigProblem[] = []
  const seen = new Set<string>()
  const report = (sections: PlacedSection[], params: ReturnType<typeof unvalidatedPolicyParams>) => {
    for (const problem of policyParamProblems(params)) {
      const parameters = (placed: PlacedSection) => (placed.section as Record<string, Record<string, unknown> | undefined>)[problem.section]
      const setting = [...sections].reverse().find((placed) => parameters(placed)?.[problem.key] !== undefined)
      const pointer = setting
        ? `${setting.pointer}/${problem.section}/${problem.key}`
        : ([...sections].reverse().find((placed) => parameters(placed) !== undefined)?.pointer ?? sections[0].pointer) + `/${problem.section}`
      const line = `${dotted(setting ? pointer.slice(0, pointer.lastIndexOf('/')) : pointer)}.${problem.message}${setting ? '' : ' (with the defaults)'}`
      if (seen.has(line)) continue
      seen.add(line)
      problems.push({pointer, line})
    }
  }
  const section = config.policy ?? {}
  const cluster: PlacedSection = {pointer: '/policy', section}
  const params = unvalidatedPolicyParams({}, section)
  report([cluster], params)
  for (const [index, host] of (config.hosts ?? []).entries()) {
    if (host.policy) report([cluster, {pointer: `/hosts/${index}/policy`, section: host.policy}], unvalidatedPolicyParams({policy: params.policy}, hostPolicyConfig(section, host.policy)))
  }
  return problems
}

/** Every problem of a parsed configuration value, in file order. */
export function configProblems(value: unknown): ConfigProblem[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [{pointer: '', line: 'expected a configuration (a JSON object)'}]
  }
  const schema = schemaErrorList(ConfigFile, value, {unknownKey})
  if (schema.length > 0) return schema
  return [...hostProblems((value as ConfigFile).hosts ?? []), ...migrationProblems(value as ConfigFile), ...policyProblems(value as ConfigFile), ...rulesProblems((value as ConfigFile).rules), ...sensingProblems((value as ConfigFile).sensing, ((value as ConfigFile).hosts?.length ?? 0) > 0)]
}

/** `FILE:LINE: problem` lines for a configuration text (JSON or YAML, by `file`'s extension); empty when it is valid. */
export function checkConfigText(text: string, file: string): string[] {
  const read = readConfigText(text, file)
  if ('problems' in read) return read.problems
  return configProblems(read.value)
    .map((problem) => ({...problem, lineNumber: read.lineOf(problem.pointer)}))
    .sort((a, b) => a.lineNumber - b.lineNumber)
    .map((problem) => `${file}:${problem.lineNumber}: ${problem.line}`)
}

const mode = (value: number) => `mode 0${(value & 0o7777).toString(8)}`

/**
 * Why the file cannot be trusted, as ssh refuses a key others can write: the configuration decides
 * which hosts Sova reaches and what it runs there, as root. Refused when the file is writable by
 * group or others or owned by someone else than this user or root, or when a directory it sits in
 * is writable by group or others without the sticky bit (then anyone can replace the file).
 */
export function permissionProblems(path: string, uid = process.getuid?.() ?? 0): string[] {
  let real: string
  try {
    real = realpathSync(path)
  } catch {
    return [] // unreadable: the reader says so
  }
  const problems: string[] = []
  const file = statSync(real)
  if ((file.mode & 0o022) !== 0) problems.push(`${path}: writable by group or others (${mode(file.mode)}): whoever can write it decides what Sova does on your hosts; chmod go-w ${path}`)
  if (file.uid !== uid && file.uid !== 0) problems.push(`${path}: owned by uid ${file.uid}, neither you (uid ${uid}) nor root; chown it or use your own copy`)
  for (const dir of new Set([dirname(resolve(path)), dirname(real)])) {
    const stat = statSync(dir)
    if ((stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0) {
      problems.push(`${path}: its directory ${dir} is writable by group or others (${mode(stat.mode)}, not sticky): whoever can write there can replace the file; chmod go-w ${dir}`)
    }
  }
  return problems
}
