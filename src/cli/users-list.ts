import { type Command, printLines, println } from './command.js'
import { intOption, optionalString } from './options.js'
import { formatTable } from './table.js'

export const usersListCommand: Command = {
  name: 'users list',
  summary: 'list users in username order, optionally matching a text',
  help: `usage: portcullis users list [--search TEXT] [--limit N] [--after USERNAME]

Prints username, id, roles, disabled, whether the email address is verified (- without one)
and creation time, in username order.

options:
  --search TEXT      only users whose username or email contains TEXT (case-insensitive)
  --limit N          at most N users (1 to 1000, default 50)
  --after USERNAME   start after this username: the next page of a longer list`,
  options: {
    search: { type: 'string' },
    limit: { type: 'string' },
    after: { type: 'string' },
  },
  needs: 'store',
  async run({ values, store, io }) {
    const limit = intOption(values, 'limit', 50, 1, 1000)
    const users = await store.users.search({
      text: optionalString(values, 'search'),
      afterUsername: optionalString(values, 'after')?.toLowerCase(),
      limit,
    })
    if (users.length === 0) {
      println(io.stderr, 'no users')
      return 0
    }
    const rows = users.map((u) => [
      u.username,
      u.id,
      u.roles.join(','),
      u.disabled ? 'yes' : 'no',
      u.email === null ? '-' : u.emailVerified ? 'yes' : 'no',
      u.createdAt,
    ])
    printLines(
      io.stdout,
      formatTable(['USERNAME', 'ID', 'ROLES', 'DISABLED', 'VERIFIED', 'CREATED'], rows),
    )
    if (users.length === limit) {
      println(io.stderr, `more may follow: --after ${users.at(-1)?.username}`)
    }
    return 0
  },
}
