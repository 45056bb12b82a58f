// The document's shape check, compiled: TypeBox's TypeCompiler turns the schema into one function
// that checks a 1,000-host document about ten times faster than the interpreted Check. Compiling
// costs 9-19 ms at start, so the build precompiles it (scripts/build.mjs replaces this module in
// dist/ with the generated code); run from the sources (tests, tsx), it compiles once, on first use.
// Only whether a document is valid comes from here: the one-line error of an invalid one still
// comes from the interpreted Errors (schema-errors.ts), on failure only.
import {TypeCompiler} from '@sinclair/typebox/compiler'
import {SovaDocument} from './schema.js'

let compiled: ((value: unknown) => boolean) | undefined

/** Whether `value` has the document's shape (schema.ts): the same answer as Value.Check(SovaDocument, value). */
export function isDocumentShape(value: unknown): boolean {
  compiled ??= ((check) => (value: unknown) => check.Check(value))(TypeCompiler.Compile(SovaDocument))
  return compiled(value)
}
