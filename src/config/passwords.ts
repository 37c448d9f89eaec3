import { availableParallelism } from 'node:os'
import type { Argon2Params } from '../auth/password-hasher.js'
import type { PasswordPolicy } from '../auth/password-policy.js'
import { ConfigError, type Env, int, intVariable, type Row, row } from './define.js'

/** How passwords are hashed: argon2id's cost (the PasswordHasher's) and the WorkLimiter's bounds. */
export interface HashingConfig {
  argon2: Argon2Params
  /** Hashes running at once. */
  concurrency: number
  /** Hashes allowed to wait; beyond it requests get 503. */
  queueLimit: number
}

const memory = intVariable('PORTCULLIS_ARGON2_MEMORY_KIB', 19456, 8, 4_194_304)
const iterations = intVariable('PORTCULLIS_ARGON2_ITERATIONS', 2, 1, 100)
const parallelism = intVariable('PORTCULLIS_ARGON2_PARALLELISM', 1, 1, 16)
// Default: the number of CPUs, read at start.
const concurrency = intVariable('PORTCULLIS_HASH_CONCURRENCY', 1, 1, 256, 'number of CPUs')
const queueLimit = intVariable('PORTCULLIS_HASH_QUEUE_LIMIT', 64, 0, 100_000)
const minLength = intVariable('PORTCULLIS_PASSWORD_MIN_LENGTH', 15, 8, 64)
const maxLength = intVariable('PORTCULLIS_PASSWORD_MAX_LENGTH', 256, 64, 256)

export const passwordRows: Row[] = [
  row(memory, 'argon2id memory (KiB); the OWASP minimum'),
  row(iterations, 'argon2id passes'),
  row(parallelism, 'argon2id lanes'),
  row(concurrency, 'Password hashes running at once'),
  row(queueLimit, 'Hashes allowed to wait; beyond it requests get 503 + `Retry-After`'),
  row(minLength, 'Minimum password length in code points (8 to 64)'),
  row(maxLength, 'Maximum password length in code points (64 to 256)'),
]

/** The password length policy (UserService, bootstrap admin, CLI). */
export function readPasswords(env: Env): PasswordPolicy {
  return { minLength: int(env, minLength), maxLength: int(env, maxLength) }
}

export function readHashing(env: Env): HashingConfig {
  const argon2 = {
    memoryKib: int(env, memory),
    iterations: int(env, iterations),
    parallelism: int(env, parallelism),
  }
  // argon2 needs at least 8 KiB per lane.
  if (argon2.memoryKib < 8 * argon2.parallelism) {
    throw new ConfigError(
      `PORTCULLIS_ARGON2_MEMORY_KIB must be at least 8 × PORTCULLIS_ARGON2_PARALLELISM (${8 * argon2.parallelism})`,
    )
  }
  return {
    argon2,
    concurrency: int(env, concurrency, availableParallelism()),
    queueLimit: int(env, queueLimit),
  }
}
