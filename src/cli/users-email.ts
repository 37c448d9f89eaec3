import { cliActor } from '../auth/audit.js'
import { type Command, println, UsageError } from './command.js'
import { findUser } from './find-user.js'
import { requiredString } from './options.js'

const verifyEmailCommand: Command = {
  name: 'users verify-email',
  summary: "mark a user's email address verified",
  help: `usage: portcullis users verify-email --username NAME

Marks the user's address verified, as following its verification link would (for a user who
cannot receive the link). Refused for a user without an address. Audited as
admin.user.email_verified.`,
  options: { username: { type: 'string' } },
  needs: 'services',
  async run({ values, services, io }) {
    const user = await findUser(services, requiredString(values, 'username'))
    await services.userAdmin.markEmailVerified(user.id, cliActor)
    println(io.stdout, `${user.username}: ${user.email} verified`)
    return 0
  },
}

const sendResetCommand: Command = {
  name: 'users send-reset',
  summary: 'send a user a password-reset link',
  help: `usage: portcullis users send-reset --username NAME

Queues a password-reset link to the user's address (earlier links stop working). The running
server's mail sender delivers it (see \`portcullis mail status\`); the link is never printed.
Refused for a user without an address or a disabled one, and while PORTCULLIS_EMAIL_FLOWS=false.
Audited as admin.user.reset_link.`,
  options: { username: { type: 'string' } },
  needs: 'services',
  async run({ values, services, io }) {
    if (!services.config.mail.flows.enabled) {
      throw new UsageError('the email flows are off (PORTCULLIS_EMAIL_FLOWS=false)')
    }
    const user = await findUser(services, requiredString(values, 'username'))
    await services.recovery.sendResetLink(user.id, cliActor)
    println(io.stdout, `reset link queued for ${user.username} <${user.email}>`)
    return 0
  },
}

export const userEmailCommands = [verifyEmailCommand, sendResetCommand]
