#!/usr/bin/env node
'use strict'
/**
 * A stand-in OpenTelemetry collector for the tracing benchmark: accepts OTLP
 * over HTTP as JSON on POST /v1/traces, answers 200 with an empty
 * ExportTraceServiceResponse, and counts what arrived so the benchmark can
 * show the spans of the traced server reached a collector. GET /stats
 * answers the counts. Nothing is stored: memory stays flat however long the
 * run.
 *
 * A process of its own, like a real collector: its JSON parsing never runs
 * on the load generator's event loop.
 *
 * @example
 * node bench/otlp_receiver.js --port 0   # prints "OTLP receiver ready at http://127.0.0.1:<port> (pid N)"
 */
const { Buffer } = require('node:buffer')
const http = require('node:http')
const { setTimeout } = require('node:timers')

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`)
  return index === -1 ? fallback : process.argv[index + 1]
}

/** OTLP/HTTP bodies are small batches (512 spans at most from Langvel); anything far above is refused, not buffered. */
const MAX_BODY_BYTES = 32 * 1024 * 1024

const MAX_NAMES = 100

const stats = {
  /** POST /v1/traces answered 200. */
  exports: 0,
  spans: 0,
  /** Spans without a parent: one per trace the server started. */
  rootSpans: 0,
  /** Spans per name, e.g. "POST /agents/:path", "invoke_agent EchoAgent", "node process". */
  spansByName: {},
  bytes: 0,
  /** Requests refused: not JSON, not an OTLP trace export, too large. */
  refused: 0,
}

/** Counts the spans of one ExportTraceServiceRequest; throws when the body is not one. */
function count(body) {
  const request = JSON.parse(body)
  if (!request || !Array.isArray(request.resourceSpans)) throw new Error('expected an ExportTraceServiceRequest with resourceSpans')
  let spans = 0
  let roots = 0
  const names = {}
  for (const resource of request.resourceSpans) {
    for (const scope of (resource && resource.scopeSpans) || []) {
      for (const span of (scope && scope.spans) || []) {
        spans++
        if (!span.parentSpanId) roots++
        const name = typeof span.name === 'string' ? span.name : '(unnamed)'
        names[name] = (names[name] || 0) + 1
      }
    }
  }
  return { spans, roots, names }
}

function answer(res, status, body) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') return answer(res, 200, stats)
  if (req.method !== 'POST' || req.url !== '/v1/traces') return answer(res, 404, { error: 'E_NOT_FOUND', message: 'POST /v1/traces or GET /stats' })
  const chunks = []
  let size = 0
  let tooLarge = false
  req.on('data', (chunk) => {
    size += chunk.length
    if (size > MAX_BODY_BYTES) tooLarge = true
    else chunks.push(chunk)
  })
  req.on('end', () => {
    if (tooLarge) {
      stats.refused++
      return answer(res, 413, { error: 'E_PAYLOAD_TOO_LARGE', message: `more than ${MAX_BODY_BYTES} bytes` })
    }
    let counted
    try {
      counted = count(Buffer.concat(chunks).toString('utf8'))
    } catch (error) {
      stats.refused++
      return answer(res, 400, { error: 'E_BAD_REQUEST', message: error instanceof Error ? error.message : String(error) })
    }
    stats.exports++
    stats.bytes += size
    stats.spans += counted.spans
    stats.rootSpans += counted.roots
    for (const [name, spans] of Object.entries(counted.names)) {
      // Names are few (templates, not URLs); past MAX_NAMES the rest are lumped so the counts stay bounded.
      const key = name in stats.spansByName || Object.keys(stats.spansByName).length < MAX_NAMES ? name : '(other)'
      stats.spansByName[key] = (stats.spansByName[key] || 0) + spans
    }
    answer(res, 200, {})
  })
})

// Bound to loopback only: the benchmark never exposes a port.
server.listen(Number(option('port', '0')), '127.0.0.1', () => {
  process.stdout.write(`OTLP receiver ready at http://127.0.0.1:${server.address().port} (pid ${process.pid})\n`)
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
