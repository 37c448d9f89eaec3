import { parseArgs } from 'node:util'
import {
  type CliIo,
  type Command,
  type CommandInput,
  printLines,
  println,
  UsageError,
} from './command.js'
import { commands } from './commands.js'
import { openContext } from './context.js'
import { errorLine } from './error-line.js'
import { packageVersion } from './version.js'

/** The old flat names, still accepted. */
const aliases: Record<string, string[]> = {
  'create-user': ['users', 'create'],
  'disable-user': ['users', 'disable'],
  'enable-user': ['users', 'enable'],
}

const processIo: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }

/**
 * Runs `portcullis <command> [options]`; returns the exit code: 0 done, 1 failed, 2 wrong usage.
 * Every expected failure prints one line, `portcullis <command>: <why>`, to stderr.
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [first = '', ...rest] = argv
  if (argv.length === 1 && (first === '--version' || first === '-V')) {
    println(io.stdout, `portcullis ${packageVersion()}`)
    return 0
  }
  const args = aliases[first] ? [...(aliases[first] ?? []), ...rest] : argv
  const command = findCommand(args)
  const name = command ? `portcullis ${command.name}` : 'portcullis'
  try {
    if (!command) return showGuide(args, io)
    return await runCommand(command, args.slice(command.name.split(' ').length), io)
  } catch (error) {
    const line = errorLine(error)
    if (!line) throw error
    // A usage error names the command's synopsis on the same line: the one line says it all.
    const synopsis = line.code === 2 && command ? ` (${command.help.split('\n')[0]})` : ''
    println(io.stderr, `${name}: ${line.message}${synopsis}`)
    return line.code
  }
}

function findCommand(args: string[]): Command | undefined {
  const two = args.slice(0, 2).join(' ')
  return commands.find((c) => c.name === two) ?? commands.find((c) => c.name === args[0])
}

async function runCommand(command: Command, args: string[], io: CliIo): Promise<number> {
  const parsed = parseArgs({
    args,
    options: { ...command.options, help: { type: 'boolean', short: 'h' } },
    allowPositionals: (command.args?.length ?? 0) > 0,
    strict: true,
  })
  // Every option is a single string or boolean: none is declared `multiple`.
  const values = parsed.values as CommandInput['values']
  const { positionals } = parsed
  if (values.help) {
    printLines(io.stdout, command.help)
    return 0
  }
  const expected = command.args ?? []
  if (positionals.length !== expected.length) {
    throw new UsageError(`expects ${expected.join(' ') || 'no arguments'}`)
  }
  const context = await openContext(command.needs)
  const need = <T>(part: T | undefined): T => {
    if (part === undefined) throw new Error(`${command.name} did not declare that it needs this`)
    return part
  }
  const input: CommandInput = {
    values,
    positionals,
    io,
    get config() {
      return need(context.config)
    },
    get store() {
      return need(context.store)
    },
    get services() {
      return need(context.services)
    },
  }
  try {
    return await command.run(input)
  } finally {
    await context.close()
  }
}

/** `portcullis`, `portcullis --help`, `portcullis users`, or an unknown command. */
function showGuide(args: string[], io: CliIo): number {
  const group = args[0] && !args[0].startsWith('-') ? args[0] : undefined
  const listed = commands.filter((c) => !group || c.name.startsWith(`${group} `))
  const wantsHelp = args.includes('--help') || args.includes('-h')
  if (group && listed.length === 0) {
    throw new UsageError(`unknown command "${group}" (see portcullis --help)`)
  }
  if (group && args[1] && !args[1].startsWith('-')) {
    throw new UsageError(`unknown command "${group} ${args[1]}" (see portcullis ${group} --help)`)
  }
  if (!wantsHelp && args.length > 0 && !group) {
    throw new UsageError(`unknown option ${args[0]} (see portcullis --help)`)
  }
  const width = Math.max(...listed.map((c) => c.name.length)) + 2
  const lines = listed.map((c) => `  ${c.name.padEnd(width)}${c.summary}`)
  printLines(
    wantsHelp ? io.stdout : io.stderr,
    [
      `usage: portcullis ${group ?? '<command>'} ${group ? '<command> ' : ''}[options]`,
      '',
      'commands:',
      ...lines,
      '',
      `Run portcullis <command> --help for its options. Settings and the database come from the`,
      `same PORTCULLIS_* variables (and .env file) as the server. portcullis --version prints`,
      `the version.`,
    ].join('\n'),
  )
  return wantsHelp ? 0 : 2
}
