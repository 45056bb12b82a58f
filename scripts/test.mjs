// Runs every test file under test/ with node's test runner (TypeScript through tsx).
// Node 20's --test does not expand globs, so the files are listed here.
import {spawnSync} from 'node:child_process'
import {lstatSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

function testFiles(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name)
    // Fixtures hold fake trees (dangling symlinks included), never tests.
    if (name === 'fixtures') return []
    if (lstatSync(path).isDirectory()) return testFiles(path)
    return name.endsWith('.test.ts') ? [path] : []
  })
}

const only = process.argv.slice(2)
const files = only.length > 0 ? only : testFiles('test')
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {stdio: 'inherit'})
process.exit(result.status ?? 1)
