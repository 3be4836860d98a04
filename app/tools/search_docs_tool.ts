import { ragTool } from '../../framework/rag/agent'

/**
 * Searches the `docs` collection: the project's own docs/ folder, built with
 * `npx langvel rag:ingest docs --collection docs`. The model gets the best
 * passages with their source and chunk, and is told when the collection is
 * missing, empty or has no match.
 */
export const searchDocsTool = ragTool({
  collection: 'docs',
  name: 'search_docs',
  k: 3,
  description:
    'Search the Langvel documentation (agents, routing, tools, models, middleware, checkpointers, configuration, deployment...). ' +
    'Returns passages in <document> blocks with their source; answer from them and name the source.',
})
