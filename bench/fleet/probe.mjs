// The reference queries: instant PromQL queries over the metrics the Prometheus source reads
// (PROM-CONTRACT.md), sent by the bench itself at the samples' moment (time=). They check that the
// backfilled fleet is there as a scraped one would be (every VM, rates over the window), and time
// Prometheus alone, apart from whatever Sova does around its queries.

/** query -> how many series it must return for `hosts` hosts of `vms` VMs with `held` VFs held each. */
export function referenceQueries(hosts, vms, held, windowSeconds) {
  const w = `[${windowSeconds}s]`
  const pv = hosts * (vms - held)
  return [
    [`rate(node_network_receive_bytes_total{device!="lo"}${w})`, hosts],
    [`node_network_speed_bytes`, hosts],
    [`count by (instance) (node_cpu_seconds_total{mode="idle"})`, hosts],
    [`node_memory_MemAvailable_bytes`, hosts],
    [`up`, 2 * hosts],
    [`rate(libvirt_domain_info_cpu_time_seconds_total${w})`, hosts * vms],
    [`libvirt_domain_info_memory_usage_bytes`, hosts * vms],
    [`rate(libvirt_domain_interface_stats_transmit_bytes_total${w})`, pv],
    [`rate(sova_port_transmit_bytes_total${w})`, hosts],
    [`sova_vf_info`, hosts * 8],
    [`sova_domain_info`, hosts * vms],
    [`rate(sova_domain_cpu_blocked_seconds_total${w})`, hosts * vms],
    [`rate(sova_domain_receive_bytes_total${w})`, hosts * vms],
    [`time() - sova_textfile_timestamp_seconds`, hosts],
  ]
}

/** Runs each reference query once at `time` (Unix seconds); returns the total seconds and the queries whose series count was not the expected one. */
export async function probe(url, queries, time) {
  let seconds = 0
  const wrong = []
  for (const [query, expected] of queries) {
    const started = performance.now()
    const response = await fetch(`${url}/api/v1/query`, {method: 'POST', body: new URLSearchParams({query, time: String(time)})})
    const body = await response.json()
    seconds += (performance.now() - started) / 1000
    const got = body.status === 'success' ? body.data.result.length : `${body.errorType}: ${body.error}`
    if (got !== expected) wrong.push(`${query}: ${got} series, expected ${expected}`)
  }
  return {seconds, wrong}
}
