import { StoreUnavailableError, UniqueViolationError } from './store.js'

function uniqueField(error: unknown): UniqueViolationError | null {
  const e = error as { code?: string; message?: string }
  if (e.code !== 'SQLITE_CONSTRAINT_UNIQUE' && e.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return null
  }
  if (e.message?.includes('users.username')) return new UniqueViolationError('username')
  if (e.message?.includes('users.email_canonical')) return new UniqueViolationError('email')
  return new UniqueViolationError('id')
}

/**
 * Runs a synchronous driver call as a promise: a unique violation becomes UniqueViolationError,
 * any other failure (disk full, corrupt file, closed handle) StoreUnavailableError.
 */
export function guard<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn())
  } catch (error) {
    const unique = uniqueField(error)
    if (unique) return Promise.reject(unique)
    return Promise.reject(new StoreUnavailableError('sqlite operation failed', { cause: error }))
  }
}
