#!/usr/bin/env node
// Entry point. Commands run from dist/sova.cjs, compiled with the build's code cache (load-bundle.js);
// what needs the completion plugin (help, autocomplete, a mistyped command) runs from dist/cli.js,
// the same code as ES modules, which can import the plugin. Both are built by `npm run build`.
// CommonJS (bin/package.json): Node starts a CommonJS entry without setting up its ES-module loader,
// which only the fallback needs.
'use strict'
const {pathToFileURL} = require('node:url')
const {loadBundle} = require('./load-bundle.js')

const root = pathToFileURL(__filename).href
const {exports: bundle} = loadBundle()
bundle.run(root, {fromBundle: true}).then(async (outcome) => {
  if (outcome !== 'needs-plugins') return
  const {run} = await import('../dist/cli.js')
  await run(root)
})
