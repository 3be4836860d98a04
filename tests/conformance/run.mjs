#!/usr/bin/env node
// Runs LangGraph's checkpointer conformance suite (@langchain/langgraph-checkpoint-validation)
// against every Langvel checkpointer driver: memory, sqlite, postgres, redis.
//
//   node tests/conformance/run.mjs [driver...]
//
// The suite is vitest-based, so it runs here under vitest rather than jest. The
// package's own `validate-checkpointer` CLI cannot load an initializer in
// v1.1.1 (its runner imports helpers its build does not export), so this script
// drives vitest with the package's exported `specTest` instead.
//
// Postgres and Redis drivers are skipped with a visible message when the
// service is unreachable, and fail instead when LANGVEL_TEST_REQUIRE_SERVICES=1.
// Exit status is non-zero when any test fails.
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startVitest } from 'vitest/node'

const DRIVERS = ['memory', 'sqlite', 'postgres', 'redis']
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const requested = process.argv.slice(2)
const unknown = requested.filter((name) => !DRIVERS.includes(name))
if (unknown.length > 0) {
  console.error(`Unknown driver(s): ${unknown.join(', ')}. Available: ${DRIVERS.join(', ')}`)
  process.exit(2)
}
const drivers = requested.length > 0 ? requested : DRIVERS

process.env.APP_ENV ??= 'test'
process.env.LOG_LEVEL ??= 'error'

const vitest = await startVitest('test', [], {
  root,
  config: false,
  watch: false,
  globals: true,
  include: drivers.map((driver) => `tests/conformance/${driver}.conformance.ts`),
  reporters: ['default'],
  testTimeout: 30_000,
  hookTimeout: 30_000,
})

const failed = !vitest || vitest.state.getCountOfFailedTests() > 0 || vitest.state.getUnhandledErrors().length > 0
await vitest?.close()
process.exit(failed || (process.exitCode ?? 0) !== 0 ? 1 : 0)
