import { randomUUID } from 'node:crypto'
import { ConfigError } from '../config.js'
import { ApiError } from '../errors.js'
import type { Services } from '../services.js'
import { checkNewPassword } from './password-policy.js'
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
 * once per database: the first start that sees the pair creates the user unless the username is
 * taken, and records that it ran; later starts do nothing, even after the admin is deleted. In
 * every mode the password must pass the password policy, else this throws ConfigError and the
 * server does not start. Nothing logged or thrown contains the password.
 */
export async function bootstrapAdmin(
  services: Services,
  log: BootstrapLog,
): Promise<'created' | 'exists' | 'off'> {
  const wanted = services.config.bootstrapAdmin
  if (!wanted) return 'off'
  const username = canonicalUsername(wanted.username)
  if (!username) throw new ConfigError(`PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME: ${usernameRule}`)
  // A weak first admin is the easiest way in, in every mode: refused before anything is written.
  try {
    checkNewPassword(wanted.password, username, {
      minLength: services.config.passwords.minLength,
      maxLength: services.config.passwords.maxLength,
    })
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    throw new ConfigError(`${passwordVariable}: ${error.description}`)
  }
  // Once per database, ever: an admin deleted later must not come back at the next start.
  const marker = `${username} ${randomUUID()}`
  const at = new Date(services.clock.now()).toISOString()
  const done = (await services.store.secrets.getOrCreate('bootstrap-admin', marker, at)) !== marker
  if (done || (await services.store.users.findByUsername(username))) {
    log.info(`bootstrap admin already made; ${passwordVariable} is not used (remove it)`)
    return 'exists'
  }
  const roles = [defaultRole, adminRole]
  let userId: string
  try {
    userId = (await services.users.register({ username, password: wanted.password, roles })).id
  } catch (error) {
    if (error instanceof ApiError && error.code === 'username_taken') return 'exists'
    throw error
  }
  await services.audit.record({ type: 'admin.user.create', userId, detail: { bootstrap: true } })
  log.info(`created bootstrap admin ${username}`)
  return 'created'
}
