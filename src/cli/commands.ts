import { clientCommands } from './clients.js'
import type { Command } from './command.js'
import { dbCopyCommand } from './db.js'
import { keyCommands } from './keys.js'
import { mailStatusCommand } from './mail-status.js'
import { migrateCommand } from './migrate.js'
import { serveCommand } from './serve.js'
import { usersCreateCommand } from './users-create.js'
import { usersDeleteCommand } from './users-delete.js'
import { userEmailCommands } from './users-email.js'
import { usersImportCommand } from './users-import.js'
import { usersListCommand } from './users-list.js'
import { usersMfaResetCommand } from './users-mfa-reset.js'
import { usersSetPasswordCommand } from './users-set-password.js'
import { userStatusCommands } from './users-status.js'

/** Every `portcullis` command, in the order `portcullis --help` lists them. */
export const commands: Command[] = [
  serveCommand,
  migrateCommand,
  usersCreateCommand,
  usersListCommand,
  ...userStatusCommands,
  ...userEmailCommands,
  usersSetPasswordCommand,
  usersDeleteCommand,
  usersMfaResetCommand,
  usersImportCommand,
  ...clientCommands,
  ...keyCommands,
  mailStatusCommand,
  dbCopyCommand,
]
