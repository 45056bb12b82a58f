// Preloaded into the measured sova process (node --import): at exit it writes its own peak
// resident memory and CPU times to $FLEET_USAGE_FILE, so the bench reports the sova process alone.
import {writeFileSync} from 'node:fs'

const file = process.env.FLEET_USAGE_FILE
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage()
    writeFileSync(file, JSON.stringify({maxRssKiB: usage.maxRSS, userSeconds: usage.userCPUTime / 1e6, systemSeconds: usage.systemCPUTime / 1e6}))
  })
}
