import type { NewUser, UserStore } from '../../store/store.js'
import type { RawRow } from './parse-rows.js'
import { type RowContext, validateRow } from './validate-row.js'

export interface ImportOptions {
  /** Users inserted per transaction. */
  batchSize: number
  context: RowContext
  /** How many rejections to keep for the report (all are counted). */
  keepRejections: number
  /** Called after each row with the number of rows read so far. */
  onProgress?: (rows: number) => void
}

export interface Rejection {
  line: number
  reason: string
}

export interface ImportSummary {
  /** Rows read, rejected ones included. */
  rows: number
  valid: number
  imported: number
  /** Valid rows whose id, username or email was taken already (also by an earlier row). */
  skipped: number
  rejected: number
  /** The first `keepRejections` rejections, in file order. */
  rejections: Rejection[]
}

/**
 * Validates every row and inserts the valid ones in batches with `importMany`, which skips a
 * user whose id, username or email is taken: importing the same file again changes nothing.
 * Bad rows are counted and the first few kept with their line and reason; the rest go on.
 * A dry run passes a store that writes nothing (dryRunImporter) and gets the same summary.
 */
export async function importUsers(
  rows: AsyncIterable<RawRow>,
  store: Pick<UserStore, 'importMany'>,
  options: ImportOptions,
): Promise<ImportSummary> {
  const summary: ImportSummary = {
    rows: 0,
    valid: 0,
    imported: 0,
    skipped: 0,
    rejected: 0,
    rejections: [],
  }
  const reject = (line: number, reason: string) => {
    summary.rejected++
    if (summary.rejections.length < options.keepRejections) {
      summary.rejections.push({ line, reason })
    }
  }
  let batch: NewUser[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const inserted = await store.importMany(batch)
    const count = inserted.filter(Boolean).length
    summary.imported += count
    summary.skipped += inserted.length - count
    batch = []
  }
  for await (const row of rows) {
    summary.rows++
    if ('error' in row) {
      reject(row.line, row.error)
    } else {
      const result = validateRow(row.fields, options.context)
      if (result.ok) {
        summary.valid++
        batch.push(result.user)
      } else {
        reject(row.line, result.reason)
      }
    }
    if (batch.length >= options.batchSize) await flush()
    options.onProgress?.(summary.rows)
  }
  await flush()
  return summary
}
