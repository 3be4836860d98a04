#!/usr/bin/env node
'use strict'
/*
 * The MCP fixture server (tests/fixtures/mcp/server.cjs) behind a few test
 * switches that the fixture itself does not have, all read from the env:
 *
 *   MCP_RECORD_FILE=path     every byte the client writes to stdin is appended
 *                            to this file too (what was sent, proved by the bytes)
 *   MCP_GATE_FILE=path       until this file exists the process writes
 *                            `gate closed` to stderr and exits with code 1
 *   MCP_START_DELAY_MS=N     the fixture starts after N ms (a slow start; not with
 *                            MCP_RECORD_FILE, whose listener would take the early bytes)
 *
 * The protocol is the fixture's own: nothing here reads or answers messages.
 */
const fs = require('node:fs')
const path = require('node:path')
const { setTimeout } = require('node:timers')

const fixture = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'mcp', 'server.cjs')

const gate = process.env.MCP_GATE_FILE
if (gate && !fs.existsSync(gate)) {
  process.stderr.write('gate closed\n')
  process.exit(1)
}

const record = process.env.MCP_RECORD_FILE
// A second listener beside the fixture's: both get every chunk (no data event can come before the fixture attaches its own, within this turn).
if (record) process.stdin.on('data', (chunk) => fs.appendFileSync(record, chunk))

const delay = Number(process.env.MCP_START_DELAY_MS || 0)
if (delay > 0) setTimeout(() => require(fixture), delay)
else require(fixture)
