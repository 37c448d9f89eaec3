import { cliActor } from '../auth/audit.js'
import { type Command, println } from './command.js'
import { confirm } from './confirm.js'
import { findUser } from './find-user.js'
import { requiredString } from './options.js'

export const usersMfaResetCommand: Command = {
  name: 'users mfa-reset',
  summary: "remove a user's second factors (authenticator app, passkeys, recovery codes)",
  help: `usage: portcullis users mfa-reset --username NAME [--yes]

For a user who lost every second factor: deletes their authenticator app, passkeys and
recovery codes, so they sign in with the password alone until they enroll again. Check who
is asking first: this is what an attacker who has only the password would ask for. Asks for
confirmation on a terminal; otherwise --yes is required. Audited as admin.user.mfa_reset; the
user is told by email where the email flows are on.

options:
  --username NAME    required; compared case-insensitively
  --yes              do not ask`,
  options: { username: { type: 'string' }, yes: { type: 'boolean' } },
  needs: 'services',
  async run({ values, services, io }) {
    const username = requiredString(values, 'username')
    const user = await findUser(services, username)
    await confirm(`Remove every second factor of ${user.username}?`, io, values.yes === true)
    const deleted = await services.mfa.reset(user.id, cliActor)
    println(
      io.stdout,
      `removed ${deleted} second factor${deleted === 1 ? '' : 's'} of ${user.username}`,
    )
    return 0
  },
}
