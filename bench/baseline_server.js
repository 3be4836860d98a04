#!/usr/bin/env node
'use strict'
/**
 * The benchmark's baseline: bare Express with express.json() running the SAME
 * compiled LangGraph graph as `langvel serve` (EchoAgent compiled with a
 * MemorySaver, one fresh thread per request), and nothing else — no request
 * ids, logging, metrics, security headers, limits or timeouts. The gap
 * between this and the full stack is what Langvel costs per request.
 *
 * Plain JavaScript on purpose; tsx is registered only so the agent (and the
 * graph builder it uses) can be imported from TypeScript, which happens once
 * at start, never per request.
 *
 * @example
 * node bench/baseline_server.js --port 0   # prints "Baseline ready at http://127.0.0.1:<port>"
 */
require('tsx/cjs/api').register()

const { randomUUID } = require('node:crypto')
const { setTimeout } = require('node:timers')
const express = require('express')
const { MemorySaver } = require('@langchain/langgraph')
const { EchoAgent } = require('../app/agents/echo_agent.ts')

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : process.argv[index + 1]
}

async function main() {
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
