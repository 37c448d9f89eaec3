import { type Db, one, sql } from './sql.js'
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
    // Its consents go with it: a client registered again under the id starts without them.
    delete: (id) =>
      db.transaction(function* () {
        const { count } = yield* sql('DELETE FROM clients WHERE id = $1', [id])
        yield* sql('DELETE FROM consents WHERE client_id = $1', [id])
        return count === 1
      }),
  }
}
