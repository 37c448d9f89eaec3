import { type Db, nothing, sql } from './sql.js'
import type { ConsentStore } from './store.js'
import { decodeList, encodeList } from './table.js'
import { consents } from './tables.js'

const key = 'user_id = $1 AND client_id = $2'
const findOne = `SELECT * FROM consents WHERE ${key}`
const ensure = `INSERT INTO consents (user_id, client_id, scopes, created_at, updated_at)
  VALUES ($1, $2, '', $3, $3) ON CONFLICT (user_id, client_id) DO NOTHING`
const setScopes = `UPDATE consents SET scopes = $3, updated_at = $4 WHERE ${key}`
const revokeSessions = `UPDATE sessions SET revoked_at = $3
  WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL`

/** The consents part of the store, over either engine. */
export function consentsStore(db: Db): ConsentStore {
  // PostgreSQL (READ COMMITTED): concurrent grants take turns on the row, so none of them loses
  // the scopes another added; SQLite already runs one writer at a time.
  const findLocked = db.dialect === 'postgres' ? `${findOne} FOR UPDATE` : findOne
  return {
    find: (userId, clientId) => consents.first(db, findOne, [userId, clientId]),
    grant: (userId, clientId, scopes, at) =>
      db.transaction(function* () {
        yield* sql(ensure, [userId, clientId, at])
        const { rows } = yield* sql<{ scopes: string }>(findLocked, [userId, clientId])
        const had = decodeList(rows[0]?.scopes ?? '')
        const all = [...new Set([...had, ...scopes])].sort()
        yield* sql(setScopes, [userId, clientId, encodeList(all), at])
      }),
    revoke: (userId, clientId, at) =>
      db.transaction(function* () {
        const { count } = yield* sql(`DELETE FROM consents WHERE ${key}`, [userId, clientId])
        if (count === 0) return false
        yield* sql(revokeSessions, [userId, clientId, at])
        return true
      }),
    listForUser: (userId) =>
      consents.all(db, 'SELECT * FROM consents WHERE user_id = $1 ORDER BY client_id', [userId]),
    page: (after, limit) =>
      consents.all(
        db,
        `SELECT * FROM consents WHERE user_id > $1 OR (user_id = $1 AND client_id > $2)
         ORDER BY user_id, client_id LIMIT $3`,
        [after?.userId ?? '', after?.clientId ?? '', limit],
      ),
    insertRecord: (c) => db.query(consents.insert, consents.values(c), nothing),
  }
}
