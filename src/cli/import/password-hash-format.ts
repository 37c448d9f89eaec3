import { parseOptions } from '@node-rs/argon2'
import { importedArgon2Limits, maxLegacyBcryptCost } from '../../auth/password-hasher.js'

// passlib's bcrypt: $2a$, $2b$ or $2y$, a two-digit cost, then 22 characters of salt and 31 of hash.
const bcryptPattern = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/
const argon2Prefix = /^\$argon2(id|i|d)\$/

// Above any common deployment's parameters (OWASP's strongest is m=47104, t=1). Verifying a hash
// costs what its parameters say, on every login attempt at that user: a 4 GiB hash in an import
// file would take the server down. Below the minimum (and below argon2's own 8 KiB per lane),
// a hash is no protection at all.
const { min, max: argon2Limits } = importedArgon2Limits

/**
 * Why `hash` is not a password hash this server can verify, or null when it is one: an argon2
 * PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, argon2i and argon2d too) with bounded
 * parameters, or a bcrypt hash (`$2a$`, `$2b$`, `$2y$`) of cost 4 to `maxLegacyBcryptCost` (14).
 */
export function passwordHashProblem(hash: string): string | null {
  const bcrypt = bcryptPattern.exec(hash)
  if (bcrypt) {
    const cost = Number(bcrypt[1])
    return cost >= 4 && cost <= maxLegacyBcryptCost
      ? null
      : `bcrypt cost ${cost} is outside 4 to ${maxLegacyBcryptCost} (every failed login would pay it)`
  }
  if (hash.startsWith('$2')) return 'malformed bcrypt hash (expected $2b$NN$ and 53 characters)'
  if (!argon2Prefix.test(hash)) {
    return 'password hash is neither argon2 ($argon2id$…) nor bcrypt ($2a$, $2b$ or $2y$)'
  }
  let options: ReturnType<typeof parseOptions>
  try {
    options = parseOptions(hash)
  } catch {
    return 'malformed argon2 hash (expected the PHC form $argon2id$v=19$m=…,t=…,p=…$salt$hash)'
  }
  if (
    options.memoryCost > argon2Limits.memoryKib ||
    options.timeCost > argon2Limits.iterations ||
    options.parallelism > argon2Limits.parallelism
  ) {
    return `argon2 parameters beyond m=${argon2Limits.memoryKib},t=${argon2Limits.iterations},p=${argon2Limits.parallelism}`
  }
  if (
    options.memoryCost < Math.max(min.memoryKib, 8 * options.parallelism) ||
    options.timeCost < min.iterations ||
    options.parallelism < min.parallelism
  ) {
    return `argon2 parameters below m=${min.memoryKib} (and 8 per lane),t=${min.iterations},p=${min.parallelism}`
  }
  return null
}
