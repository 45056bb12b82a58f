#!/usr/bin/env node
// Entry point: the bundled oclif runtime (dist/, built by `npm run build`, run by `npm ci`).
import {run} from '../dist/cli.js'

await run(import.meta.url)
