import type { ParseArgsConfig } from 'node:util'
import type { Config } from '../config.js'
import type { Services } from '../services.js'
import type { Store } from '../store/store.js'

/** The process streams a command reads and writes; a TTY changes prompting and progress. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean }
}

/** What a command is given: its parsed arguments and, as it declared in `needs`, the server's parts. */
export interface CommandInput {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
  io: CliIo
  config: Config
  store: Store
  services: Services
}

/**
 * One `portcullis` command. The dispatcher parses its options strictly, answers `--help` with
 * `help`, opens only what `needs` asks for (config, the store, or every service) and closes it.
 */
export interface Command {
  /** Its words after `portcullis`, e.g. `users create`. */
  name: string
  /** One line for `portcullis --help`. */
  summary: string
  /** Usage and options, printed by `--help`. */
  help: string
  options?: ParseArgsConfig['options']
  /** Names of its positional arguments, all required (e.g. `['FILE']`). */
  args?: string[]
  needs: 'nothing' | 'config' | 'store' | 'services'
  /** Returns the exit code: 0 done, 1 failed (after saying why). */
  run(input: CommandInput): Promise<number>
}

/** Wrong use of the command line: exit 2 with one line. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** An expected failure (no such user, unreadable file): exit 1 with one line. */
export class CliError extends Error {
  override name = 'CliError'
}

// Control characters (C0 with tab and line feed, DEL, C1), format characters (bidi overrides and
// isolates, zero-width ones) and the Unicode line separators: text from a file, the database or
// an error message must neither drive the operator's terminal (ESC) nor reorder, hide or forge
// what it shows (a bidi override, a line break that starts a fake line).
const unsafe = /[\p{Cc}\p{Cf}\u2028\u2029]/gu

const escaped = (c: string) => {
  const code = c.codePointAt(0) ?? 0
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`
  return `\\u{${code.toString(16)}}`
}

/**
 * `text` with every control and format character written as a visible escape (`\x1b`,
 * `\u202e`); line feeds are kept only when `keepLineBreaks` is set.
 */
export const printable = (text: string, keepLineBreaks = false) =>
  text.replace(unsafe, (c) => (keepLineBreaks && c === '\n' ? c : escaped(c)))

/**
 * Writes one line to a stream: the CLI's one writer of messages. Every control character in it
 * is escaped, a line break too, so nothing a message quotes can start a line of its own.
 */
export const println = (stream: NodeJS.WritableStream, line = '') =>
  stream.write(`${printable(line)}\n`)

/** Writes text of several lines (help, tables), escaped as `println` does but for line feeds. */
export const printLines = (stream: NodeJS.WritableStream, text: string) =>
  stream.write(`${printable(text, true)}\n`)
