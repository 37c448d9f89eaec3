import { KeySealError } from '../auth/key-sealer.js'
import { ConfigError } from '../config.js'
import { ApiError } from '../errors.js'
import { StoreUnavailableError } from '../store/store.js'
import { CliError, UsageError } from './command.js'

/**
 * The exit code and the one line to print for an error a user can cause and fix: 2 for wrong
 * usage, 1 for the rest. Null for anything else, which is a bug and keeps its stack.
 */
export function errorLine(error: unknown): { code: 1 | 2; message: string } | null {
  if (error instanceof UsageError) return { code: 2, message: error.message }
  if (error instanceof ApiError) return { code: 1, message: error.description }
  if (error instanceof ConfigError) {
    return { code: 1, message: `configuration error: ${error.message}` }
  }
  if (
    error instanceof CliError ||
    error instanceof StoreUnavailableError ||
    error instanceof KeySealError
  ) {
    return { code: 1, message: error.message }
  }
  // parseArgs reports unknown or malformed options as TypeErrors with ERR_PARSE_ARGS_* codes.
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
    return { code: 2, message: (error as Error).message }
  }
  // The operating system or the database driver refused (no such file, connection refused…).
  if (typeof code === 'string' && /^(E[A-Z]+|SQLITE_\w+|\d{2}[0-9A-Z]{3})$/.test(code)) {
    return { code: 1, message: (error as Error).message }
  }
  return null
}
