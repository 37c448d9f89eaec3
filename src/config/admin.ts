import { ConfigError, type Env, type Row, row, variable } from './define.js'

/** The first admin, created once per database at start (see `bootstrapAdmin`). */
export interface BootstrapAdminConfig {
  username: string
  password: string
}

const username = variable('PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME', 'none')
const password = variable('PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD', 'none')

export const adminRows: Row[] = [
  row(
    [username, password],
    'Read at start, acted on once per database: if no user has this username, it is created with the `admin` role, and later starts never do it again (not even after the admin is deleted). The password must pass the password policy or the server refuses to start (in every mode). Remove them after the first start',
    'none',
  ),
]

/** The PORTCULLIS_BOOTSTRAP_ADMIN_* pair, or null when neither is set. */
export function readBootstrapAdmin(env: Env): BootstrapAdminConfig | null {
  const name = env[username.name]
  const secret = env[password.name]
  if (!name && !secret) return null
  if (!name || !secret) {
    throw new ConfigError(
      'PORTCULLIS_BOOTSTRAP_ADMIN_USERNAME and PORTCULLIS_BOOTSTRAP_ADMIN_PASSWORD go together',
    )
  }
  return { username: name, password: secret }
}
