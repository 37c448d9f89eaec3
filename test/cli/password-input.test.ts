import assert from 'node:assert/strict'
import { once } from 'node:events'
import { PassThrough } from 'node:stream'
import { describe, it } from 'node:test'
import { stripVTControlCharacters } from 'node:util'
import { promptHidden, readNewPassword } from '../../src/cli/password-input.js'

/** A terminal stand-in: what is typed goes to `input`; what is shown collects in `shown()`. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true })
  const output = new PassThrough()
  let shown = ''
  output.on('data', (d) => {
    shown += d
  })
  return { input, output, shown: () => shown }
}

/** Resolves once the terminal shows `text`. */
async function waitFor(tty: ReturnType<typeof fakeTerminal>, text: string) {
  while (!tty.shown().includes(text)) await once(tty.output, 'data')
}

describe('password input', () => {
  it('prompts twice on a terminal without echoing what is typed', async () => {
    const tty = fakeTerminal()
    const io = { stdin: tty.input, stdout: new PassThrough(), stderr: tty.output }
    const password = readNewPassword(io)
    await waitFor(tty, 'Password: ')
    tty.input.write('tr0ub4dor & 3 horses\r')
    await waitFor(tty, 'Repeat password: ')
    tty.input.write('tr0ub4dor & 3 horses\r')
    assert.equal(await password, 'tr0ub4dor & 3 horses')
    assert.equal(stripVTControlCharacters(tty.shown()), 'Password: \nRepeat password: \n')
  })

  it('refuses two different answers', async () => {
    const tty = fakeTerminal()
    const answers = readNewPassword({
      stdin: tty.input,
      stdout: new PassThrough(),
      stderr: tty.output,
    })
    await waitFor(tty, 'Password: ')
    tty.input.write('one\r')
    await waitFor(tty, 'Repeat password: ')
    tty.input.write('two\r')
    await assert.rejects(answers, { name: 'CliError', message: 'the passwords do not match' })
  })

  it('is cancelled by Ctrl-C', async () => {
    const tty = fakeTerminal()
    const answer = promptHidden(['Password: '], tty.input, tty.output)
    await waitFor(tty, 'Password: ')
    tty.input.write('\x03')
    await assert.rejects(answer, { name: 'CliError', message: 'cancelled' })
  })

  it('reads all of a piped stdin less one trailing newline', async () => {
    const stdin = new PassThrough()
    stdin.end('  spaces kept  \n')
    const password = await readNewPassword({
      stdin,
      stdout: new PassThrough(),
      stderr: new PassThrough(),
    })
    assert.equal(password, '  spaces kept  ')
  })
})
