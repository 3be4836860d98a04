import { z } from 'zod'
import { defineTool } from '../../framework/tools'

interface DocPage {
  title: string
  url: string
  body: string
}

// A fixed corpus keeps the example deterministic (and testable offline);
// a real tool would query a search index or the RAG store here.
const PAGES: DocPage[] = [
  { title: 'Routing', url: '/docs/routing', body: 'Register agents in routes/agents.ts with Route.agent(path, Agent), add middleware, names, groups and timeouts.' },
  { title: 'Tools', url: '/docs/tools', body: 'defineTool declares a validated tool with retries, timeouts and a fallback; toLangChain hands it to a model.' },
  { title: 'Middleware', url: '/docs/middleware', body: 'Agent middleware runs around every run: logging, validate, and your own named middleware with arguments.' },
  { title: 'Checkpointers', url: '/docs/checkpointers', body: 'Threads are saved by a checkpointer: memory, sqlite, postgres or redis; resume interrupted runs by thread id.' },
  { title: 'Configuration', url: '/docs/configuration', body: 'Every setting comes from the environment, validated at boot; invalid config lists every bad key.' },
]

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? []
}

/**
 * Searches the Langvel documentation. Scores pages by how many query words
 * they contain (title words count double), best first.
 */
export const searchDocsTool = defineTool({
  name: 'search_docs',
  description: 'Search the Langvel documentation. Use it for questions about routing, tools, middleware, checkpointers or configuration.',
  schema: z.object({
    query: z.string().trim().min(1).max(200).describe('Words to look for'),
    limit: z.number().int().min(1).max(5).default(3).describe('How many pages to return'),
  }),
  timeoutMs: 2000,
  handler: ({ query, limit }) => {
    const terms = new Set(words(query))
    const results = PAGES.map((page) => {
      const title = words(page.title).filter((w) => terms.has(w)).length
      const body = new Set(words(page.body).filter((w) => terms.has(w))).size
      return { title: page.title, url: page.url, snippet: page.body, score: title * 2 + body }
    })
      .filter((result) => result.score > 0)
      .sort((a, b) => b.score - a.score || a.title.localeCompare(b.title))
      .slice(0, limit)
    return { query, results }
  },
})
