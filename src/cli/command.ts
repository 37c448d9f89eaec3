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

/** Writes one line to a stream. */
export const println = (stream: NodeJS.WritableStream, line = '') => stream.write(`${line}\n`)
