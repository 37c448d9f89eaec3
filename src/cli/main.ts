import { text } from 'node:stream/consumers'
import { parseArgs } from 'node:util'
import { canonicalUsername } from '../auth/usernames.js'
import { systemClock } from '../clock.js'
import { loadConfig } from '../config.js'
import { createServices } from '../services.js'
import { openStore } from '../store/open-store.js'
import { CopyMismatchError, copyDatabase, TargetNotEmptyError } from './db-copy.js'
import { keysCommand } from './keys.js'

const usage = `usage: portcullis <command> [options]

commands:
  migrate                                 apply pending database migrations
  create-user --username NAME [--email E] [--full-name N]
                                          create a user; the password is read from standard input
  disable-user --username NAME            refuse logins and invalidate the user's tokens
  enable-user --username NAME             allow the user again
  keys rotate [--activate-in SECONDS]     add a signing key: published now, signing after the delay
  keys list                               the key ring: next, active and retired keys
  db copy --from SOURCE --to TARGET [--force] [--batch-size N]
                                          copy every table between databases (SQLite file
                                          path or sqlite:/postgres:// URL), verifying row counts

The database and settings come from the same PORTCULLIS_* variables as the server.`

/** Runs one CLI command; returns the process exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: string[], stdin: NodeJS.ReadableStream): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      username: { type: 'string' },
      email: { type: 'string' },
      'full-name': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      from: { type: 'string' },
      to: { type: 'string' },
      force: { type: 'boolean' },
      'batch-size': { type: 'string' },
      'activate-in': { type: 'string' },
    },
  })
  const command = positionals[0]
  if (values.help || !command) {
    console.log(usage)
    return command || values.help ? 0 : 2
  }
  if (command === 'db') return dbCommand(positionals.slice(1), values)
  const config = loadConfig()
  const store = await openStore(config.databaseUrl, config.db)
  try {
    if (command === 'migrate') {
      const applied = await store.migrate()
      console.log(
        applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date',
      )
      return 0
    }
    if (command === 'keys') {
      return await keysCommand(positionals[1], values['activate-in'], config, store)
    }
    if (!values.username) {
      console.error(`portcullis ${command}: --username is required\n\n${usage}`)
      return 2
    }
    if (command === 'create-user') {
      const services = await createServices(config, store, systemClock)
      // The password comes from stdin, never argv: argv leaks through shell history and `ps`.
      const password = (await text(stdin)).replace(/\r?\n$/, '')
      const user = await services.users.register({
        username: values.username,
        password,
        email: values.email,
        full_name: values['full-name'],
      })
      console.log(`created user ${user.username} (${user.id})`)
      return 0
    }
    if (command === 'disable-user' || command === 'enable-user') {
      const user = await store.users.findByUsername(canonicalUsername(values.username) ?? '')
      if (!user) {
        console.error(`portcullis ${command}: no user ${values.username}`)
        return 1
      }
      await store.users.setDisabled(user.id, command === 'disable-user', new Date().toISOString())
      console.log(`${command === 'disable-user' ? 'disabled' : 'enabled'} ${user.username}`)
      return 0
    }
    console.error(`portcullis: unknown command "${command}"\n\n${usage}`)
    return 2
  } finally {
    await store.close()
  }
}

interface DbValues {
  from?: string | undefined
  to?: string | undefined
  force?: boolean | undefined
  'batch-size'?: string | undefined
}

/** A bare path means a SQLite file. */
const toUrl = (location: string) =>
  /^(sqlite:|postgres(ql)?:\/\/)/.test(location) ? location : `sqlite:${location}`

async function dbCommand(args: string[], values: DbValues): Promise<number> {
  if (args[0] !== 'copy' || !values.from || !values.to) {
    console.error(`portcullis db: usage: db copy --from SOURCE --to TARGET [--force]\n\n${usage}`)
    return 2
  }
  const batchSize = Number(values['batch-size'] ?? 500)
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    console.error('portcullis db copy: --batch-size must be a positive integer')
    return 2
  }
  const { db } = loadConfig()
  const from = await openStore(toUrl(values.from), db)
  try {
    const to = await openStore(toUrl(values.to), db)
    try {
      const counts = await copyDatabase(from, to, {
        batchSize,
        force: values.force ?? false,
        onProgress: progressPrinter(),
      })
      console.log(
        `copied ${Object.entries(counts)
          .map(([t, n]) => `${t}: ${n}`)
          .join(', ')}; row counts verified`,
      )
      return 0
    } finally {
      await to.close()
    }
  } catch (error) {
    if (error instanceof TargetNotEmptyError || error instanceof CopyMismatchError) {
      console.error(`portcullis db copy: ${error.message}`)
      return 1
    }
    throw error
  } finally {
    await from.close()
  }
}

/** Progress on one rewritten line on a terminal; a line per table otherwise. */
function progressPrinter() {
  const tty = process.stderr.isTTY
  return (table: string, copied: number, total: number) => {
    const line = `${table}: ${copied}/${total}`
    if (tty) process.stderr.write(`\r${line}${copied === total ? '\n' : ''}`)
    else if (copied === total) process.stderr.write(`${line}\n`)
  }
}
