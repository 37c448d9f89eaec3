#!/usr/bin/env node
import { inspect } from 'node:util'
import { loadDotEnv } from '../dot-env.js'
import { printLines } from './command.js'
import { runCli } from './main.js'

loadDotEnv()
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Expected failures were reported in one line by runCli; this is a bug, so keep its stack.
    printLines(process.stderr, `portcullis: unexpected error: ${inspect(error)}`)
    process.exit(1)
  },
)
