import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Receiver } from './receiver'

/**
 * The Langfuse backend in a process of its own (fixtures/langfuse_process.ts),
 * into a local OTLP receiver: an agent run started under another run's
 * callbacks is a trace of its own named after the route, and spans that end
 * after the backend shut down go nowhere (not to the process-wide provider).
 */

const scratch = mkdtempSync(join(tmpdir(), 'langvel-langfuse-'))
const entry = join(scratch, 'run.js')
writeFileSync(entry, `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register()\nrequire(${JSON.stringify(join(__dirname, 'fixtures', 'langfuse_process.ts'))})\n`)
let receiver: Receiver | undefined

afterAll(async () => {
  await receiver?.stop()
  rmSync(scratch, { recursive: true, force: true })
})

interface OtlpSpan {
  name: string
  traceId: string
  parentSpanId?: string
  attributes: Array<{ key: string; value: Record<string, unknown> }>
}

it('names a nested agent run after the route, and sends nothing of Langfuse to the global provider after shutdown', async () => {
  receiver = await new Receiver().start()
  const { stdout } = await promisify(execFile)(process.execPath, [entry, receiver.url], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, timeout: 60_000 })
  const { globalSpans } = JSON.parse(stdout.trim().split('\n').pop()!) as { globalSpans: string[] }
  expect(globalSpans).toEqual([])

  const spans = receiver.uploads.flatMap((request) =>
    (JSON.parse(request.body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }).resourceSpans.flatMap((group) => group.scopeSpans.flatMap((scope) => scope.spans)),
  )
  const roots = spans.filter((span) => !span.parentSpanId)
  expect(roots.map((span) => span.name)).toEqual(['support-route'])
  const attrs = Object.fromEntries(roots[0].attributes.map((a) => [a.key, Object.values(a.value)[0]]))
  expect(attrs).toMatchObject({ 'session.id': 'thread-lf', 'user.id': 'alice' })
  expect(spans.find((span) => span.name === 'child')?.traceId).toBe(roots[0].traceId)
}, 90_000)
