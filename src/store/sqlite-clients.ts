import type Database from 'better-sqlite3'
import { encodeList } from './lists.js'
import { guard } from './sqlite-errors.js'
import { type ClientRow, toClient } from './sqlite-rows.js'
import type { ClientStore } from './store.js'

/** The OAuth clients part of the SQLite store. */
export function sqliteClients(db: Database.Database): ClientStore {
  const q = {
    insert: db.prepare(`INSERT INTO clients (id, name, secret_hash, grant_types, scopes, introspect,
      registration_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    byId: db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE id = ?'),
    all: db.prepare<[], ClientRow>('SELECT * FROM clients ORDER BY id'),
    setSecret: db.prepare('UPDATE clients SET secret_hash = ?, updated_at = ? WHERE id = ?'),
    delete: db.prepare('DELETE FROM clients WHERE id = ?'),
  }
  return {
    create: async (c) => {
      const values = [
        c.id,
        c.name,
        c.secretHash,
        encodeList(c.grantTypes),
        encodeList(c.scopes),
        c.introspect ? 1 : 0,
        c.registrationId,
        c.createdAt,
        c.updatedAt,
      ]
      return guard(() => {
        q.insert.run(...values)
      })
    },
    findById: (id) =>
      guard(() => {
        const row = q.byId.get(id)
        return row ? toClient(row) : null
      }),
    list: () => guard(() => q.all.all().map(toClient)),
    setSecretHash: (id, secretHash, at) =>
      guard(() => q.setSecret.run(secretHash, at, id).changes === 1),
    delete: (id) => guard(() => q.delete.run(id).changes === 1),
  }
}
