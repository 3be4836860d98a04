import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    /** memory: LangGraph's InMemoryStore (one process, lost on exit); postgres: the official PostgresStore on DATABASE_URL. */
    MEMORY_STORE: env.enum(['memory', 'postgres'] as const, 'memory'),
    /** Runs without a principal share one 'anonymous' memory; off, they get E_MEMORY_ANONYMOUS. */
    MEMORY_ALLOW_ANONYMOUS: env.boolean(false),
    /** Rank recall by the RAG embeddings (EMBEDDINGS_PROVIDER); false: by the words a memory shares with the query. */
    MEMORY_SEMANTIC: env.boolean(true),
    /** Memories `recall()` returns when the call names no limit. */
    MEMORY_RECALL_LIMIT: env.integer(5, 1, 100),
    /** Longest episode summary kept (agents with `episodicMemory`), in characters; longer ones are cut. */
    MEMORY_EPISODE_MAX_CHARS: env.integer(2000, 100, 20000),
  },
  resolve: (e) => ({
    default: e.MEMORY_STORE,
    allowAnonymous: e.MEMORY_ALLOW_ANONYMOUS,
    semantic: e.MEMORY_SEMANTIC,
    recallLimit: e.MEMORY_RECALL_LIMIT,
    episodeMaxChars: e.MEMORY_EPISODE_MAX_CHARS,
  }),
})
