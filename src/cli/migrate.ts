import { type Command, println } from './command.js'

/** `1–6` for a consecutive run of versions, else `3, 5`. */
function versions(list: number[]): string {
  const first = list[0]
  const last = list.at(-1)
  const consecutive = list.every((v, i) => v === (first ?? 0) + i)
  return consecutive && list.length > 1 ? `${first}–${last}` : list.join(', ')
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations (the server also does at start)',
  help: `usage: portcullis migrate

Applies the pending migrations to the database named by PORTCULLIS_DATABASE_URL (or the SQLite
file under PORTCULLIS_DATA_DIR) and prints which ran.`,
  needs: 'store',
  async run({ store, io }) {
    // Opening the store already migrated it: report that, and anything still pending.
    const applied = [...store.appliedAtOpen, ...(await store.migrate())]
    println(
      io.stdout,
      applied.length ? `applied migrations ${versions(applied)}` : 'database is up to date',
    )
    return 0
  },
}
