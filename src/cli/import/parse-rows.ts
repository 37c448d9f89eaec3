import { createInterface } from 'node:readline'
import { pipeline, type Readable, Transform } from 'node:stream'
import { CsvError, parse } from 'csv-parse'

export type ImportFormat = 'jsonl' | 'csv'

/** One record of the file: its fields, or why it could not be read. `line` counts from 1. */
export type RawRow =
  | { line: number; fields: Record<string, unknown> }
  | { line: number; error: string }

/** The format a file's extension names, or null. */
export function formatOfPath(path: string): ImportFormat | null {
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl'
  if (/\.csv$/i.test(path)) return 'csv'
  return null
}

/**
 * Reads records one at a time (never the whole file), skipping blank lines. A record that
 * cannot be read is yielded as an error and reading goes on, except after a CSV syntax error
 * that leaves the rest unreadable (an unclosed quote), which is yielded last.
 */
export function parseRows(
  input: Readable,
  format: ImportFormat,
  options: ParseOptions = {},
): AsyncGenerator<RawRow> {
  return format === 'jsonl' ? parseJsonLines(input) : parseCsv(input, options)
}

export interface ParseOptions {
  /** Why a CSV header cannot be used, or null; a bad header ends reading at line 1. */
  checkHeader?: (columns: string[]) => string | null
}

class HeaderError extends Error {}

/** No user record comes near this; a longer one is refused rather than parsed. */
const maxRecordChars = 65_536

async function* parseJsonLines(input: Readable): AsyncGenerator<RawRow> {
  let line = 0
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    line++
    if (text.trim() === '') continue
    if (text.length > maxRecordChars) {
      yield { line, error: `longer than ${maxRecordChars} characters` }
      continue
    }
    let value: unknown
    try {
      value = JSON.parse(line === 1 ? text.replace(/^\uFEFF/, '') : text)
    } catch (error) {
      yield { line, error: `not valid JSON (${(error as Error).message})` }
      continue
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, error: 'not a JSON object' }
      continue
    }
    yield { line, fields: value as Record<string, unknown> }
  }
}

async function* parseCsv(input: Readable, options: ParseOptions): AsyncGenerator<RawRow> {
  const columns = (header: string[]) => {
    const names = header.map((name) => name.trim())
    const problem = options.checkHeader?.(names)
    if (problem) throw new HeaderError(problem)
    return names
  }
  const parser = parse({
    bom: true,
    columns,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: maxRecordChars,
  })
  // pipeline, unlike pipe, passes a read error on to the parser, whose iteration then throws it.
  pipeline(input, lfLineEnds(), parser, () => {})
  try {
    for await (const { record, info } of parser as AsyncIterable<CsvRecord>) {
      // info.lines is where the record ends; a quoted field may span several lines.
      const breaks =
        Object.values(record)
          .join('')
          .match(/[\r\n]/g)?.length ?? 0
      const line = info.lines - breaks
      if (info.error) {
        const count = info.error.record?.length ?? 0
        const columns = info.columns.length
        // An unquoted argon2 hash ($argon2id$v=19$m=…,t=…,p=…$…) splits into three fields.
        const hint =
          count > columns ? ' (quote fields that hold commas, such as argon2 hashes)' : ''
        yield { line, error: `has ${count} fields; the header has ${columns}${hint}` }
        continue
      }
      // An empty field means "not given", like a missing key in JSON Lines.
      yield { line, fields: Object.fromEntries(Object.entries(record).filter(([, v]) => v !== '')) }
    }
  } catch (error) {
    if (error instanceof HeaderError) {
      yield { line: 1, error: `header: ${error.message}` }
      return
    }
    if (!(error instanceof CsvError)) throw error
    const line = typeof error.lines === 'number' ? error.lines : 0
    yield { line, error: `malformed CSV, reading stopped: ${error.message}` }
  }
}

interface CsvRecord {
  record: Record<string, string>
  info: { lines: number; columns: unknown[]; error?: { record?: unknown[] } }
}

const CR = 0x0d

/**
 * Rewrites CRLF as LF, byte for byte (neither byte occurs inside a UTF-8 sequence):
 * csv-parse counts the CR and the LF of a CRLF inside a quoted field as two lines, which
 * would shift every later line number.
 */
function lfLineEnds(): Transform {
  let heldCr = false
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let bytes = heldCr ? Buffer.concat([Buffer.of(CR), chunk]) : chunk
      heldCr = bytes.at(-1) === CR
      if (heldCr) bytes = bytes.subarray(0, -1)
      done(null, Buffer.from(bytes.toString('latin1').replaceAll('\r\n', '\n'), 'latin1'))
    },
    flush(done) {
      done(null, heldCr ? Buffer.of(CR) : null)
    },
  })
}
