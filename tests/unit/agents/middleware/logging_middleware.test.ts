import { loggingMiddleware, type AgentRunOutcome } from '../../../../framework/agents/middleware'
import type { RunResult, StreamEvent } from '../../../../framework/contracts/agent_run'
import { E_FORBIDDEN } from '../../../../framework/errors'
import { Pipeline } from '../../../../framework/pipeline/pipeline'
import { capturingLogger, middlewareContext } from './helpers'

const result: RunResult = { output: { answer: 'ok' }, threadId: 'thread-1', interrupts: [{ id: 'i1', value: 'approve?' }] }

function run(destination: () => AgentRunOutcome | Promise<AgentRunOutcome>, overrides = {}, args: string[] = []) {
  const { logger, entries } = capturingLogger()
  const ctx = middlewareContext({ logger, ...overrides })
  const outcome = new Pipeline<typeof ctx, AgentRunOutcome>().send(ctx).through([loggingMiddleware(args)]).then(destination)
  return { outcome, entries }
}

async function* events(count: number, failAfter?: number): AsyncGenerator<StreamEvent> {
  for (let i = 0; i < count; i++) {
    if (i === failAfter) throw new Error('stream broke')
    yield { event: 'updates', data: { i } }
  }
}

describe('logging middleware', () => {
  it('logs the start with the input keys, and the finish with duration and interrupts', async () => {
    const { outcome, entries } = run(() => result, { input: { question: 'what is my balance?', account: 'ACC-123' } })

    await expect(outcome).resolves.toBe(result)
    expect(entries.map((e) => e.message)).toEqual(['agent run started', 'agent run finished'])
    expect(entries[0]).toMatchObject({ level: 'info', mode: 'invoke', inputType: 'object', inputKeys: ['question', 'account'] })
    expect(entries[1]).toMatchObject({ level: 'info', interrupts: 1 })
    expect(typeof entries[1].durationMs).toBe('number')
  })

  it('never writes input values (or secrets in them) to the log', async () => {
    const secret = 'sk-live-abcdef0123456789'
    const { outcome, entries } = run(() => result, { input: { question: 'my card is 4242 4242 4242 4242', apiKey: secret, nested: { note: secret } } })
    await outcome

    const text = JSON.stringify(entries)
    expect(text).not.toContain(secret)
    expect(text).not.toContain('4242')
  })

  it('logs a failure as an error with its code and rethrows it', async () => {
    const { outcome, entries } = run(() => Promise.reject(Object.assign(new Error('db down'), { code: 'E_RUNTIME' })))

    await expect(outcome).rejects.toThrow('db down')
    expect(entries[1]).toMatchObject({ level: 'error', message: 'agent run failed', code: 'E_RUNTIME' })
  })

  it('logs a client error (4xx) as a warning', async () => {
    const { outcome, entries } = run(() => Promise.reject(new E_FORBIDDEN()))

    await expect(outcome).rejects.toMatchObject({ code: 'E_FORBIDDEN' })
    expect(entries[1]).toMatchObject({ level: 'warn', message: 'agent run rejected', code: 'E_FORBIDDEN' })
  })

  it('logs the end of a stream when the last event has been consumed, with the event count', async () => {
    const { outcome, entries } = run(() => events(3), { mode: 'stream', streaming: true })

    const stream = (await outcome) as AsyncIterable<StreamEvent>
    expect(entries.map((e) => e.message)).toEqual(['agent run started'])
    const received: StreamEvent[] = []
    for await (const event of stream) received.push(event)

    expect(received).toHaveLength(3)
    expect(entries[1]).toMatchObject({ message: 'agent run finished', events: 3 })
  })

  it('logs a stream that fails midway, and one the consumer abandons', async () => {
    const failing = run(() => events(3, 1), { mode: 'stream', streaming: true })
    const stream = (await failing.outcome) as AsyncIterable<StreamEvent>
    await expect((async () => { for await (const _ of stream) void _ })()).rejects.toThrow('stream broke')
    expect(failing.entries[1]).toMatchObject({ level: 'error', message: 'agent run failed' })

    const abandoned = run(() => events(3), { mode: 'stream', streaming: true })
    for await (const _ of (await abandoned.outcome) as AsyncIterable<StreamEvent>) break
    expect(abandoned.entries[1]).toMatchObject({ message: 'agent stream closed early', events: 1 })
  })

  it('takes a level argument and refuses an unknown one at build time', async () => {
    const { outcome, entries } = run(() => result, {}, ['debug'])
    await outcome
    expect(entries.map((e) => e.level)).toEqual(['debug', 'debug'])

    expect(() => loggingMiddleware(['loud'])).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
  })
})
