import type { Db } from './sql.js'
import type { AuthorizationCodeStore } from './store.js'

// PLACEHOLDER: replaced by the store helper (every method throws until then).
const missing = (): never => {
  throw new Error('AuthorizationCodeStore is not implemented yet')
}

/** The authorization-codes part of the store, over either engine. */
export function authorizationCodesStore(_db: Db): AuthorizationCodeStore {
  return new Proxy({} as AuthorizationCodeStore, { get: () => missing })
}
