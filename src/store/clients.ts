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
    setSecretHash: async (id, secretHash, at) =>
      (await changes(db, 'UPDATE clients SET secret_hash = $1, updated_at = $2 WHERE id = $3', [
        secretHash,
        at,
        id,
      ])) === 1,
    delete: async (id) => (await changes(db, 'DELETE FROM clients WHERE id = $1', [id])) === 1,
  }
}
