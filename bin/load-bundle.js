// Loads dist/sova.cjs (src/cli-bundle.ts) as Node loads a CommonJS module, but compiled through
// vm.Script with the code cache the build made for this Node (dist/sova.cjs.cache): V8 then
// deserialises the functions a stage runs instead of parsing and compiling them. A cache from
// another Node or V8 is rejected by V8 itself, and the bundle compiles as usual.
// CommonJS (bin/package.json), as bin/run.js: Node starts a CommonJS entry without its ES-module loader.
'use strict'
const {readFileSync} = require('node:fs')
const {createRequire} = require('node:module')
const {dirname, join} = require('node:path')
const vm = require('node:vm')

const BUNDLE = join(__dirname, '..', 'dist', 'sova.cjs')
const CODE_CACHE = `${BUNDLE}.cache`

/** The bundle's exports, and the script they came from (whose code the build asks V8 for). */
function loadBundle({useCache = true} = {}) {
  const source = readFileSync(BUNDLE, 'utf8')
  let cachedData
  if (useCache) {
    try {
      cachedData = readFileSync(CODE_CACHE)
    } catch {
      // No cache (a build that could not make one): compile.
    }
  }
  // The wrapper Node puts around every CommonJS module.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {filename: BUNDLE, cachedData})
  const module = {exports: {}}
  script.runInThisContext()(module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE))
  return {exports: module.exports, script}
}

module.exports = {BUNDLE, CODE_CACHE, loadBundle}
