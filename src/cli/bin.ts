#!/usr/bin/env node
import { ConfigError } from '../config.js'
import { ApiError } from '../errors.js'
import { runCli } from './main.js'

runCli(process.argv.slice(2), process.stdin).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof ApiError) {
      console.error(`portcullis: ${error.message}`)
    } else {
      console.error('portcullis: failed:', error)
    }
    process.exit(1)
  },
)
