import * as argon2 from '@node-rs/argon2'

/** The cost parameters of an argon2id hash. */
export interface Argon2Params {
  memoryKib: number
  iterations: number
  parallelism: number
}

// @node-rs/argon2 declares Algorithm as an ambient const enum, which isolated transpilers cannot inline.
/** The value of `Algorithm.Argon2id`. */
export const ARGON2ID = 2

// passlib's `$2a$`/`$2b$`/`$2y$`: two-digit cost, 22 characters of salt and 31 of hash.
const legacyBcrypt = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/

/**
 * The cost of a legacy bcrypt hash (passlib's `$2a$`/`$2b$`/`$2y$`), or null when `stored` is
 * not one.
 */
export function legacyBcryptCost(stored: string): number | null {
  return legacyBcrypt.test(stored) ? Number(stored.slice(4, 6)) : null
}

/** The parameters of an argon2 PHC string, or null when it is not one. */
export function parseArgon2(stored: string): argon2.ParsedHashOptions | null {
  try {
    return argon2.parseOptions(stored)
  } catch {
    return null
  }
}

/** Whether a parsed hash is argon2id with exactly these parameters. */
export const sameArgon2Params = (o: argon2.ParsedHashOptions, p: Argon2Params) =>
  o.algorithm === ARGON2ID &&
  o.memoryCost === p.memoryKib &&
  o.timeCost === p.iterations &&
  o.parallelism === p.parallelism

/** Whether a parsed hash is another argon2 variant, or cheaper than `p` in any parameter. */
export const weakerThan = (o: argon2.ParsedHashOptions, p: Argon2Params) =>
  o.algorithm !== ARGON2ID ||
  o.memoryCost < p.memoryKib ||
  o.timeCost < p.iterations ||
  o.parallelism < p.parallelism

/**
 * The highest legacy bcrypt cost accepted (passlib's default is 12; 14 takes about a second).
 * `users import` refuses costlier hashes, and the failure padding never rises above it: one
 * hash of cost 31 would otherwise make every failed login take hours.
 */
export const maxLegacyBcryptCost = 14

/** The argon2 limits `users import` accepts; the dummy hash never rises above them either. */
export const importedArgon2Limits = {
  min: { memoryKib: 64, iterations: 1, parallelism: 1 },
  max: { memoryKib: 65_536, iterations: 10, parallelism: 8 },
}
