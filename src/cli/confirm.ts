import { createInterface } from 'node:readline/promises'
import { CliError, type CliIo, UsageError } from './command.js'

/**
 * Asks before an irreversible step. With `--yes` it goes ahead; on a terminal it asks `question`
 * on stderr and goes ahead only on "y" or "yes" (else a CliError: nothing was done); with
 * standard input not a terminal it refuses without `--yes`, so a script never hangs on a prompt
 * nor acts on input meant for something else.
 */
export async function confirm(question: string, io: CliIo, yes: boolean): Promise<void> {
  if (yes) return
  if (!io.stdin.isTTY) {
    throw new UsageError('--yes is required when standard input is not a terminal')
  }
  const cancel = new AbortController()
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: true })
  rl.on('SIGINT', () => cancel.abort())
  let answer = ''
  try {
    answer = await rl.question(`${question} [y/N] `, { signal: cancel.signal })
  } catch (error) {
    if (!cancel.signal.aborted) throw error
    io.stderr.write('\n')
  } finally {
    rl.close()
  }
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('cancelled; nothing was changed')
}
