import type { Db } from './sql.js'
import type { ConsentStore } from './store.js'

// PLACEHOLDER: replaced by the store helper (every method throws until then).
const missing = (): never => {
  throw new Error('ConsentStore is not implemented yet')
}

/** The consents part of the store, over either engine. */
export function consentsStore(_db: Db): ConsentStore {
  return new Proxy({} as ConsentStore, { get: () => missing })
}
