import { HumanMessage, SystemMessage } from '@langchain/core/messages'
import { z } from 'zod'
import { E_TIMEOUT } from '../../../framework/errors'
import { LlmManager, MemoryResponseCache, OFFLINE_CONFIG, countTokens, responseCacheKey } from '../../../framework/llm'
import { defineTool } from '../../../framework/tools'
import { counter, fakeManager } from './helpers'

describe('Llm', () => {
  describe('calls and settings', () => {
    it('accepts a string, role objects, tuples and LangChain messages, putting the system prompt first', async () => {
      const { llm, script } = fakeManager()

      await llm.invoke('plain')
      await llm.chat([{ role: 'user', content: 'hi' }, ['assistant', 'hello'], new HumanMessage('bye')], { system: 'Be nice.' })
      await llm.invoke([new SystemMessage('Existing rules.'), new HumanMessage('q')], { system: 'Extra rule.' })

      expect(script.calls.map((c) => c.messages.map((m) => `${m.type}:${m.text}`))).toEqual([
        ['human:plain'],
        ['system:Be nice.', 'human:hi', 'ai:hello', 'human:bye'],
        // One system message: some providers refuse a second one.
        ['system:Extra rule.\n\nExisting rules.', 'human:q'],
      ])
    })

    it('rejects an empty conversation and out-of-range settings with E_INVALID_INPUT', async () => {
      const { llm } = fakeManager()

      await expect(llm.chat([])).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
      await expect(llm.invoke('x', { temperature: 3 })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
      expect(() => llm.with({ maxTokens: 0 })).toThrow(expect.objectContaining({ code: 'E_INVALID_INPUT' }))
    })

    it('derives an Llm with other defaults without changing the original', async () => {
      const { llm, script } = fakeManager({ model: 'base', temperature: 0.7 })
      const precise = llm.with({ model: 'precise', temperature: 0, system: 'Be exact.' })

      await precise.invoke('a')
      await llm.invoke('b')

      expect(script.calls.map((c) => [c.model, c.temperature, c.messages[0].type])).toEqual([
        ['precise', 0, 'system'],
        ['base', 0.7, 'human'],
      ])
      expect(precise.model).toBe('precise')
    })

    it('keeps one client per distinct setting in a bounded LRU', () => {
      const { manager } = fakeManager({}, { maxClients: 2 })
      const a = manager.chatModel({ model: 'a', temperature: 0 })

      expect(manager.chatModel({ model: 'a', temperature: 0 })).toBe(a)
      expect(manager.chatModel({ model: 'a', temperature: 1 })).not.toBe(a)
      manager.chatModel({ model: 'b', temperature: 0 })
      // Two newer settings pushed "a/0" out: it is built again.
      expect(manager.chatModel({ model: 'a', temperature: 0 })).not.toBe(a)
    })
  })

  describe('reliability', () => {
    it('retries server errors before the first streamed text', async () => {
      const { llm, script } = fakeManager({ maxRetries: 2 })
      script.fail(500).fail(502).reply('streamed after retries')

      let text = ''
      let attempts = 0
      for await (const event of llm.stream('x')) {
        if (event.type === 'text') text += event.text
        else attempts = event.response.attempts
      }

      expect(text).toBe('streamed after retries')
      expect(attempts).toBe(3)
    })

    it('stops a slow call when the signal aborts, keeping a Langvel reason such as E_TIMEOUT', async () => {
      const { llm, script, metrics } = fakeManager()
      script.reply({ text: 'late', delayMs: 10_000 }, { text: 'late', delayMs: 10_000 })

      const plain = new AbortController()
      const first = llm.invoke('x', { signal: plain.signal })
      setTimeout(() => plain.abort(), 20)
      await expect(first).rejects.toMatchObject({ code: 'E_ABORTED' })

      const run = new AbortController()
      const second = llm.invoke('x', { signal: run.signal })
      setTimeout(() => run.abort(new E_TIMEOUT(30)), 20)
      await expect(second).rejects.toMatchObject({ code: 'E_TIMEOUT' })
      await expect(counter(metrics, 'requests', { outcome: 'cancelled' })).resolves.toBe(2)
    })

    it('does not call the model at all when the signal is already aborted', async () => {
      const { llm, script } = fakeManager()
      const controller = new AbortController()
      controller.abort()

      await expect(llm.invoke('x', { signal: controller.signal })).rejects.toMatchObject({ code: 'E_ABORTED' })
      expect(script.calls).toHaveLength(0)
    })

    it('times out each attempt, retries, then fails with E_LLM_UNAVAILABLE (reason timeout)', async () => {
      const { llm, script, metrics } = fakeManager({ maxRetries: 1 })
      script.reply({ text: 'slow', delayMs: 5000 }, { text: 'slow', delayMs: 5000 })

      const error = await llm.invoke('x', { timeoutMs: 40 }).catch((e: unknown) => e)

      expect(error).toMatchObject({ code: 'E_LLM_UNAVAILABLE', details: expect.objectContaining({ reason: 'timeout', attempts: 2 }) })
      expect(script.calls).toHaveLength(2)
      await expect(counter(metrics, 'requests', { outcome: 'timeout' })).resolves.toBe(1)
      await expect(counter(metrics, 'retries', { reason: 'timeout' })).resolves.toBe(1)
    })

    it('retries network errors (no status) but not client errors', async () => {
      const { llm, script } = fakeManager({ maxRetries: 3 })
      script.reply({ error: { message: 'fetch failed', code: 'ECONNRESET' } }).reply('reconnected')
      await expect(llm.invoke('a')).resolves.toMatchObject({ text: 'reconnected', attempts: 2 })

      script.fail(401)
      await expect(llm.invoke('b')).rejects.toMatchObject({ code: 'E_LLM_UNAVAILABLE', details: expect.objectContaining({ status: 401, attempts: 1 }) })
    })
  })

  describe('response cache', () => {
    it('is opt-in per call when LLM_CACHE=off: only calls passing cache: true are cached', async () => {
      const { llm, script, metrics } = fakeManager()

      await llm.invoke('q')
      await llm.invoke('q')
      const first = await llm.invoke('q', { cache: true })
      const second = await llm.invoke('q', { cache: true })

      expect(script.calls).toHaveLength(3)
      expect(first.cached).toBe(false)
      expect(second).toMatchObject({ cached: true, attempts: 0, text: first.text, usage: first.usage })
      await expect(counter(metrics, 'cacheHits', {})).resolves.toBe(1)
      await expect(counter(metrics, 'cacheMisses', {})).resolves.toBe(1)
    })

    it('caches every call with LLM_CACHE=memory unless a call passes cache: false', async () => {
      const { llm, script } = fakeManager({ cache: { driver: 'memory', ttlSeconds: 60, maxEntries: 10 } })

      await llm.invoke('q')
      await llm.invoke('q')
      await llm.invoke('q', { cache: false })

      expect(script.calls).toHaveLength(2)
    })

    it('keys on everything that changes the answer: model, parameters, messages and tools', async () => {
      const { llm, script } = fakeManager()
      const tool = defineTool({ name: 'lookup', description: 'Look up', schema: z.object({ q: z.string() }), handler: async () => 'x' })

      for (const options of [{}, { model: 'other' }, { temperature: 0.1 }, { maxTokens: 5 }, { system: 'sys' }, { tools: [tool] }, {}]) {
        await llm.invoke('q', { cache: true, ...options })
      }

      expect(script.calls).toHaveLength(6)
    })

    it('caches tool calls and streamed answers too', async () => {
      const { llm, script } = fakeManager()
      const tool = defineTool({ name: 'lookup', description: 'Look up', schema: z.object({ q: z.string() }), handler: async () => 'x' })
      script.toolCall('lookup', { q: 'a' }, 'c1')

      await llm.invoke('find a', { tools: [tool], cache: true })
      const again = await llm.invoke('find a', { tools: [tool], cache: true })
      const texts: string[] = []
      for await (const event of llm.stream('stream me', { cache: true })) if (event.type === 'text') texts.push(event.text)
      const replayed: unknown[] = []
      for await (const event of llm.stream('stream me', { cache: true })) if (event.type === 'usage') replayed.push(event.response.cached)
      expect(replayed).toEqual([true])

      expect(again.toolCalls).toEqual([expect.objectContaining({ name: 'lookup', args: { q: 'a' }, id: 'c1' })])
      expect(script.calls).toHaveLength(2)
      expect(texts.join('')).toBe('Echo: stream me')
    })

    it('memory driver: entries expire after their TTL and the oldest are evicted past the size bound', async () => {
      let now = Date.UTC(2026, 0, 1)
      const cache = new MemoryResponseCache(2, () => now)
      const answer = { content: 'a', toolCalls: [] }

      await cache.set('k1', answer, 10)
      now += 9_999
      await expect(cache.get('k1')).resolves.toEqual(answer)
      now += 1
      await expect(cache.get('k1')).resolves.toBeUndefined()

      await cache.set('a', answer, 60)
      await cache.set('b', answer, 60)
      await cache.get('a')
      await cache.set('c', answer, 60)
      await expect(cache.get('b')).resolves.toBeUndefined()
      await expect(cache.get('a')).resolves.toEqual(answer)
      expect(cache.size).toBe(2)
    })

    it('builds a stable key that differs when any part differs', () => {
      const base = { provider: 'fake', model: 'm', temperature: 0, maxTokens: 10, messages: [new HumanMessage('hi')], tools: [] }
      expect(responseCacheKey(base)).toBe(responseCacheKey({ ...base, messages: [new HumanMessage('hi')] }))
      expect(responseCacheKey(base)).toMatch(/^[0-9a-f]{64}$/)
      expect(responseCacheKey({ ...base, provider: 'openai' })).not.toBe(responseCacheKey(base))
      expect(responseCacheKey({ ...base, messages: [new SystemMessage('hi')] })).not.toBe(responseCacheKey(base))
    })
  })

  describe('structured output', () => {
    const Ticket = z.object({ category: z.enum(['billing', 'technical']), priority: z.number().int().min(1).max(3) })

    it('returns the validated arguments of the forced function call', async () => {
      const { llm, script } = fakeManager()
      script.toolCall('respond', { category: 'technical', priority: 2 })

      await expect(llm.structured('The app crashes', Ticket)).resolves.toEqual({ category: 'technical', priority: 2 })
      expect(script.calls[0]).toMatchObject({ toolChoice: 'respond', tools: [expect.objectContaining({ name: 'respond' })] })
    })

    it('repairs one invalid answer by sending the errors back as the tool result', async () => {
      const { llm, script } = fakeManager()
      script.toolCall('respond', { category: 'sales', priority: 9 }, 'bad').toolCall('respond', { category: 'billing', priority: 1 })

      await expect(llm.structured('Refund please', Ticket)).resolves.toEqual({ category: 'billing', priority: 1 })

      const repair = script.calls[1].messages.at(-1)
      expect(repair?.type).toBe('tool')
      expect(repair?.text).toMatch(/category/)
      expect(repair?.text).toMatch(/priority/)
    })

    it('accepts a JSON answer in text from a model that ignores the forced call', async () => {
      const { llm, script } = fakeManager()
      script.reply('```json\n{"category":"billing","priority":3}\n```')

      await expect(llm.structured('x', Ticket)).resolves.toEqual({ category: 'billing', priority: 3 })
    })

    it('fails with E_LLM_BAD_OUTPUT listing the issues when the repair is invalid too', async () => {
      const { llm, script } = fakeManager()
      script.reply('no json here', 'still none')

      const error = await llm.structured('x', Ticket).catch((e: unknown) => e)

      expect(error).toMatchObject({ code: 'E_LLM_BAD_OUTPUT', details: expect.objectContaining({ issues: [expect.objectContaining({ path: '' })] }) })
      expect(script.calls).toHaveLength(2)
      expect(script.calls[1].messages.at(-1)?.type).toBe('human')
    })

    it('caches only valid answers', async () => {
      const { llm, script } = fakeManager()
      script.toolCall('respond', { category: 'billing', priority: 1 })

      await llm.structured('cache me', Ticket, { cache: true })
      await expect(llm.structured('cache me', Ticket, { cache: true })).resolves.toEqual({ category: 'billing', priority: 1 })

      expect(script.calls).toHaveLength(1)
    })

    it('answers unscripted with values built from the schema, so example agents work offline', async () => {
      const { llm } = fakeManager()

      await expect(llm.structured('priority 2 please', Ticket)).resolves.toEqual({ category: 'billing', priority: 2 })
    })

    it('needs an object schema', async () => {
      const { llm } = fakeManager()
      await expect(llm.structured('x', z.string())).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    })
  })

  describe('usage', () => {
    it('counts tokens locally with the bundled cl100k ranks', () => {
      expect(countTokens('hello world')).toBe(2)
      expect(countTokens('')).toBe(0)
    })

    it('records requests, durations and tokens by provider and model', async () => {
      const { llm, metrics, script } = fakeManager({ model: 'fake-metrics' })
      script.reply({ text: 'ok', usage: { promptTokens: 10, completionTokens: 4 } })

      await llm.invoke('hello')

      await expect(counter(metrics, 'requests', { provider: 'fake', model: 'fake-metrics', outcome: 'success' })).resolves.toBe(1)
      await expect(counter(metrics, 'tokens', { provider: 'fake', model: 'fake-metrics', kind: 'prompt' })).resolves.toBe(10)
      await expect(counter(metrics, 'tokens', { provider: 'fake', model: 'fake-metrics', kind: 'completion' })).resolves.toBe(4)
      const text = await metrics.registry.metrics()
      expect(text).toContain('langvel_llm_request_duration_seconds_count{provider="fake",model="fake-metrics"} 1')
    })
  })
})

describe('LlmManager', () => {
  it('refuses an unknown provider with E_UNKNOWN_DRIVER and never substitutes another', () => {
    const manager = LlmManager.offline()
    expect(() => manager.use('gpt')).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_DRIVER' }))
  })

  it('refuses a provider whose key is missing with E_INVALID_CONFIG naming the key', () => {
    const manager = LlmManager.offline()

    const error = (() => {
      try {
        manager.use('anthropic')
      } catch (e) {
        return e
      }
    })()

    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG', details: [expect.objectContaining({ key: 'ANTHROPIC_API_KEY' })] })
  })

  it('describes the active provider for the start-up log, without secrets', () => {
    const offline = LlmManager.offline().describe()
    const openai = new LlmManager({ config: { ...OFFLINE_CONFIG, provider: 'openai', openaiApiKey: 'sk-secret', model: 'gpt-4o' } }).describe()

    expect(offline).toMatchObject({ provider: 'fake', model: 'fake-model', endpoint: undefined })
    expect(offline.summary).toContain('offline')
    expect(openai).toMatchObject({ provider: 'openai', model: 'gpt-4o', endpoint: 'https://api.openai.com/v1' })
    expect(JSON.stringify(openai)).not.toContain('sk-secret')
  })

  it('needs Redis for LLM_CACHE=redis', () => {
    expect(() => new LlmManager({ config: { ...OFFLINE_CONFIG, cache: { driver: 'redis', ttlSeconds: 60, maxEntries: 10 } } })).toThrow(
      expect.objectContaining({ code: 'E_RUNTIME' }),
    )
  })
})
