import { type Command, println } from './command.js'

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations (the server also does at start)',
  help: `usage: portcullis migrate

Applies the pending migrations to the database named by PORTCULLIS_DATABASE_URL (or the SQLite
file under PORTCULLIS_DATA_DIR) and prints which ran.`,
  needs: 'store',
  async run({ store, io }) {
    const applied = await store.migrate()
    println(
      io.stdout,
      applied.length ? `applied migrations: ${applied.join(', ')}` : 'database is up to date',
    )
    return 0
  },
}
