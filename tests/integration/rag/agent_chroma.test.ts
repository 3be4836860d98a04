import { z } from 'zod'
import { Agent, defineState, type GraphBuilder, type NodeContext } from '../../../framework/agents'
import { abortError } from '../../../framework/support/abort'
import { formatContext, retrieve } from '../../../framework/rag/agent'
import { FakeEmbeddings } from '../../../framework/rag/embeddings/fake_embeddings'
import { setRagManagerResolver } from '../../../framework/rag/rag_runtime'
import { ChromaServer } from '../../helpers/chroma_server'
import { testRag } from './support/rag'

const QaState = defineState({ question: z.string(), context: z.string().optional(), viaThis: z.string().optional() })
type Qa = z.infer<typeof QaState.schema>

class QaAgent extends Agent<typeof QaState> {
  state = QaState
  build(graph: GraphBuilder<typeof QaState>) {
    return graph.then(retrieve('agent-docs', { query: (state) => state.question, into: 'context', k: 2 })).then(this.direct)
  }
  async direct(state: Qa, ctx: NodeContext) {
    return { viaThis: formatContext(await this.rag.collection('agent-docs').search(state.question, { k: 1, signal: ctx.signal })) }
  }
}

/** Fake vectors, except that a query can be held until the caller's signal aborts it. */
class HeldEmbeddings extends FakeEmbeddings {
  hold = false
  seen?: AbortSignal
  started?: () => void

  override async embedQuery(text: string, options: { signal?: AbortSignal } = {}): Promise<number[]> {
    if (!this.hold) return super.embedQuery(text)
    this.seen = options.signal
    this.started?.()
    return new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => reject(abortError(options.signal as AbortSignal)), { once: true }))
  }
}

describe('retrieve() and this.rag on a real Chroma', () => {
  let chroma: ChromaServer
  const embeddings = new HeldEmbeddings(64)
  let close: () => Promise<void>

  beforeAll(async () => {
    chroma = await ChromaServer.start()
    const { manager } = testRag(chroma.url, { embeddings })
    close = () => manager.close()
    setRagManagerResolver(() => manager)
    await manager.collection('agent-docs').add([
      { text: 'The redis checkpointer keeps a thread for CHECKPOINT_REDIS_TTL after its last write.', metadata: { source: 'docs/checkpointers.md', chunk: 4 } },
      { text: 'Routes map URL paths to agents in routes/agents.ts.', metadata: { source: 'docs/routing.md', chunk: 0 } },
      { text: 'Tools retry failed attempts with exponential backoff.', metadata: { source: 'docs/tools.md', chunk: 2 } },
    ])
  })
  afterAll(async () => {
    setRagManagerResolver(undefined)
    await close?.()
    await chroma?.stop()
  })

  it('writes the best passages, attributed, into the state, and this.rag searches the same collection', async () => {
    const { output } = await new QaAgent().invoke({ question: 'how long does the redis checkpointer keep a thread?' })
    expect(output.context).toMatch(/^<document index="1" source="docs\/checkpointers.md" chunk="4" score="[\d.]+">\nThe redis checkpointer/)
    expect(output.context?.match(/<document /g)).toHaveLength(2)
    expect(output.viaThis).toMatch(/^<document index="1" source="docs\/checkpointers.md"/)
  })

  it('stops the search when the run is cancelled: the run fails E_ABORTED', async () => {
    embeddings.hold = true
    const searching = new Promise<void>((resolve) => (embeddings.started = resolve))
    const controller = new AbortController()
    try {
      const run = new QaAgent().invoke({ question: 'redis' }, { signal: controller.signal })
      await searching
      controller.abort(new Error('client went away'))
      await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' })
      expect(embeddings.seen?.aborted).toBe(true)
    } finally {
      embeddings.hold = false
    }
  })
})
