import type { FastifyInstance } from 'fastify'
import { invalidRequest } from '../errors.js'
import { maxJsonDepth } from './limits.js'

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** The index just past the string that opens at `start` (a quote) in valid JSON. */
function stringEnd(text: string, start: number): number {
  let from = start + 1
  for (;;) {
    const quote = text.indexOf('"', from)
    let backslashes = 0
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return quote + 1
    from = quote + 1
  }
}

/** A field path as the error names it: JSON-quoted (escapes controls), at most 64 characters. */
function fieldName(path: string): string {
  return JSON.stringify(path.length > 64 ? `${path.slice(0, 64)}…` : path)
}

/**
 * What is wrong with a JSON text beyond its syntax, as a sentence for a 400, or null: a key
 * repeated in one object, at any depth (named by its dotted path: `roles`, `a.b`,
 * `items.2.name`), or nesting deeper than `maxDepth`. `text` must be valid JSON (parse it
 * first). Keys compare after unescaping, so `"a"` and `"\u0061"` are the same key. Iterative
 * and linear in the length of the text: no nesting can overflow the stack here.
 */
export function jsonBodyProblem(text: string, maxDepth: number): string | null {
  // One entry per open container: its keys so far (null for an array), and the key or index
  // of the member being read.
  const keys: (Set<string> | null)[] = []
  const members: (string | number)[] = []
  let depth = 0
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const end = stringEnd(text, i)
      const seen = keys[depth - 1]
      if (expectKey && seen) {
        const raw = text.slice(i, end)
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1)
        members[depth - 1] = key
        if (seen.has(key)) return `duplicate field ${fieldName(members.slice(0, depth).join('.'))}`
        seen.add(key)
        expectKey = false
      }
      i = end - 1
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth === maxDepth) return `the body is nested deeper than ${maxDepth} levels`
      keys[depth] = c === 0x7b ? new Set() : null
      members[depth] = 0
      depth++
      expectKey = c === 0x7b
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--
      keys[depth] = null
      expectKey = false
    } else if (c === 0x2c /* , */) {
      if (keys[depth - 1]) expectKey = true
      else members[depth - 1] = (members[depth - 1] as number) + 1
    }
  }
  return null
}

/**
 * Replaces Fastify's JSON body parser with one that also refuses a key repeated in one object
 * (400 invalid_request naming it) and nesting deeper than `maxJsonDepth` (no field of this API
 * comes near it; deeper bodies would overflow the stack of recursive code downstream, a 500).
 * JSON.parse keeps the last of repeated keys while another reader (a proxy, a WAF, a log pipeline) may keep the first: RFC 8259 §4 leaves it open, so
 * the only safe reading is none. Fastify's own parser still does the parsing and its
 * prototype-poisoning checks; the scan runs on bodies it accepted, within each route's body
 * limit.
 */
export function refuseDuplicateJsonKeys(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, raw, done) => {
    // parseAs 'string' hands over a string; the parser type allows either.
    const body = raw as string
    // The default parser calls back synchronously; its type also allows a promise.
    void parse(request, body, (error, value) => {
      if (error) return done(error, undefined)
      const problem = jsonBodyProblem(body, maxJsonDepth)
      if (problem !== null) return done(invalidRequest(problem), undefined)
      done(null, value)
    })
  })
}
