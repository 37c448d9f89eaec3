import type { Db, Row } from './sql.js'

const item = /^[^\s]+$/

/**
 * The stored text of a list (roles, grant types, scopes). Throws RangeError on an empty or
 * whitespace-containing item, which the encoding could not give back.
 */
export function encodeList(items: readonly string[]): string {
  for (const i of items) if (!item.test(i)) throw new RangeError(`invalid list item "${i}"`)
  return items.join(' ')
}

/** The list that `encodeList` stored as `text`. */
export const decodeList = (text: string): string[] => (text === '' ? [] : text.split(' '))

/** The stored text of a user's roles; throws RangeError when there is none (never empty). */
export function encodeRoles(roles: readonly string[]): string {
  if (roles.length === 0) throw new RangeError('a user has at least one role')
  return encodeList(roles)
}

/**
 * How a field is stored when not as it is (text, numbers, ISO-8601 timestamps, null): as 1/0
 * (`bool`), or as space-separated text (`list`; `roles` is a list that is never empty).
 */
export type Kind = 'bool' | 'list' | 'roles'
type Code = (v: unknown) => unknown
const same: Code = (v) => v
const codecs = {
  value: [same, same],
  bool: [(v: unknown) => v === true, (v: unknown) => v === 1],
  list: [encodeList, decodeList],
  roles: [encodeRoles, decodeList],
} as Record<Kind | 'value', [encode: Code, decode: Code]>

type Words<S extends string> = S extends `${infer W} ${infer R}` ? W | Words<R> : S
/** The words of `S` that are not fields of `T`, and the fields of `T` that are not words of `S`. */
type Mismatch<T, S extends string> = Exclude<keyof T, Words<S>> | Exclude<Words<S>, keyof T>

/**
 * The one mapping of table `name` for records `T`, on both engines: `fields` lists every field
 * of `T` (checked at compile time) in column order, each stored in the column of its snake_case
 * name, as it is unless `kinds` says otherwise. Adding a column costs one word here.
 */
export const table =
  <T>() =>
  <S extends string>(
    name: string,
    fields: S &
      ([Mismatch<T, S>] extends [never] ? S : 'every field of the record, and only those'),
    kinds: Partial<Record<keyof T, Kind>> = {},
  ) => {
    const columns = fields.split(' ').map((key) => {
      const [encode, decode] = codecs[kinds[key as keyof T] ?? 'value']
      return { key, column: key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), encode, decode }
    })
    const prefixed = new Map<string, string[]>()
    const list = columns.map((c) => c.column).join(', ')
    const mapping = {
      /** The column names in the order of `values`, comma-separated. */
      columns: list,
      /** `INSERT INTO <table> (<columns>) VALUES ($1, …)`, values from `values(record)`. */
      insert: `INSERT INTO ${name} (${list}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      /** The columns of `alias`, each as `<alias>_<column>`, for a join (read with `decode`). */
      aliased: (alias: string) =>
        columns.map((c) => `${alias}.${c.column} AS ${alias}_${c.column}`).join(', '),
      /** The record's values in column order; throws RangeError on a list it cannot store. */
      values: (record: T) =>
        columns.map((c) => c.encode((record as Record<string, unknown>)[c.key])),
      /** The record of a row (its columns read with `prefix`, for an aliased join). */
      decode(row: Row, prefix = ''): T {
        let names = prefixed.get(prefix)
        if (!names) {
          names = columns.map((c) => prefix + c.column)
          prefixed.set(prefix, names)
        }
        const record: Record<string, unknown> = {}
        for (let i = 0; i < columns.length; i++) {
          const c = columns[i] as (typeof columns)[number]
          record[c.key] = c.decode(row[names[i] as string])
        }
        return record as T
      },
      /** The records of the rows `text` returns. */
      all: (db: Db, text: string, values?: readonly unknown[]) =>
        db.query(text, values, (r) => r.rows.map((row) => mapping.decode(row))),
      /** For copying: up to `limit` records whose `key` column sorts after `after`, in its order. */
      page: (db: Db, key: string, after: string | null, limit: number) =>
        mapping.all(db, `SELECT * FROM ${name} WHERE ${key} > $1 ORDER BY ${key} LIMIT $2`, [
          after ?? '',
          limit,
        ]),
      /** The record of the first row `text` returns, or null. */
      first: (db: Db, text: string, values?: readonly unknown[]) =>
        db.query(text, values, (r) => (r.rows[0] ? mapping.decode(r.rows[0]) : null)),
    }
    return mapping
  }
