// The failure of `sova check`: exit 1 like every check command, with a remedy that fits it.
import {CheckFailedError} from '../errors.js'

/** Some safety invariant is broken; the records on stdout say which and where. */
export class InvariantsViolatedError extends CheckFailedError {
  override readonly remedy = 'see the records on stdout; an unfinished action is settled by the next acting run'

  constructor(count: number) {
    super(`${count} violation${count === 1 ? '' : 's'} of the safety invariants`)
  }
}
