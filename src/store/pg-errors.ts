import { StoreUnavailableError, UniqueViolationError } from './store.js'

// SQLSTATE classes that mean "try again": serialization failure, deadlock, connection
// exceptions (08xxx), and the server shutting down or starting (57P01-57P03).
const transientStates = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '53300'])
const transientNodeCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
])

interface PgError {
  code?: string
  constraint?: string
  message?: string
}

/** True when retrying the same statement may succeed. */
export function isTransient(error: unknown): boolean {
  const e = error as PgError
  if (e.code && (transientStates.has(e.code) || e.code.startsWith('08'))) return true
  if (e.code && transientNodeCodes.has(e.code)) return true
  const message = e.message ?? ''
  // A timeout is not transient here: retrying it would multiply the documented wait.
  return /Connection terminated unexpectedly|Client has encountered a connection error/.test(
    message,
  )
}

/** Maps a driver error to the Store's errors: unique violations by column, the rest unavailable. */
export function toStoreError(error: unknown): Error {
  const e = error as PgError
  if (e.code === '23505') {
    if (e.constraint === 'users_username_key') return new UniqueViolationError('username')
    if (e.constraint === 'users_email_canonical_key') return new UniqueViolationError('email')
    // users_pkey, clients_pkey, and any other key: the row's id is taken.
    return new UniqueViolationError('id')
  }
  return new StoreUnavailableError('postgres operation failed', { cause: error })
}
