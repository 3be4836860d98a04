import { E_COLLECTION_NOT_FOUND } from '../../errors'
import type { CommandHandler } from '../command'
import { requireCollection, snippet, wholeNumber } from './rag_shared'

/** `langvel rag:query "<text>" --collection <name> [--k 5] [--json]`: the best chunks, ranked, with score and source. */
const ragQuery: CommandHandler<{ collection?: string; k?: string; json?: boolean }> = async ({ app, args, options, output }) => {
  const name = requireCollection(options)
  const k = options.k === undefined ? undefined : wholeNumber('--k', options.k)
  const collection = app.make('rag').collection(name)
  // Asked before embedding the query, so a typo in the name does not wait for a model to load.
  if (!(await collection.info())) throw new E_COLLECTION_NOT_FOUND(name)
  const [text] = args
  const results = (await collection.search(text, { k })).map((result, index) => ({
    rank: index + 1,
    score: Number(result.score.toFixed(4)),
    id: result.id,
    source: result.source ?? null,
    chunk: result.chunk ?? null,
    text: result.text,
    metadata: result.metadata,
  }))
  if (options.json) {
    output.json({ collection: name, query: text, results })
    return
  }
  if (results.length === 0) {
    output.info(`"${name}" has no chunks to match`)
    return
  }
  output.table(
    ['#', 'Score', 'Source', 'Text'],
    results.map((result) => [result.rank, result.score.toFixed(3), result.source === null ? result.id : `${result.source}#${result.chunk ?? '?'}`, snippet(result.text)]),
  )
}

export default ragQuery
