// Why a VM has its path under the seed's host level: its tier from the I/O-ratio and net-score
// ranking against the 2/3-of-2/3 cut-offs. Pure.
import {SEED_MIN_RANKED_GUESTS, seedTierCounts} from '../policy/seed-scores.js'
import {failure, type PathExplanation, type PathFacts, takesEffect, verb} from './path-facts.js'
import type {Threshold} from './thresholds.js'

/** The seed's tier cut-offs on a host of `guests` ranked guests. */
function tierCutOffs(guests: number): Threshold[] {
  const counts = seedTierCounts(guests)
  const rule = "the seed's 2/3-of-2/3 rule"
  if (guests < SEED_MIN_RANKED_GUESTS) {
    return [{what: 'every guest is list1 on a host of fewer than', flag: '', value: SEED_MIN_RANKED_GUESTS, unit: 'guests', source: rule}]
  }
  return [
    {what: `list2 (by I/O ratio, of ${guests} guests):`, flag: '', value: counts.list2, unit: 'rank', source: rule},
    {what: `list1, the VF holders (by net score, of list2's ${counts.list2}):`, flag: '', value: counts.list1, unit: 'rank', source: rule},
  ]
}

/** Why the VM has its path under seed or dsriov: its tier and the cut-offs. */
export function explainSeed(facts: PathFacts): PathExplanation {
  const {view, vm, host, vf, score, attach, detach} = facts
  if (!score?.tier) return {decidedBy: 'no tier in the document', text: 'The document has no tier for it (run sova score --policy seed).', short: 'no figures', thresholds: []}
  const tier = score.tier
  const decidedBy = score.reason.startsWith(tier) ? score.reason : `${tier}: ${score.reason}`
  const ranked = view.doc.hosts.find((candidate) => candidate.name === score.host)?.vms.filter((guest) => view.vmScore(guest.name)).length ?? 0
  const thresholds = tierCutOffs(ranked)
  let text: string
  let short: string
  if (facts.arrived) {
    text = `Arrived this cycle${vf ? ` with VF ${vf}` : ''}: the seed ranks an arrival on its new host from the next cycle (rule 4).`
    short = 'arrived: ranked next cycle'
  } else if (vf && attach && takesEffect(attach)) {
    text = `${verb(attach, 'Took', 'Would take')} free VF ${attach.vf}: ${tier} without a VF takes the lowest free one.`
    short = 'list1: took a free VF'
  } else if (vf) {
    text = tier === 'list1' ? `Keeps VF ${vf}: list1 holds VFs.` : `Keeps VF ${vf}${detach ? ` (${failure(detach)})` : ''}.`
    short = `${tier}: keeps VF`
  } else if (detach && takesEffect(detach)) {
    text = `${verb(detach, 'Lost', 'Would lose')} VF ${detach.vf}: ${tier} is not list1, so its VF returns to the pool.`
    short = `${tier}: VF returned`
  } else if (tier === 'list1') {
    const about = view.rejectedVfAbout(vm)
    text = `Stays on PV although list1: ${about.length > 0 ? about.join('; ') : (attach ? failure(attach) : `no VF free on ${host}`)}.`
    short = 'list1 but no free VF'
  } else {
    text = `Stays on PV: ${tier} is not list1; only list1 holds VFs.`
    short = `${tier}: PV`
  }
  return {decidedBy, text, short, thresholds}
}
