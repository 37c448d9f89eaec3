import type { Row } from './sql.js'

/**
 * How a record field is stored: as it is (text, numbers, ISO-8601 timestamps, null), as 1/0
 * (`bool`), or as space-separated text (`list`; `roles` is a list that is never empty).
 */
export type Kind = 'value' | 'bool' | 'list' | 'roles'

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

const encoders: Record<Kind, (v: unknown) => unknown> = {
  value: (v) => v,
  bool: (v) => v === true,
  list: (v) => encodeList(v as string[]),
  roles: (v) => encodeRoles(v as string[]),
}
const decoders: Record<Kind, (v: unknown) => unknown> = {
  value: (v) => v,
  bool: (v) => v === 1,
  list: (v) => decodeList(v as string),
  roles: (v) => decodeList(v as string),
}

/**
 * The mapping of table `name` whose columns are the record's fields in snake_case, in the
 * order given; every field of the record must be listed (a new column costs one line here).
 */
export function table<T>(name: string, fields: { [K in keyof T]-?: Kind }): Table<T> {
  const columns = Object.entries(fields as Record<string, Kind>).map(([key, kind]) => ({
    key,
    column: key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
    encode: encoders[kind],
    decode: decoders[kind],
  }))
  const prefixed = new Map<string, string[]>()
  const namesFor = (prefix: string) => {
    let names = prefixed.get(prefix)
    if (!names) {
      names = columns.map((c) => prefix + c.column)
      prefixed.set(prefix, names)
    }
    return names
  }
  const list = columns.map((c) => c.column).join(', ')
  const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ')
  return {
    columns: list,
    insert: `INSERT INTO ${name} (${list}) VALUES (${placeholders})`,
    aliased: (alias) =>
      columns.map((c) => `${alias}.${c.column} AS ${alias}_${c.column}`).join(', '),
    values: (record) => columns.map((c) => c.encode((record as Record<string, unknown>)[c.key])),
    decode(row, prefix = '') {
      const names = namesFor(prefix)
      const record: Record<string, unknown> = {}
      for (let i = 0; i < columns.length; i++) {
        const c = columns[i] as (typeof columns)[number]
        record[c.key] = c.decode(row[names[i] as string])
      }
      return record as T
    },
  }
}
