import { encodeList } from './lists.js'
import type { PgDriver } from './pg-driver.js'
import { type ClientRow, toClient } from './pg-rows.js'
import type { ClientStore } from './store.js'

/** The OAuth clients part of the PostgreSQL store. */
export function postgresClients({ query }: PgDriver): ClientStore {
  return {
    async create(c) {
      await query(
        `INSERT INTO clients (id, name, secret_hash, grant_types, scopes, introspect,
         registration_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          c.id,
          c.name,
          c.secretHash,
          encodeList(c.grantTypes),
          encodeList(c.scopes),
          c.introspect,
          c.registrationId,
          c.createdAt,
          c.updatedAt,
        ],
      )
    },
    async findById(id) {
      const { rows } = await query<ClientRow>('SELECT * FROM clients WHERE id = $1', [id])
      return rows[0] ? toClient(rows[0]) : null
    },
    list: async () =>
      (await query<ClientRow>('SELECT * FROM clients ORDER BY id')).rows.map(toClient),
    setSecretHash: async (id, secretHash, at) =>
      (
        await query('UPDATE clients SET secret_hash = $1, updated_at = $2 WHERE id = $3', [
          secretHash,
          at,
          id,
        ])
      ).rowCount === 1,
    delete: async (id) => (await query('DELETE FROM clients WHERE id = $1', [id])).rowCount === 1,
  }
}
