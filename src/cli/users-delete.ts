import { cliActor } from '../auth/audit.js'
import { type Command, println } from './command.js'
import { confirm } from './confirm.js'
import { findUser } from './find-user.js'
import { requiredString } from './options.js'

export const usersDeleteCommand: Command = {
  name: 'users delete',
  summary: 'delete a user and end its sessions',
  help: `usage: portcullis users delete --username NAME [--yes]

Deletes the user with its sessions: its refresh tokens stop working at once and its access
tokens are refused (a server on SQLite may accept them for up to PORTCULLIS_STATUS_CACHE_MS
more). Asks for confirmation on a terminal; otherwise --yes is required. Cannot be undone.
Audited as admin.user.delete.

options:
  --username NAME    required; compared case-insensitively
  --yes              do not ask`,
  options: { username: { type: 'string' }, yes: { type: 'boolean' } },
  needs: 'services',
  async run({ values, services, io }) {
    const username = requiredString(values, 'username')
    const user = await findUser(services, username)
    await confirm(`Delete user ${user.username} and end its sessions?`, io, values.yes === true)
    await services.userAdmin.delete(user.id, cliActor)
    println(io.stdout, `deleted ${user.username}`)
    return 0
  },
}
