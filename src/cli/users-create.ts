import { cliActor } from '../auth/audit.js'
import { adminRole, defaultRole } from '../auth/roles.js'
import { checkUserFields } from '../auth/user-fields.js'
import { CliError, type Command, println } from './command.js'
import { optionalString, requiredString } from './options.js'
import { readNewPassword } from './password-input.js'

export const usersCreateCommand: Command = {
  name: 'users create',
  summary: 'create a user (password from a prompt or standard input)',
  help: `usage: portcullis users create --username NAME [--email E] [--full-name N] [--admin]

Creates a user under the same rules as POST /register, password policy included. The password
is prompted for twice (without echo) on a terminal, or read from standard input otherwise:
  printf '%s' "$PASSWORD" | portcullis users create --username alice
It is never taken from the command line, which leaks through shell history and ps.

options:
  --username NAME    required; compared case-insensitively
  --email E          optional; unique case-insensitively
  --full-name N      optional
  --admin            give the user the admin role besides user`,
  options: {
    username: { type: 'string' },
    email: { type: 'string' },
    'full-name': { type: 'string' },
    admin: { type: 'boolean' },
  },
  needs: 'services',
  async run({ values, services, io }) {
    const username = requiredString(values, 'username')
    const email = optionalString(values, 'email')
    const fullName = optionalString(values, 'full-name')
    // The same check /register makes (and `register` below makes again), before the password
    // prompt: a mistyped field costs no typing of the password twice.
    const problem = checkUserFields({ username, email, fullName })
    if (typeof problem === 'string') throw new CliError(problem)
    const password = await readNewPassword(io)
    const user = await services.users.register({
      username,
      password,
      email,
      full_name: fullName,
      roles: values.admin ? [defaultRole, adminRole] : [defaultRole],
    })
    await services.audit.record({
      type: 'admin.user.create',
      userId: user.id,
      actor: cliActor,
      detail: { roles: user.roles },
    })
    println(
      io.stdout,
      `created user ${user.username} (${user.id}) with roles ${user.roles.join(', ')}`,
    )
    return 0
  },
}
