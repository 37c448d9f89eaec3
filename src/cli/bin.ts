#!/usr/bin/env node
import { loadDotEnv } from '../dot-env.js'
import { runCli } from './main.js'

loadDotEnv()
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Expected failures were reported in one line by runCli; this is a bug, so keep its stack.
    console.error('portcullis: unexpected error:', error)
    process.exit(1)
  },
)
