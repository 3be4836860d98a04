/*
 * A process that uses RAG with CHROMA_URL empty (so it starts a managed
 * Chroma), reports the server's pid, then ends as the test asks: `wait`
 * (for a signal), `exit` (process.exit at once, no shutdown), `crash` (an
 * uncaught error) or `shutdown` (the application's own shutdown). A third
 * argument picks the embeddings (default `fake`).
 */
import { Application } from '../../../../framework/foundation/application'
import { defaultProviders } from '../../../../framework/foundation/providers'
import { resolveRag } from '../../../../framework/rag/rag_runtime'

async function main(): Promise<void> {
  const [basePath, mode, provider = 'fake'] = process.argv.slice(2)
  const app = await Application.create({
    basePath,
    loadDotenv: false,
    env: { APP_ENV: 'development', EMBEDDINGS_PROVIDER: provider, LOG_LEVEL: 'error', CHROMA_URL: '' },
    providers: defaultProviders(),
  }).boot()
  const rag = resolveRag()
  await rag.collection('managed').add([{ text: 'kept in RAG_STORAGE_PATH' }])
  process.stdout.write(`${JSON.stringify({ pid: rag.managedChroma?.pid, url: rag.managedChroma?.url })}\n`)
  if (mode === 'exit') process.exit(0)
  if (mode === 'crash') throw new Error('crashed on purpose')
  if (mode === 'shutdown') {
    await app.shutdown()
    process.stdout.write('shut down\n')
    return
  }
  // `wait`: stay alive until a signal ends the process.
  setInterval(() => undefined, 1000)
}

void main()
