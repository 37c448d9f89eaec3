import { changes, type Db } from './sql.js'
import type { ClientStore } from './store.js'
import { clients } from './tables.js'

/** The OAuth clients part of the store, over either engine. */
export function clientsStore(db: Db): ClientStore {
  return {
    create: async (c) => {
      await db.query(clients.insert, clients.values(c))
    },
    findById: (id) => clients.first(db, 'SELECT * FROM clients WHERE id = $1', [id]),
    list: () => clients.all(db, 'SELECT * FROM clients ORDER BY id'),
    setSecretHash: async (id, hash, at) => {
      const text = 'UPDATE clients SET secret_hash = $1, updated_at = $2 WHERE id = $3'
      return (await changes(db, text, [hash, at, id])) === 1
    },
    delete: async (id) => (await changes(db, 'DELETE FROM clients WHERE id = $1', [id])) === 1,
  }
}
