import { canonicalUsername } from '../auth/usernames.js'
import type { Services } from '../services.js'
import type { UserRecord } from '../store/store.js'
import { CliError } from './command.js'

/** The user named by `--username`, in any form that canonicalizes to it; else "no user NAME". */
export async function findUser(services: Services, username: string): Promise<UserRecord> {
  const user = await services.store.users.findByUsername(canonicalUsername(username) ?? '')
  if (!user) throw new CliError(`no user ${username}`)
  return user
}
