import type { CommandHandler } from '../command'

/** `langvel rag:collections [--json]`: every collection, its size and the embeddings it was built with. */
const ragCollections: CommandHandler<{ json?: boolean }> = async ({ app, options, output }) => {
  const collections = await app.make('rag').collections()
  const rows = collections
    .map((info) => ({
      name: info.name,
      count: info.count,
      embedding_provider: info.embeddingProvider ?? null,
      embedding_model: info.embeddingModel ?? null,
      dimensions: info.dimensions ?? null,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  if (options.json) {
    output.json(rows)
    return
  }
  if (rows.length === 0) {
    output.info('No collections yet: create one with `langvel rag:ingest <path> --collection <name>`')
    return
  }
  output.table(
    ['Collection', 'Chunks', 'Provider', 'Model', 'Dimensions'],
    rows.map((row) => [row.name, row.count, row.embedding_provider ?? '-', row.embedding_model ?? '-', row.dimensions ?? '-']),
  )
}

export default ragCollections
