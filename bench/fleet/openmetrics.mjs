// The fleet's metrics as the exporters name them, in the OpenMetrics text format with a timestamp
// on every sample, for `promtool tsdb create-blocks-from openmetrics`: node_exporter's (job
// "node", instance HOST:9100), prometheus-libvirt-exporter 0.2.0's (kumina names and labels, job
// "libvirt", instance HOST:9177), and the sova_* metrics `sova export --textfile` writes, read
// through node_exporter's textfile collector (PROM-CONTRACT.md). Each family is written whole
// (OpenMetrics groups a family's samples), each series' samples in time order. Counters grow at
// the model's rates with a little jitter per instant, so rates are the model's, never zero.
import {createWriteStream} from 'node:fs'
import {once} from 'node:events'
import {
  CPUS_PER_HOST, HOST_MEMORY_BYTES, hostName, LIBVIRT_PORT, NODE_PORT, PORT_DEVICE, PORT_DRIVER, PORT_SPEED_BYTES,
  vfAddress, VFS_HELD, VFS_PER_HOST, vmName, vmUuid,
} from './model.mjs'

const FLUSH_BYTES = 4 << 20

/** Writes strings to a file in large chunks, waiting when the stream says so. */
function chunkedWriter(path) {
  const stream = createWriteStream(path)
  let parts = []
  let size = 0
  let bytes = 0
  return {
    async push(text) {
      parts.push(text)
      size += text.length
      if (size >= FLUSH_BYTES) await this.flush()
    },
    async flush() {
      if (parts.length === 0) return
      const chunk = parts.join('')
      bytes += Buffer.byteLength(chunk)
      parts = []
      size = 0
      if (!stream.write(chunk)) await once(stream, 'drain')
    },
    async close() {
      await this.flush()
      stream.end()
      await once(stream, 'finish')
      return bytes
    },
  }
}

/**
 * Writes the samples of hosts [from, to) of the fleet at `instants` (Unix seconds, ascending) to
 * `path`; returns the file's size in bytes and its number of series.
 */
export async function writeOpenMetrics(path, fleet, instants, from = 0, to = fleet.hosts) {
  const out = chunkedWriter(path)
  const {vmsPerHost, vm, host} = fleet
  const t0 = instants[0]
  const stamps = instants.map((t) => t.toFixed(3))
  // Seconds a counter has advanced by instant k, jittered per series (still strictly increasing).
  const step = instants.length > 1 ? instants[1] - instants[0] : 1
  const elapsed = (series, k) => instants[k] - t0 + 0.1 * step * Math.sin(series * 0.7 + k * 1.7)
  let seriesCount = 0

  async function family(name, type, help, emit) {
    await out.push(`# TYPE ${name} ${type}\n# HELP ${name} ${help}\n`)
    const sample = type === 'counter' ? `${name}_total` : name
    for (let h = from; h < to; h++) {
      let text = ''
      emit(h, (labels, valueAt) => {
        seriesCount++
        for (let k = 0; k < instants.length; k++) text += `${sample}{${labels}} ${valueAt(k)} ${stamps[k]}\n`
      })
      await out.push(text)
    }
  }
  const node = (h) => `instance="${hostName(h)}:${NODE_PORT}",job="node"`
  const libvirt = (h) => `instance="${hostName(h)}:${LIBVIRT_PORT}",job="libvirt"`
  const each = (h, body) => {
    for (let j = 0; j < vmsPerHost; j++) body(h * vmsPerHost + j, j)
  }
  const counter = (series, base, rate) => (k) => (base + rate * elapsed(series, k)).toFixed(0)
  const fixed = (value) => () => String(value)
  const seconds = (series, base, rate) => (k) => (base + rate * elapsed(series, k)).toFixed(3)
  const sum = (h, values, from = 0) => {
    let total = 0
    for (let j = from; j < vmsPerHost; j++) total += values[h * vmsPerHost + j]
    return total
  }
  const memoryUsed = (h) => sum(h, vm.memory)
  const held = (j) => j < VFS_HELD && j < VFS_PER_HOST

  // --- node_exporter: the PF's own counters see the PV VMs' traffic only (VFs bypass it) ---
  for (const [dir, values] of [['receive', vm.rx], ['transmit', vm.tx]]) {
    await family(`node_network_${dir}_bytes`, 'counter', `Network device statistic ${dir}_bytes.`, (h, series) => {
      series(`device="lo",${node(h)}`, counter(h * 2, host.base[h] / 1e3, 2e4))
      series(`device="${PORT_DEVICE}",${node(h)}`, counter(h * 2 + 1, host.base[h], sum(h, values, VFS_HELD) + 5e4))
    })
  }
  await family('node_network_speed_bytes', 'gauge', 'Network device property: speed_bytes', (h, series) => series(`device="${PORT_DEVICE}",${node(h)}`, fixed(PORT_SPEED_BYTES)))
  await family('node_memory_MemTotal_bytes', 'gauge', 'Memory information field MemTotal_bytes.', (h, series) => series(node(h), fixed(HOST_MEMORY_BYTES)))
  await family('node_memory_MemAvailable_bytes', 'gauge', 'Memory information field MemAvailable_bytes.', (h, series) =>
    series(node(h), fixed(Math.max(0, HOST_MEMORY_BYTES - 4 * 2 ** 30 - memoryUsed(h)))),
  )
  await family('node_cpu_seconds', 'counter', 'Seconds the CPUs spent in each mode.', (h, series) => {
    for (let cpu = 0; cpu < CPUS_PER_HOST; cpu++) series(`cpu="${cpu}",${node(h)},mode="idle"`, seconds(h * CPUS_PER_HOST + cpu, host.idleBase[h], 0.5))
  })
  await family('up', 'gauge', 'Whether the target was scraped (written here, as Prometheus records it).', (h, series) => {
    series(node(h), fixed(1))
    series(libvirt(h), fixed(1))
  })

  // --- prometheus-libvirt-exporter 0.2.0: it skips hostdev NICs, so VMs on a VF have no interface stats ---
  const domain = (h, j) => `domain="${vmName(h, j)}"`
  await family('libvirt_domain_info_cpu_time_seconds', 'counter', 'Amount of CPU time used by the domain, in seconds.', (h, series) =>
    each(h, (i, j) => series(`${domain(h, j)},${libvirt(h)}`, seconds(i, vm.base[i] / 1e3, vm.cpu[i]))),
  )
  await family('libvirt_domain_info_virtual_cpus', 'gauge', 'Number of virtual CPUs for the domain.', (h, series) => each(h, (i, j) => series(`${domain(h, j)},${libvirt(h)}`, fixed(vm.vcpus[i]))))
  for (const [name, help] of [['memory_usage_bytes', 'Memory usage of the domain, in bytes.'], ['maximum_memory_bytes', 'Maximum allowed memory of the domain, in bytes.']]) {
    await family(`libvirt_domain_info_${name}`, 'gauge', help, (h, series) => each(h, (i, j) => series(`${domain(h, j)},${libvirt(h)}`, fixed(vm.memory[i]))))
  }
  for (const [dir, values] of [['receive', vm.rx], ['transmit', vm.tx]]) {
    await family(`libvirt_domain_interface_stats_${dir}_bytes`, 'counter', `Number of bytes ${dir === 'receive' ? 'received' : 'transmitted'} on a network interface, in bytes.`, (h, series) =>
      each(h, (i, j) => {
        if (!held(j)) series(`${domain(h, j)},${libvirt(h)},source_bridge="br0",target_device="vnet${j}"`, counter(i, vm.base[i], values[i]))
      }),
    )
  }

  // --- sova export --textfile, through node_exporter's textfile collector (PROM-CONTRACT.md) ---
  const uuid = (h, j) => `uuid="${vmUuid(h, j)}"`
  await family('sova_textfile_timestamp_seconds', 'gauge', 'When this file was written.', (h, series) => series(node(h), (k) => (instants[k] - 5).toFixed(3)))
  await family('sova_port_info', 'gauge', 'The port and the basis of its counters.', (h, series) =>
    series(`basis="port-counters",device="${PORT_DEVICE}",driver="${PORT_DRIVER}",${node(h)}`, fixed(1)),
  )
  for (const [dir, values] of [['receive', vm.rx], ['transmit', vm.tx]]) {
    await family(`sova_port_${dir}_bytes`, 'counter', `The whole port's ${dir}d bytes.`, (h, series) =>
      series(`device="${PORT_DEVICE}",${node(h)}`, counter(h, host.base[h] * 3, sum(h, values) + 5e4)),
    )
  }
  await family('sova_port_speed_bytes', 'gauge', 'Link speed in bytes/s.', (h, series) => series(`device="${PORT_DEVICE}",${node(h)}`, fixed(PORT_SPEED_BYTES)))
  await family('sova_vf_info', 'gauge', 'A VF of the pool and the domain holding it.', (h, series) => {
    for (let fn = 0; fn < VFS_PER_HOST; fn++) {
      const j = fn < VFS_HELD && fn < vmsPerHost ? fn : -1
      const holder = j >= 0 ? `domain="${vmName(h, j)}",${node(h)},pf="${PORT_DEVICE}",${uuid(h, j)}` : `domain="",${node(h)},pf="${PORT_DEVICE}",uuid=""`
      series(`${holder},vf="${vfAddress(fn)}"`, fixed(1))
    }
  })
  for (const [dir, values] of [['receive', vm.rx], ['transmit', vm.tx]]) {
    await family(`sova_vf_${dir}_bytes`, 'counter', `The VF's own ${dir}d bytes.`, (h, series) =>
      each(h, (i, j) => {
        if (held(j)) series(`${node(h)},pf="${PORT_DEVICE}",vf="${vfAddress(j)}"`, counter(i, vm.base[i], values[i]))
      }),
    )
  }
  await family('sova_domain_info', 'gauge', 'A domain Sova manages, its path and VF.', (h, series) =>
    each(h, (i, j) => series(`${domain(h, j)},${node(h)},path="${held(j) ? 'vf' : 'pv'}",${uuid(h, j)},vf="${held(j) ? vfAddress(j) : ''}"`, fixed(1))),
  )
  await family('sova_domain_cpu_blocked_seconds', 'counter', 'Blocked (I/O wait) time of the domain.', (h, series) =>
    each(h, (i, j) => series(`${domain(h, j)},${node(h)},${uuid(h, j)}`, seconds(i, vm.base[i] / 1e4, vm.blocked[i]))),
  )
  for (const [dir, values] of [['receive', vm.rx], ['transmit', vm.tx]]) {
    await family(`sova_domain_${dir}_bytes`, 'counter', `The domain's ${dir}d bytes (PV and VF).`, (h, series) =>
      each(h, (i, j) => series(`basis="${held(j) ? 'vf' : 'pv'}",${domain(h, j)},${node(h)},${uuid(h, j)}`, counter(i, vm.base[i], values[i]))),
    )
  }
  await family('sova_domain_cpu_seconds', 'counter', 'CPU time used by the domain.', (h, series) =>
    each(h, (i, j) => series(`${domain(h, j)},${node(h)},${uuid(h, j)}`, seconds(i, vm.base[i] / 1e3, vm.cpu[i]))),
  )
  await family('sova_domain_virtual_cpus', 'gauge', 'Virtual CPUs of the domain.', (h, series) => each(h, (i, j) => series(`${domain(h, j)},${node(h)},${uuid(h, j)}`, fixed(vm.vcpus[i]))))
  await family('sova_domain_memory_bytes', 'gauge', 'Memory of the domain.', (h, series) => each(h, (i, j) => series(`${domain(h, j)},${node(h)},${uuid(h, j)}`, fixed(vm.memory[i]))))

  await out.push('# EOF\n')
  return {bytes: await out.close(), series: seriesCount}
}
