import { randomUUID } from 'node:crypto'
import { ConfigError } from '../config.js'
import { ApiError } from '../errors.js'
import type { Services } from '../services.js'
import { UniqueViolationError } from '../store/store.js'
import { normalizePassword } from './password-policy.js'
import { adminRole, defaultRole } from './roles.js'
import { canonicalUsername, usernameRule } from './usernames.js'

/** Where bootstrap reports what it did; the server's logger fits. */
export interface BootstrapLog {
  info(message: string): void
  warn(message: string): void
}

const passwordVariable = 'PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD'

/**
 * Creates the first admin from `config.bootstrapAdmin` (the PORTCULLIS_BOOTSTRAP_ADMIN_* pair)
 * when no user has that username; otherwise does nothing. In production the password must pass
 * the password policy, else this throws ConfigError and the server does not start; elsewhere a
 * weak one is accepted with a warning. Nothing logged or thrown contains the password.
 */
export async function bootstrapAdmin(
  services: Services,
  log: BootstrapLog,
): Promise<'created' | 'exists' | 'off'> {
  const wanted = services.config.bootstrapAdmin
  if (!wanted) return 'off'
  const username = canonicalUsername(wanted.username)
  if (!username) throw new ConfigError(`PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME: ${usernameRule}`)
  if (await services.store.users.findByUsername(username)) {
    log.info(`bootstrap admin ${username} already exists; ${passwordVariable} is not used`)
    return 'exists'
  }
  const roles = [defaultRole, adminRole]
  let userId: string
  try {
    userId = (await services.users.register({ username, password: wanted.password, roles })).id
  } catch (error) {
    if (error instanceof ApiError && error.code === 'username_taken') return 'exists'
    if (!(error instanceof ApiError) || error.code !== 'invalid_request') throw error
    if (services.config.env === 'production') {
      throw new ConfigError(
        `${passwordVariable}: ${error.description} (production enforces the policy)`,
      )
    }
    log.warn(`bootstrap admin password is weak (${error.description}); refused in production`)
    const created = await createUnchecked(services, username, wanted.password, roles)
    if (!created) return 'exists'
    userId = created
  }
  await services.audit.record({ type: 'admin.user.create', userId, detail: { bootstrap: true } })
  log.info(`created bootstrap admin ${username}`)
  return 'created'
}

/** Creates the user without the password policy; null when another instance created it first. */
async function createUnchecked(
  services: Services,
  username: string,
  password: string,
  roles: string[],
): Promise<string | null> {
  const id = randomUUID()
  try {
    await services.store.users.create({
      id,
      username,
      email: null,
      emailCanonical: null,
      fullName: null,
      passwordHash: await services.hasher.hash(normalizePassword(password)),
      roles,
      createdAt: new Date(services.clock.now()).toISOString(),
    })
  } catch (error) {
    if (error instanceof UniqueViolationError) return null
    throw error
  }
  return id
}
