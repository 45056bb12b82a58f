// `sova agent --check`: reads the guest's bonds (all of /proc/net/bonding, or one) and each
// slave's driver, then judges them with the pure readiness checks.
import {parseBonding} from './bonding.js'
import {listBonds, readBondingText, readSlaveDriver, underRoot} from './guest-files.js'
import {type ReadinessCheck, checkBondReadiness, missingBondCheck} from './readiness.js'

/** The readiness rows of one named bond, or of every bond when none is named. */
export async function checkBonds(root: string, only?: string): Promise<ReadinessCheck[]> {
  const procDir = underRoot(root, '/proc/net/bonding')
  const bonds = only === undefined ? await listBonds(root) : [only]
  if (bonds === undefined) return [missingBondCheck('-', `no ${procDir}: the bonding driver is not loaded`)]
  if (bonds.length === 0) return [missingBondCheck('-', `${procDir} lists no bond`)]
  const rows = await Promise.all(
    bonds.map(async (bond) => {
      const text = await readBondingText(root, bond)
      if (text === undefined) return [missingBondCheck(bond, `no ${procDir}/${bond}`)]
      const status = parseBonding(text)
      const names = status.slaves.map((slave) => slave.name)
      const drivers = await Promise.all(names.map((name) => readSlaveDriver(root, name)))
      return checkBondReadiness(bond, status, Object.fromEntries(names.map((name, i) => [name, drivers[i]])))
    }),
  )
  return rows.flat()
}
