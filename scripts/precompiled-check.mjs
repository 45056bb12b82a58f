// esbuild plugin: replaces src/lib/document/document-check.ts in the bundle with the document
// checker TypeBox's TypeCompiler generates from schema.ts at build time, so no command pays the
// compile at start. The generated function is the one TypeCompiler.Compile would build at run time.
import {build} from 'esbuild'
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

/** The schema module, bundled to plain JavaScript and imported here (in a temporary directory of the project, so its packages resolve). */
async function loadSchema(root) {
  const dir = mkdtempSync(join(root, '.build-schema-'))
  try {
    const outfile = join(dir, 'schema.mjs')
    await build({entryPoints: [join(root, 'src/lib/document/schema.ts')], outfile, bundle: true, format: 'esm', platform: 'node', packages: 'external', logLevel: 'warning'})
    return await import(pathToFileURL(outfile).href)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

export function precompiledDocumentCheck(root) {
  return {
    name: 'sova-precompiled-document-check',
    setup(plugin) {
      plugin.onLoad({filter: /[\\/]src[\\/]lib[\\/]document[\\/]document-check\.ts$/}, async () => {
        const [{SovaDocument}, {TypeCompiler}] = await Promise.all([loadSchema(root), import('@sinclair/typebox/compiler')])
        const code = TypeCompiler.Code(SovaDocument, [], {language: 'javascript'})
        // The generated code calls kind() for custom types, format() for string formats and hash() for
        // unique items; the document uses only formats: formats.ts, the functions schema.ts gives
        // TypeBox's registry, so that the check loads no TypeBox.
        const contents = [
          "import {FORMATS} from './formats.js'",
          'const kind = () => false',
          'const format = (name, value) => Object.hasOwn(FORMATS, name) && FORMATS[name](value)',
          "const hash = () => { throw new Error('document-check: unique-items hashing is not precompiled') }",
          `const check = (function (kind, format, hash) {\n${code}\n})(kind, format, hash)`,
          'export function isDocumentShape(value) { return check(value) }',
        ].join('\n')
        if (/\bkind\(|\bhash\(/.test(code)) throw new Error('document-check: the schema now needs custom kinds or hashing: precompile them too')
        return {contents, loader: 'js'}
      })
    },
  }
}
