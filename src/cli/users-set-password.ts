import { cliActor } from '../auth/audit.js'
import { type Command, println } from './command.js'
import { findUser } from './find-user.js'
import { requiredString } from './options.js'
import { readNewPassword } from './password-input.js'

export const usersSetPasswordCommand: Command = {
  name: 'users set-password',
  summary: "set a user's password and end its sessions",
  help: `usage: portcullis users set-password --username NAME

Sets a new password for the user, under the same policy as POST /register, without the old one:
for an operator helping a user who lost it. The password is prompted for twice (without echo)
on a terminal, or read from standard input otherwise:
  printf '%s' "$PASSWORD" | portcullis users set-password --username alice
Every session of the user ends, so its refresh tokens stop working at once. Audited as
admin.user.password (the password itself is never logged).

options:
  --username NAME    required; compared case-insensitively`,
  options: { username: { type: 'string' } },
  needs: 'services',
  async run({ values, services, io }) {
    const user = await findUser(services, requiredString(values, 'username'))
    const password = await readNewPassword(io)
    const ended = await services.userAdmin.setPassword(user.id, password, cliActor)
    println(
      io.stdout,
      `${user.username}: password set; ${ended} ${ended === 1 ? 'session' : 'sessions'} ended`,
    )
    return 0
  },
}
