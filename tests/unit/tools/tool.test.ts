import { DynamicStructuredTool } from '@langchain/core/tools'
import { ToolMessage } from '@langchain/core/messages'
import { z } from 'zod'
import { E_FORBIDDEN, E_TIMEOUT } from '../../../framework/errors'
import { getMetrics } from '../../../framework/observability'
import { backoffDelay, defineTool, type ToolHandlerContext } from '../../../framework/tools'

const echoSchema = z.object({ text: z.string().min(1), times: z.number().int().min(1).default(1) })

function failing(times: number, error: () => Error = () => new Error('flaky')) {
  let calls = 0
  return {
    get calls() {
      return calls
    },
    handler: async ({ text }: { text: string }) => {
      calls++
      if (calls <= times) throw error()
      return `ok:${text}`
    },
  }
}

function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('handler saw abort')), { once: true }))
}

describe('defineTool / Tool.call', () => {
  it('validates input, applies schema defaults and passes the parsed input to the handler', async () => {
    const handler = jest.fn(async (input: { text: string; times: number }) => input.text.repeat(input.times))
    const echo = defineTool({ name: 'echo', description: 'Repeats text', schema: echoSchema, handler })

    await expect(echo.call({ text: 'ab' })).resolves.toBe('ab')
    expect(handler.mock.calls[0][0]).toEqual({ text: 'ab', times: 1 })
  })

  it('rejects a schema violation with E_TOOL_INPUT and field details, without calling or retrying the handler', async () => {
    const handler = jest.fn(async () => 'never')
    const fallback = jest.fn(() => 'fallback')
    const echo = defineTool({ name: 'echo', description: 'Repeats text', schema: echoSchema, handler, retry: 3, fallback })

    const error = await echo.call({ text: '', times: 'x' }).catch((e: unknown) => e)

    expect(error).toMatchObject({ code: 'E_TOOL_INPUT', status: 422 })
    const paths = (error as { details: { issues: Array<{ path: string }> } }).details.issues.map((i) => i.path).sort()
    expect(paths).toEqual(['text', 'times'])
    expect(handler).not.toHaveBeenCalled()
    expect(fallback).not.toHaveBeenCalled()
  })

  it('retries `retry` times after the first attempt and then fails with E_TOOL_FAILED keeping the last cause', async () => {
    const flaky = failing(Infinity)
    const tool = defineTool({ name: 'flaky', description: 'Always fails', schema: echoSchema, handler: flaky.handler, retry: { retries: 3, baseDelayMs: 1 } })

    const error = await tool.call({ text: 'x' }).catch((e: unknown) => e)

    expect(flaky.calls).toBe(4)
    expect(error).toMatchObject({ code: 'E_TOOL_FAILED', details: { tool: 'flaky', attempts: 4 } })
    expect((error as Error).cause).toBeInstanceOf(Error)
    expect(((error as Error).cause as Error).message).toBe('flaky')
  })

  it('returns the first successful attempt', async () => {
    const flaky = failing(2)
    const tool = defineTool({ name: 'flaky', description: 'Fails twice', schema: echoSchema, handler: flaky.handler, retry: { retries: 3, baseDelayMs: 1 } })

    await expect(tool.call({ text: 'x' })).resolves.toBe('ok:x')
    expect(flaky.calls).toBe(3)
  })

  it('does not retry client errors (4xx exceptions) unless `when` says so', async () => {
    const forbidden = failing(Infinity, () => new E_FORBIDDEN())
    const tool = defineTool({ name: 'guarded', description: 'Forbidden', schema: echoSchema, handler: forbidden.handler, retry: { retries: 3, baseDelayMs: 1 } })
    await expect(tool.call({ text: 'x' })).rejects.toMatchObject({ code: 'E_TOOL_FAILED', cause: { code: 'E_FORBIDDEN' } })
    expect(forbidden.calls).toBe(1)

    const picky = failing(Infinity, () => new Error('transient'))
    const custom = defineTool({
      name: 'picky',
      description: 'Retries only some errors',
      schema: echoSchema,
      handler: picky.handler,
      retry: { retries: 3, baseDelayMs: 1, when: () => false },
    })
    await expect(custom.call({ text: 'x' })).rejects.toMatchObject({ code: 'E_TOOL_FAILED' })
    expect(picky.calls).toBe(1)
  })

  it('stops a slow handler through its signal and rejects with E_TOOL_TIMEOUT', async () => {
    let seen: AbortSignal | undefined
    const slow = defineTool({
      name: 'slow',
      description: 'Waits for its signal',
      schema: echoSchema,
      timeoutMs: 20,
      handler: (_input, { signal }) => {
        seen = signal
        return waitForAbort(signal)
      },
    })

    await expect(slow.call({ text: 'x' })).rejects.toMatchObject({ code: 'E_TOOL_TIMEOUT', status: 504 })
    expect(seen?.aborted).toBe(true)
  })

  it('rejects with E_TOOL_TIMEOUT even when the handler ignores its signal', async () => {
    const stubborn = defineTool({ name: 'stubborn', description: 'Never settles', schema: echoSchema, timeoutMs: 20, handler: () => new Promise<string>(() => undefined) })

    await expect(stubborn.call({ text: 'x' })).rejects.toMatchObject({ code: 'E_TOOL_TIMEOUT' })
  })

  it('retries an attempt that timed out', async () => {
    let calls = 0
    const tool = defineTool({
      name: 'eventually',
      description: 'Slow once',
      schema: echoSchema,
      timeoutMs: 20,
      retry: { retries: 1, baseDelayMs: 1 },
      handler: async (_input, { signal, attempt }) => {
        calls++
        return attempt === 0 ? waitForAbort(signal) : 'second time lucky'
      },
    })

    await expect(tool.call({ text: 'x' })).resolves.toBe('second time lucky')
    expect(calls).toBe(2)
  })

  it('stops the handler when the run signal aborts, with no retry and no fallback', async () => {
    const run = new AbortController()
    const handler = jest.fn((_input: unknown, { signal }: ToolHandlerContext) => {
      setTimeout(() => run.abort('client went away'), 5)
      return waitForAbort(signal)
    })
    const fallback = jest.fn(() => 'fallback')
    const tool = defineTool({ name: 'cancellable', description: 'Cancelled', schema: echoSchema, retry: { retries: 3, baseDelayMs: 1 }, handler, fallback })

    await expect(tool.call({ text: 'x' }, { signal: run.signal })).rejects.toMatchObject({ code: 'E_ABORTED' })
    expect(handler).toHaveBeenCalledTimes(1)
    expect(handler.mock.calls[0][1].signal.aborted).toBe(true)
    expect(fallback).not.toHaveBeenCalled()
  })

  it('keeps a Langvel exception given as the abort reason (the run timeout) and skips the backoff wait', async () => {
    const run = new AbortController()
    const flaky = failing(Infinity)
    const tool = defineTool({
      name: 'flaky',
      description: 'Fails, then waits a long backoff',
      schema: echoSchema,
      retry: { retries: 3, baseDelayMs: 60_000, maxDelayMs: 60_000 },
      handler: async (input) => {
        setTimeout(() => run.abort(new E_TIMEOUT(30)), 5)
        return flaky.handler(input)
      },
    })

    await expect(tool.call({ text: 'x' }, { signal: run.signal })).rejects.toMatchObject({ code: 'E_TIMEOUT' })
    expect(flaky.calls).toBe(1)
  })

  it('never calls the handler when the run is already cancelled', async () => {
    const handler = jest.fn(async () => 'never')
    const tool = defineTool({ name: 'noop', description: 'Noop', schema: echoSchema, handler })

    await expect(tool.call({ text: 'x' }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' })
    expect(handler).not.toHaveBeenCalled()
  })

  it('hands the final error and the parsed input to the fallback and returns its result', async () => {
    const fallback = jest.fn((error: Error, input: { text: string; times: number }) => `fallback:${(error as { code?: string }).code}:${input.times}`)
    const failingTool = defineTool({ name: 'down', description: 'Down', schema: echoSchema, handler: failing(Infinity).handler, retry: { retries: 1, baseDelayMs: 1 }, fallback })
    const slowTool = defineTool({ name: 'slow', description: 'Slow', schema: echoSchema, timeoutMs: 10, handler: () => new Promise<string>(() => undefined), fallback })

    await expect(failingTool.call({ text: 'x' })).resolves.toBe('fallback:E_TOOL_FAILED:1')
    await expect(slowTool.call({ text: 'x', times: 2 })).resolves.toBe('fallback:E_TOOL_TIMEOUT:2')
    expect(fallback.mock.calls[0][0]).toMatchObject({ code: 'E_TOOL_FAILED', details: { attempts: 2 } })
  })

  it('gives the handler the request context and the attempt number', async () => {
    const handler = jest.fn(async (_input: unknown, ctx: ToolHandlerContext) => ctx.context?.principal?.id)
    const tool = defineTool({ name: 'whoami', description: 'Who calls', schema: z.object({}), handler })
    const context = { requestId: 'r1', traceId: 't1', principal: { id: 'u1', type: 'user' as const, permissions: [] } }

    await expect(tool.call({}, { context })).resolves.toBe('u1')
    expect(handler.mock.calls[0][1]).toMatchObject({ attempt: 0, context })
  })
})

describe('defineTool definition checks', () => {
  const handler = async () => 'x'

  it('rejects names a model API would refuse', () => {
    for (const name of ['', 'has space', 'dots.not.allowed', 'x'.repeat(65)]) {
      expect(() => defineTool({ name, description: 'd', schema: z.object({}), handler })).toThrow(expect.objectContaining({ code: 'E_INVALID_NAME' }))
    }
  })

  it('rejects a schema that is not an object, a negative retry count and a non-positive timeout', () => {
    expect(() => defineTool({ name: 'a', description: 'd', schema: z.string(), handler })).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
    expect(() => defineTool({ name: 'a', description: 'd', schema: z.object({}), handler, retry: -1 })).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
    expect(() => defineTool({ name: 'a', description: 'd', schema: z.object({}), handler, timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
    expect(() => defineTool({ name: 'a', description: ' ', schema: z.object({}), handler })).toThrow(expect.objectContaining({ code: 'E_RUNTIME' }))
  })
})

describe('backoffDelay', () => {
  it('doubles from the base delay, keeps at least half of it (jitter) and is capped', () => {
    expect(backoffDelay(1, 100, 5000, () => 0)).toBe(50)
    expect(backoffDelay(1, 100, 5000, () => 1)).toBe(100)
    expect(backoffDelay(3, 100, 5000, () => 0)).toBe(200)
    expect(backoffDelay(3, 100, 5000, () => 1)).toBe(400)
    expect(backoffDelay(20, 100, 5000, () => 1)).toBe(5000)
  })
})

describe('Tool.toLangChain', () => {
  const search = defineTool({
    name: 'search_docs',
    description: 'Search the docs',
    schema: z.object({ query: z.string().min(1).describe('What to look for'), limit: z.number().int().default(2) }),
    handler: async ({ query, limit }, { context, signal }) => ({ query, limit, requestId: context?.requestId, signalGiven: signal instanceof AbortSignal }),
  })

  it('is a LangChain structured tool whose JSON schema a model can read', () => {
    const lc = search.toLangChain()
    expect(lc).toBeInstanceOf(DynamicStructuredTool)
    expect(lc.name).toBe('search_docs')
    expect(lc.description).toBe('Search the docs')
    expect(search.toJSONSchema()).toMatchObject({
      type: 'object',
      properties: { query: { type: 'string', description: 'What to look for' }, limit: { type: 'integer', default: 2 } },
      required: ['query'],
    })
  })

  it('runs through call(): defaults applied, run context passed, object output returned as JSON text', async () => {
    const out = await search.toLangChain().invoke({ query: 'redis' }, { context: { requestId: 'req-7', traceId: 't' } } as never)
    expect(JSON.parse(out as string)).toEqual({ query: 'redis', limit: 2, requestId: 'req-7', signalGiven: true })
  })

  it('answers a model tool call with a ToolMessage carrying the call id', async () => {
    const message = await search.toLangChain().invoke({ type: 'tool_call', id: 'call_1', name: 'search_docs', args: { query: 'pool' } })
    expect(message).toBeInstanceOf(ToolMessage)
    expect((message as ToolMessage).tool_call_id).toBe('call_1')
    expect(JSON.parse((message as ToolMessage).content as string)).toMatchObject({ query: 'pool' })
  })

  it('refuses arguments that violate the schema before the handler runs', async () => {
    const handler = jest.fn(async () => 'never')
    const strict = defineTool({
      name: 'strict',
      description: 'Checks its input',
      // The refinement cannot be expressed in JSON schema: only our zod parse catches it.
      schema: z.object({ query: z.string().min(1).refine((q) => q !== 'forbidden') }),
      handler,
    })

    await expect(strict.toLangChain().invoke({ query: 42 } as never)).rejects.toThrow()
    await expect(strict.toLangChain().invoke({ query: 'forbidden' })).rejects.toMatchObject({ code: 'E_TOOL_INPUT' })
    expect(handler).not.toHaveBeenCalled()
  })
})

describe('tool metrics', () => {
  /** langvel_tool_executions_total and the duration histogram's count for one tool, from the process-wide metrics. */
  async function counts(tool: string) {
    const metrics = getMetrics()
    const executions = (await metrics.toolExecutions.get()).values.filter((v) => v.labels.tool === tool)
    const durations = (await metrics.toolDuration.get()).values.find((v) => v.labels.tool === tool && (v as { metricName?: string }).metricName?.endsWith('_count'))
    const of = (outcome: string) => executions.find((v) => v.labels.outcome === outcome)?.value ?? 0
    return { success: of('success'), failure: of('failure'), timed: durations?.value ?? 0 }
  }

  it('counts a direct call once, as a success or a failure, however many attempts it took', async () => {
    const flaky = failing(1)
    const tool = defineTool({ name: 'metered_direct', description: 'Fails once', schema: echoSchema, handler: flaky.handler, retry: { retries: 1, baseDelayMs: 1 } })
    const broken = defineTool({ name: 'metered_broken', description: 'Always fails', schema: echoSchema, handler: failing(Infinity).handler, retry: { retries: 2, baseDelayMs: 1 } })

    await expect(tool.call({ text: 'a' })).resolves.toBe('ok:a')
    await expect(broken.call({ text: 'b' })).rejects.toMatchObject({ code: 'E_TOOL_FAILED' })
    await expect(broken.call({ text: '' })).rejects.toMatchObject({ code: 'E_TOOL_INPUT' })

    expect(flaky.calls).toBe(2)
    await expect(counts('metered_direct')).resolves.toEqual({ success: 1, failure: 0, timed: 1 })
    await expect(counts('metered_broken')).resolves.toEqual({ success: 0, failure: 2, timed: 2 })
  })

  it('counts calls through the LangChain adapter, and a fallback answer as a failure of the tool', async () => {
    const tool = defineTool({ name: 'metered_adapter', description: 'Echo', schema: echoSchema, handler: async ({ text }) => text })
    const covered = defineTool({ name: 'metered_fallback', description: 'Fails', schema: echoSchema, handler: failing(Infinity).handler, fallback: () => 'fallback' })

    await expect(tool.toLangChain().invoke({ text: 'x' })).resolves.toBe('x')
    await expect(covered.call({ text: 'y' })).resolves.toBe('fallback')

    await expect(counts('metered_adapter')).resolves.toEqual({ success: 1, failure: 0, timed: 1 })
    await expect(counts('metered_fallback')).resolves.toEqual({ success: 0, failure: 1, timed: 1 })
  })

  it('does not count a call the run cancelled', async () => {
    const tool = defineTool({ name: 'metered_cancelled', description: 'Waits', schema: echoSchema, handler: (_input, { signal }) => waitForAbort(signal) })
    const controller = new AbortController()

    const call = tool.call({ text: 'z' }, { signal: controller.signal })
    controller.abort()

    await expect(call).rejects.toMatchObject({ code: 'E_ABORTED' })
    await expect(counts('metered_cancelled')).resolves.toEqual({ success: 0, failure: 0, timed: 0 })
  })
})
