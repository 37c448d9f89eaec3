import { cliActor } from '../auth/audit.js'
import { type Command, println, UsageError } from './command.js'
import { findUser } from './find-user.js'
import { listOption, requiredString } from './options.js'

const statusCommand = (disable: boolean): Command => ({
  name: disable ? 'users disable' : 'users enable',
  summary: disable
    ? 'refuse logins and end every session of a user'
    : 'allow a disabled user to log in again',
  help: `usage: portcullis users ${disable ? 'disable' : 'enable'} --username NAME

${
  disable
    ? `Disables the user: logins are refused and every session ends at once, so its refresh
tokens stop working; access tokens already issued are refused too (a server on SQLite may
accept them for up to PORTCULLIS_STATUS_CACHE_MS more). Audited as admin.user.disable.`
    : 'Enables a disabled user again. Audited as admin.user.enable.'
}`,
  options: { username: { type: 'string' } },
  needs: 'services',
  async run({ values, services, io }) {
    const user = await findUser(services, requiredString(values, 'username'))
    await services.userAdmin.setDisabled(user.id, disable, cliActor)
    println(io.stdout, `${disable ? 'disabled' : 'enabled'} ${user.username}`)
    return 0
  },
})

const setRolesCommand: Command = {
  name: 'users set-roles',
  summary: "replace a user's roles",
  help: `usage: portcullis users set-roles --username NAME --roles ROLE[,ROLE…]

Replaces the user's roles with the given ones, which must be defined (user, admin, or those of
PORTCULLIS_ROLES). Taking away admin ends the user's sessions. Audited as admin.user.roles.`,
  options: { username: { type: 'string' }, roles: { type: 'string' } },
  needs: 'services',
  async run({ values, services, io }) {
    const username = requiredString(values, 'username')
    const roles = listOption(values, 'roles')
    if (roles.length === 0) throw new UsageError('--roles is required')
    const user = await findUser(services, username)
    const updated = await services.userAdmin.setRoles(user.id, roles, cliActor)
    println(io.stdout, `${updated.username}: roles ${updated.roles.join(', ')}`)
    return 0
  },
}

export const userStatusCommands = [statusCommand(true), statusCommand(false), setRolesCommand]
