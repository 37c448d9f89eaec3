import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { cliActor } from '../auth/audit.js'
import { CliError, type CliIo, type Command, println, UsageError } from './command.js'
import { dryRunImporter } from './import/dry-run-store.js'
import { type ImportSummary, importUsers } from './import/import-users.js'
import { formatOfPath, type ImportFormat, parseRows } from './import/parse-rows.js'
import { headerProblem } from './import/validate-row.js'
import { intOption, optionalString } from './options.js'
import { progressBar } from './progress-bar.js'

const shownRejections = 20

export const usersImportCommand: Command = {
  name: 'users import',
  summary: 'import users with password hashes from JSON Lines or CSV',
  help: `usage: portcullis users import FILE [--format jsonl|csv] [--batch-size N] [--dry-run]

Imports users with their password hashes, e.g. from the tutorial's database. Each row (a JSON
object per line, or a CSV row under a header) has:
  username                       required; stored in canonical (lowercase) form
  password_hash                  required (or hashed_password, the tutorial's column):
                                 argon2 ($argon2id$v=19$m=…,t=…,p=…$…, also argon2i/argon2d)
                                 or bcrypt ($2a$, $2b$, $2y$ as passlib writes it)
  email, full_name               optional
  disabled                       optional: true or false (or 1 or 0)
  roles                          optional: role names separated by spaces or commas
                                 (default user)
  id                             optional UUID; generated when absent
Every row is validated; bad ones are reported with their line number and the rest go on. A user
whose id, username or email is taken already is skipped, so importing the same file again
changes nothing. Users with bcrypt hashes log in with their old passwords and are re-hashed with
argon2id then.

options:
  --format jsonl|csv   default from the extension: .jsonl, .ndjson or .csv
  --batch-size N       users per transaction (default 1000)
  --dry-run            write nothing; report what a real run would import, skip and reject

Ends with a summary on stdout. Exit status: 0 when no row was rejected, 1 when some were (the
valid rows are imported all the same), 2 for wrong usage.`,
  options: {
    format: { type: 'string' },
    'batch-size': { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  args: ['FILE'],
  needs: 'services',
  async run({ values, positionals, services, io }) {
    const path = positionals[0] ?? ''
    const format = formatOf(path, optionalString(values, 'format'))
    const batchSize = intOption(values, 'batch-size', 1000, 1, 100_000)
    const dryRun = values['dry-run'] === true
    const size = await fileSize(path)
    const file = createReadStream(path)
    const progress = progressBar(io.stderr, 'rows')
    const summary = await importUsers(
      parseRows(file, format, { checkHeader: headerProblem }),
      dryRun ? dryRunImporter(services.store.users) : services.store.users,
      {
        batchSize,
        keepRejections: shownRejections,
        context: {
          roles: services.config.roles,
          now: new Date(services.clock.now()).toISOString(),
          newId: randomUUID,
        },
        onProgress: (rows) => progress.update(rows, size > 0 ? file.bytesRead / size : null),
      },
    )
    progress.end()
    if (!dryRun) {
      await services.audit.record({
        type: 'admin.user.import',
        actor: cliActor,
        detail: {
          file: basename(path),
          imported: summary.imported,
          skipped: summary.skipped,
          rejected: summary.rejected,
        },
      })
    }
    printSummary(io, summary, dryRun)
    return summary.rejected === 0 ? 0 : 1
  },
}

function formatOf(path: string, flag: string | undefined): ImportFormat {
  if (flag !== undefined) {
    if (flag !== 'jsonl' && flag !== 'csv') throw new UsageError('--format must be jsonl or csv')
    return flag
  }
  const format = formatOfPath(path)
  if (!format) throw new UsageError(`cannot tell the format of ${path}; pass --format jsonl|csv`)
  return format
}

async function fileSize(path: string): Promise<number> {
  try {
    const info = await stat(path)
    if (!info.isFile()) throw new CliError(`${path} is not a file`)
    return info.size
  } catch (error) {
    if (error instanceof CliError) throw error
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`)
  }
}

function printSummary(io: CliIo, s: ImportSummary, dryRun: boolean) {
  println(
    io.stdout,
    dryRun
      ? `dry run: would import ${s.imported}, skip ${s.skipped} (existing), reject ${s.rejected}; nothing was written`
      : `imported ${s.imported}, skipped ${s.skipped} (existing), rejected ${s.rejected}`,
  )
  for (const r of s.rejections) println(io.stdout, `line ${r.line}: ${r.reason}`)
  if (s.rejected > s.rejections.length) {
    println(io.stdout, `… and ${s.rejected - s.rejections.length} more`)
  }
}
