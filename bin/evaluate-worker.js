// A worker thread of `sova evaluate --jobs`: one policy's run (src/lib/evaluate/workers.ts), from the
// same compiled bundle as bin/run.js.
// CommonJS (bin/package.json), as bin/run.js.
'use strict'
const {loadBundle} = require('./load-bundle.js')

loadBundle().exports.runPolicyInWorker()
