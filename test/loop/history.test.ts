import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {SampleHistory, seriesOf} from '../../src/lib/loop/history.js'
import type {StoredSample} from '../../src/lib/store/store.js'
import {doc, loadedHost} from '../helpers/build.js'

const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString()

/** A document of `cluster` at second `s`, one host per entry of `load` at that utilisation. */
function sample(cluster: string, s: number, load: Record<string, number>): SovaDocument {
  return doc(
    Object.entries(load).map(([name, utilisation]) => loadedHost(name, utilisation)),
    {at: at(s), source: {backend: 'sim', cluster, windowSeconds: 10}},
  )
}

/** A store stand-in holding samples of several clusters, answering as Store.samplesBefore does. */
function fakeStore(samples: {cluster: string; s: number; load: Record<string, number>}[]) {
  const calls: [string, string, number][] = []
  const stored = (sample: {s: number; load: Record<string, number>}) => ({at: at(sample.s), raw: '{}', utilisation: sample.load})
  return {
    calls,
    samplesSince(cluster: string, sinceAt: string, beforeAt: string): StoredSample[] {
      const inRange = (s: number) => Date.parse(at(s)) >= Date.parse(sinceAt) && Date.parse(at(s)) < Date.parse(beforeAt)
      return samples.filter((sample) => sample.cluster === cluster && inRange(sample.s)).sort((a, b) => a.s - b.s).map(stored)
    },
    samplesBefore(cluster: string, beforeAt: string, limit: number): StoredSample[] {
      calls.push([cluster, beforeAt, limit])
      return samples
        .filter((sample) => sample.cluster === cluster && Date.parse(at(sample.s)) < Date.parse(beforeAt))
        .sort((a, b) => a.s - b.s)
        .slice(-limit)
        .map((sample) => ({at: at(sample.s), raw: '{}', utilisation: sample.load}))
    },
  }
}

const series = (history: SampleHistory, document: SovaDocument, length: number) =>
  Object.fromEntries(seriesOf(history.window(document, length), document, 'sum'))

describe('SampleHistory', () => {
  it('from the stream only when there is no store', () => {
    const history = new SampleHistory(undefined)
    const got = [0.1, 0.2, 0.3, 0.4, 0.5].map((u, i) => series(history, sample('lab', i * 10, {h1: u, h2: 1 - u}), 3))
    assert.deepEqual(got, [
      {h1: [0.1], h2: [0.9]},
      {h1: [0.1, 0.2], h2: [0.9, 0.8]},
      {h1: [0.1, 0.2, 0.3], h2: [0.9, 0.8, 0.7]},
      {h1: [0.2, 0.3, 0.4], h2: [0.8, 0.7, 0.6]},
      {h1: [0.3, 0.4, 0.5], h2: [0.7, 0.6, 0.5]},
    ])
  })

  it('from the store, before the oldest stream entry, when the stream is short', () => {
    const store = fakeStore([
      {cluster: 'lab', s: 0, load: {h1: 0.1}},
      {cluster: 'lab', s: 10, load: {h1: 0.2}},
      {cluster: 'lab', s: 20, load: {h1: 0.3}},
      {cluster: 'lab', s: 30, load: {h1: 0.4}},
      // The stream's own samples are in the store too (collect stored them): never counted twice.
      {cluster: 'lab', s: 40, load: {h1: 0.5}},
      {cluster: 'lab', s: 50, load: {h1: 0.6}},
    ])
    const history = new SampleHistory(store)
    // First document of the stream: 4 missing, fetched before its own time.
    assert.deepEqual(series(history, sample('lab', 40, {h1: 0.5}), 5), {h1: [0.1, 0.2, 0.3, 0.4, 0.5]})
    assert.deepEqual(store.calls, [['lab', at(40), 4]])
    // Second: one from the stream (s 40), 3 from the store before s 40.
    assert.deepEqual(series(history, sample('lab', 50, {h1: 0.6}), 5), {h1: [0.2, 0.3, 0.4, 0.5, 0.6]})
    assert.deepEqual(store.calls[1], ['lab', at(40), 3])
  })

  it('does not ask the store when the stream fills the window', () => {
    const store = fakeStore([{cluster: 'lab', s: 0, load: {h1: 0.9}}])
    const history = new SampleHistory(store)
    series(history, sample('lab', 10, {h1: 0.1}), 2)
    assert.deepEqual(series(history, sample('lab', 20, {h1: 0.2}), 2), {h1: [0.1, 0.2]})
    assert.deepEqual(store.calls, [['lab', at(10), 1]])
  })

  it('a short store gives a short series', () => {
    const history = new SampleHistory(fakeStore([{cluster: 'lab', s: 0, load: {h1: 0.1}}]))
    assert.deepEqual(series(history, sample('lab', 10, {h1: 0.2}), 5), {h1: [0.1, 0.2]})
  })

  it('never mixes clusters, in the stream or the store', () => {
    const store = fakeStore([
      {cluster: 'east', s: 0, load: {h1: 0.11}},
      {cluster: 'west', s: 5, load: {h1: 0.99}},
    ])
    const history = new SampleHistory(store)
    assert.deepEqual(series(history, sample('east', 10, {h1: 0.12}), 4), {h1: [0.11, 0.12]})
    assert.deepEqual(series(history, sample('west', 15, {h1: 0.98}), 4), {h1: [0.99, 0.98]})
    assert.deepEqual(series(history, sample('east', 20, {h1: 0.13}), 4), {h1: [0.11, 0.12, 0.13]})
    assert.deepEqual(series(history, sample('west', 25, {h1: 0.97}), 4), {h1: [0.99, 0.98, 0.97]})
    assert.deepEqual(store.calls, [
      ['east', at(10), 3],
      ['west', at(15), 3],
      ['east', at(10), 2],
      ['west', at(15), 2],
    ])
  })

  it('the series ends with the current document, even when an earlier one of the stream is newer', () => {
    const history = new SampleHistory(undefined)
    series(history, sample('lab', 10, {h1: 0.1}), 5)
    series(history, sample('lab', 30, {h1: 0.3}), 5)
    // A document out of order (s 20): the later stream entry (s 30) is not its past.
    assert.deepEqual(series(history, sample('lab', 20, {h1: 0.2}), 5), {h1: [0.1, 0.2]})
  })

  it('a host missing from earlier samples has a shorter series', () => {
    const history = new SampleHistory(undefined)
    series(history, sample('lab', 10, {h1: 0.1}), 5)
    assert.deepEqual(series(history, sample('lab', 20, {h1: 0.2, h2: 0.7}), 5), {h1: [0.1, 0.2], h2: [0.7]})
  })

  it('length 1 is the current sample alone', () => {
    const history = new SampleHistory(undefined)
    series(history, sample('lab', 10, {h1: 0.1}), 1)
    assert.deepEqual(series(history, sample('lab', 20, {h1: 0.2}), 1), {h1: [0.2]})
  })

  it('a span in time: every sample of the last span seconds and the one before, however long the cycles were', () => {
    // Cycles of irregular length (a migration makes one long): 0, 10, 45, 55, 65.
    const history = new SampleHistory(undefined)
    for (const s of [0, 10, 45, 55]) history.window(sample('lab', s, {h1: s / 100}), 2, 30)
    const times = history.window(sample('lab', 65, {h1: 0.65}), 2, 30).map((entry) => entry.at)
    // 65 - 30 = 35: 45, 55 and 65 are in the span, 10 is the one before it; 0 is not needed.
    assert.deepEqual(times, [10, 45, 55, 65].map((s) => Date.parse(at(s))))
  })

  it('a span the stream does not cover comes from the store, with the sample before it', () => {
    const store = fakeStore([0, 10, 20, 30, 40].map((s) => ({cluster: 'lab', s, load: {h1: s / 100}})))
    const history = new SampleHistory(store)
    const got = history.window(sample('lab', 50, {h1: 0.5}), 2, 25).map((entry) => entry.utilisation.h1)
    // 50 - 25 = 25: 30 and 40 in the span, 20 before it.
    assert.deepEqual(got, [0.2, 0.3, 0.4, 0.5])
  })
})
