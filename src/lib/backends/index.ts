// Picks the backend by name; the rest of the program only sees the Backend interface.
import type {Store} from '../store/store.js'
import type {Backend} from './types.js'

export type BackendName = 'sim'

/** Opens a backend. Loaded lazily so commands that don't act pay nothing for it. */
export async function openBackend(name: BackendName, store: Store): Promise<Backend> {
  switch (name) {
    case 'sim': {
      const {SimBackend} = await import('./sim/backend.js')
      return new SimBackend(store)
    }
  }
}
