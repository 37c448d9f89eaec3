import type { Db } from './sql.js'
import type { BrowserSessionStore } from './store.js'

// PLACEHOLDER: replaced by the store helper (every method throws until then).
const missing = (): never => {
  throw new Error('BrowserSessionStore is not implemented yet')
}

/** The browser-sessions part of the store, over either engine. */
export function browserSessionsStore(_db: Db): BrowserSessionStore {
  return new Proxy({} as BrowserSessionStore, { get: () => missing })
}
