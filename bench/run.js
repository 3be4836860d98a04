#!/usr/bin/env node
'use strict'
// `npm run bench [-- load|memory|rag|bus ...]`. The benchmark harness is TypeScript
// (type-checked with the project), development tooling that tsx compiles once
// here. The servers it measures are separate processes running the compiled
// JavaScript of `langvel build`, as in production: no tsx.
require('tsx/cjs/api').register()
const { main } = require('./cli.ts')

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`)
    process.exitCode = 1
  },
)
