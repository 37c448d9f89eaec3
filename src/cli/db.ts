import { openStore } from '../store/open-store.js'
import { CliError, type CliIo, type Command, println } from './command.js'
import { CopyMismatchError, copyDatabase, TargetNotEmptyError } from './db-copy.js'
import { intOption, requiredString } from './options.js'

/** A bare path means a SQLite file. */
const toUrl = (location: string) =>
  /^(sqlite:|postgres(ql)?:\/\/)/.test(location) ? location : `sqlite:${location}`

export const dbCopyCommand: Command = {
  name: 'db copy',
  summary: 'copy every table between databases, verifying row counts',
  help: `usage: portcullis db copy --from SOURCE --to TARGET [--force] [--batch-size N]

Copies every table from SOURCE to TARGET (either may be SQLite or PostgreSQL: a SQLite file
path, or a sqlite: or postgres:// URL), then verifies the row counts. Login counters, MFA
tokens and WebAuthn challenges live minutes and start afresh. Stop the servers writing to
SOURCE first.

options:
  --from SOURCE      the database to copy
  --to TARGET        the database to fill; must be empty unless --force
  --force            delete TARGET's rows first
  --batch-size N     rows per batch (default 500)`,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    force: { type: 'boolean' },
    'batch-size': { type: 'string' },
  },
  needs: 'config',
  async run({ values, config, io }) {
    const source = requiredString(values, 'from')
    const target = requiredString(values, 'to')
    const batchSize = intOption(values, 'batch-size', 500, 1, 100_000)
    const from = await openStore(toUrl(source), config.store.pool)
    try {
      const to = await openStore(toUrl(target), config.store.pool)
      try {
        const counts = await copyDatabase(from, to, {
          batchSize,
          force: values.force === true,
          onProgress: progressPrinter(io),
        })
        const summary = Object.entries(counts).map(([t, n]) => `${t}: ${n}`)
        println(io.stdout, `copied ${summary.join(', ')}; row counts verified`)
        return 0
      } finally {
        await to.close()
      }
    } catch (error) {
      if (error instanceof TargetNotEmptyError || error instanceof CopyMismatchError) {
        throw new CliError(error.message)
      }
      throw error
    } finally {
      await from.close()
    }
  },
}

/** Progress on one rewritten line on a terminal; a line per table otherwise. */
function progressPrinter(io: CliIo) {
  const tty = io.stderr.isTTY
  return (table: string, copied: number, total: number) => {
    const line = `${table}: ${copied}/${total}`
    if (tty) io.stderr.write(`\r${line}${copied === total ? '\n' : ''}`)
    else if (copied === total) io.stderr.write(`${line}\n`)
  }
}
