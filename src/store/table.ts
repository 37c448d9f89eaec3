import type { Db, Row } from './sql.js'

/**
 * How a record field is stored, when not as it is (text, numbers, ISO-8601 timestamps, null):
 * as 1/0 (`bool`), or as space-separated text (`list`; `roles` is a list that is never empty).
 */
export type Kind = 'bool' | 'list' | 'roles'

/** A table's one mapping between its records and its rows, for both engines. */
export interface Table<T> {
  /** The column names in the order of `values`, comma-separated. */
  readonly columns: string
  /** `INSERT INTO <table> (<columns>) VALUES ($1, …)`, values from `values(record)`. */
  readonly insert: string
  /** The columns of `alias`, each as `<alias>_<column>`, for a join (read with `decode`). */
  aliased(alias: string): string
  /** The record's values in column order; throws RangeError on a list it cannot store. */
  values(record: T): unknown[]
  /** The record of a row (its columns read with `prefix`, for an aliased join). */
  decode(row: Row, prefix?: string): T
  /** The records of the rows `text` returns. */
  all(db: Db, text: string, values?: readonly unknown[]): Promise<T[]>
  /** The record of the first row `text` returns, or null. */
  first(db: Db, text: string, values?: readonly unknown[]): Promise<T | null>
}

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

const same = (v: unknown) => v
const encoders = { bool: (v: unknown) => v === true, list: encodeList, roles: encodeRoles }
const decoders = { bool: (v: unknown) => v === 1, list: decodeList, roles: decodeList }

type Words<S extends string> = S extends `${infer W} ${infer R}` ? W | Words<R> : S
/** `S` when its words are exactly the fields of `T`, none missing and none more. */
type Fields<T, S extends string> = [
  Exclude<keyof T, Words<S>>,
  Exclude<Words<S>, keyof T>,
] extends [never, never]
  ? S
  : 'every field of the record, and only those'

/**
 * The mapping of table `name` for records `T`: `fields` lists every field of `T` (checked at
 * compile time) in column order, each stored in the column of its snake_case name, as it is
 * unless `kinds` says otherwise. Adding a column costs one word here.
 */
export const table =
  <T>() =>
  <S extends string>(
    name: string,
    fields: S & Fields<T, S>,
    kinds: Partial<Record<keyof T, Kind>> = {},
  ) => {
    const columns = fields.split(' ').map((key) => {
      const kind = kinds[key as keyof T]
      return {
        key,
        column: key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        encode: (kind ? encoders[kind] : same) as (v: unknown) => unknown,
        decode: (kind ? decoders[kind] : same) as (v: unknown) => unknown,
      }
    })
    const prefixed = new Map<string, string[]>()
    const list = columns.map((c) => c.column).join(', ')
    const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ')
    const mapping: Table<T> = {
      columns: list,
      insert: `INSERT INTO ${name} (${list}) VALUES (${placeholders})`,
      aliased: (alias) =>
        columns.map((c) => `${alias}.${c.column} AS ${alias}_${c.column}`).join(', '),
      values: (record) => columns.map((c) => c.encode((record as Record<string, unknown>)[c.key])),
      decode(row, prefix = '') {
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
      all: async (db, text, values) =>
        (await db.query(text, values)).rows.map((row) => mapping.decode(row)),
      async first(db, text, values) {
        const [row] = (await db.query(text, values)).rows
        return row ? mapping.decode(row) : null
      },
    }
    return mapping
  }
