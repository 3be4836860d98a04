#!/usr/bin/env node
'use strict'
/**
 * The benchmark's baseline: bare Express with express.json() running the SAME
 * compiled LangGraph graph as `langvel serve` (EchoAgent compiled with a
 * MemorySaver, one fresh thread per request), and nothing else — no request
 * ids, logging, metrics, security headers, limits or timeouts. The gap
 * between this and the full stack is what Langvel costs per request.
 *
 * Plain JavaScript, like the server it is compared with: the agent and the
 * graph builder come from the compiled output of `langvel build`
 * (`--code-root`, default build/ of the repository), so neither server runs
 * under tsx.
 *
 * @example
 * npx langvel build && node bench/baseline_server.js --port 0   # prints "Baseline ready at http://127.0.0.1:<port>"
 */
const { randomUUID } = require('node:crypto')
const { existsSync } = require('node:fs')
const { join, resolve } = require('node:path')
const { setTimeout } = require('node:timers')
const express = require('express')
const { MemorySaver } = require('@langchain/langgraph')

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : process.argv[index + 1]
}

function loadEchoAgent() {
  const codeRoot = resolve(option('code-root', join(__dirname, '..', 'build')))
  const file = join(codeRoot, 'app', 'agents', 'echo_agent.js')
  if (!existsSync(file)) throw new Error(`${file} not found: build the project first (npx langvel build) or pass --code-root <compiled project>`)
  return require(file).EchoAgent
}

async function main() {
  const EchoAgent = loadEchoAgent()
  const agent = await new EchoAgent().compile({ checkpointer: new MemorySaver() })
  const graph = agent.compiledGraph

  const app = express()
  app.use(express.json())
  app.post('/agents/echo', async (req, res) => {
    const query = req.body && req.body.input && req.body.input.query
    if (typeof query !== 'string' || query.length === 0) {
      res.status(422).json({ error: 'input.query must be a non-empty string' })
      return
    }
    const threadId = randomUUID()
    const output = await graph.invoke({ query }, { configurable: { thread_id: threadId } })
    res.json({ output, thread_id: threadId })
  })

  // Bound to loopback only: the benchmark never exposes a port.
  const server = app.listen(Number(option('port', '0')), '127.0.0.1', () => {
    process.stdout.write(`Baseline ready at http://127.0.0.1:${server.address().port} (pid ${process.pid})\n`)
  })
  server.on('error', (error) => {
    process.stderr.write(`${error.stack}\n`)
    process.exit(1)
  })
  const stop = () => {
    server.close(() => process.exit(0))
    server.closeAllConnections()
    setTimeout(() => process.exit(0), 2000).unref()
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`)
  process.exit(1)
})
