import { type Db, one } from './sql.js'
import type { ClientStore } from './store.js'
import { clients } from './tables.js'

const setSecret = 'UPDATE clients SET secret_hash = $1, updated_at = $2 WHERE id = $3'

/** The OAuth clients part of the store, over either engine. */
export function clientsStore(db: Db): ClientStore {
  return {
    create: async (c) => {
      await db.query(clients.insert, clients.values(c))
    },
    findById: (id) => clients.first(db, 'SELECT * FROM clients WHERE id = $1', [id]),
    list: () => clients.all(db, 'SELECT * FROM clients ORDER BY id'),
    setSecretHash: (id, hash, at) => db.query(setSecret, [hash, at, id], one),
    delete: (id) => db.query('DELETE FROM clients WHERE id = $1', [id], one),
  }
}
