#!/usr/bin/env node
// Entry point. Commands run from dist/sova.cjs, compiled with the build's code cache (load-bundle.js);
// what needs the completion plugin (help, autocomplete, a mistyped command) runs from dist/cli.js,
// the same code as ES modules, which can import the plugin. Both are built by `npm run build`.
import {loadBundle} from './load-bundle.js'

const {exports: bundle} = loadBundle()
if ((await bundle.run(import.meta.url, {fromBundle: true})) === 'needs-plugins') {
  const {run} = await import('../dist/cli.js')
  await run(import.meta.url)
}
