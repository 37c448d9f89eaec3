import { createInterface } from 'node:readline/promises'
import { Writable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { CliError, type CliIo } from './command.js'

/**
 * Reads a new password: on a terminal, prompted twice on stderr without echo; otherwise all of
 * standard input, less one trailing newline. Never from argv, which leaks through shell
 * history and `ps`.
 */
export async function readNewPassword(io: CliIo): Promise<string> {
  if (!io.stdin.isTTY) {
    const password = (await text(io.stdin)).replace(/\r?\n$/, '')
    if (password === '') throw new CliError('no password on standard input')
    return password
  }
  const [first, second] = await promptHidden(
    ['Password: ', 'Repeat password: '],
    io.stdin,
    io.stderr,
  )
  if (first !== second) throw new CliError('the passwords do not match')
  return first ?? ''
}

/** Asks each question on `output` in turn and reads one line for each from `input`, echo off. */
export async function promptHidden(
  questions: string[],
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<string[]> {
  let muted = false
  // readline echoes what is typed to its output; this output drops everything while muted.
  const echo = new Writable({
    write(chunk, encoding, done) {
      if (!muted) output.write(chunk, encoding)
      done()
    },
  })
  const cancel = new AbortController()
  const rl = createInterface({ input, output: echo, terminal: true })
  rl.on('SIGINT', () => cancel.abort())
  const answers: string[] = []
  try {
    for (const question of questions) {
      muted = false
      const answer = rl.question(question, { signal: cancel.signal })
      muted = true
      answers.push(await answer)
      output.write('\n')
    }
    return answers
  } catch (error) {
    if (cancel.signal.aborted) {
      output.write('\n')
      throw new CliError('cancelled')
    }
    throw error
  } finally {
    rl.close()
  }
}
