// SIGINT/SIGTERM mean "finish the current action, then stop"; a second signal stops at once.
let stopping = false
let installed = false

/** Starts listening; loops then ask stopRequested() between steps. */
export function stopGracefully(onFirst: () => void): void {
  if (installed) return
  installed = true
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(signal === 'SIGINT' ? 130 : 143)
    stopping = true
    onFirst()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
}

export function stopRequested(): boolean {
  return stopping
}

/** Sleeps, waking early when a stop is requested. */
export async function pause(seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000
  while (!stopping && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, until - Date.now())))
  }
}
