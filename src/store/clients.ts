import type { Db } from './sql.js'
import type { ClientStore } from './store.js'
import { clients } from './tables.js'

/** The OAuth clients part of the store, over either engine. */
export function clientsStore(db: Db): ClientStore {
  const changed = async (text: string, values: unknown[]) =>
    (await db.query(text, values)).count === 1
  return {
    create: async (c) => {
      await db.query(clients.insert, clients.values(c))
    },
    async findById(id) {
      const row = (await db.query('SELECT * FROM clients WHERE id = $1', [id])).rows[0]
      return row ? clients.decode(row) : null
    },
    list: async () =>
      (await db.query('SELECT * FROM clients ORDER BY id')).rows.map((r) => clients.decode(r)),
    setSecretHash: (id, secretHash, at) =>
      changed('UPDATE clients SET secret_hash = $1, updated_at = $2 WHERE id = $3', [
        secretHash,
        at,
        id,
      ]),
    delete: (id) => changed('DELETE FROM clients WHERE id = $1', [id]),
  }
}
