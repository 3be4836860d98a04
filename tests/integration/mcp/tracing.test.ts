import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { E_MCP_TOOL_ERROR } from '../../../framework/errors'
import { clearActiveTracing, setActiveTracing } from '../../../framework/tracing'
import { OtelTracing } from '../../../framework/tracing/otel_tracing'
import { closeManagers, harness, killTagged, stdioServer } from './support/fixture'

/* MCP tool calls as CLIENT spans, on the fixture server over stdio. */

const exporter = new InMemorySpanExporter()
const tracing = new OtelTracing({ serviceName: 'mcp-tracing', spanProcessors: [new SimpleSpanProcessor(exporter)] })
const server = stdioServer('fx')

beforeAll(() => setActiveTracing(tracing))
afterAll(async () => {
  await closeManagers()
  killTagged(server.tag)
  clearActiveTracing(tracing)
  await tracing.shutdown()
})

describe('MCP tool call spans', () => {
  it('makes a tools/call CLIENT span naming the server and the tool, and records a tool error with its code', async () => {
    const { manager } = harness([server])
    const result = await manager.call('fx', 'add', { a: 2, b: 3 })
    expect(result.text).toContain('5')
    await expect(manager.call('fx', 'fail', {})).rejects.toBeInstanceOf(E_MCP_TOOL_ERROR)

    const [ok, failed] = exporter.getFinishedSpans().filter((span) => span.name === 'tools/call')
    expect(ok.kind).toBe(SpanKind.CLIENT)
    expect(ok.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add', 'langvel.mcp.server': 'fx' })
    expect(ok.status.code).toBe(SpanStatusCode.UNSET)
    expect(failed.attributes['gen_ai.tool.name']).toBe('fail')
    expect(failed.status.code).toBe(SpanStatusCode.ERROR)
    expect(failed.attributes['langvel.error.code']).toBe('E_MCP_TOOL_ERROR')
  })
})
