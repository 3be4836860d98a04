/*
 * A cluster like `langvel serve --workers 2`, without HTTP: the primary
 * answers its workers' requests for the managed Chroma; each worker uses RAG
 * and reports the Chroma URL it was given. SIGTERM stops the cluster.
 */
import cluster from 'node:cluster'
import { Application } from '../../../../framework/foundation/application'
import { defaultProviders } from '../../../../framework/foundation/providers'
import { runClusterPrimary } from '../../../../framework/http/cluster'
import { resolveRag } from '../../../../framework/rag/rag_runtime'
import { askPrimaryForChroma, primaryChromaProvider } from '../../../../framework/rag/shared_chroma'

async function main(): Promise<void> {
  const basePath = process.argv[2]
  const app = await Application.create({
    basePath,
    loadDotenv: false,
    env: { ...process.env, APP_ENV: 'development', EMBEDDINGS_PROVIDER: 'fake', LOG_LEVEL: 'error', CHROMA_URL: '' },
    providers: defaultProviders(),
  }).boot()
  if (cluster.isPrimary) {
    const chroma = primaryChromaProvider(app)
    process.stdout.write(`primary ${process.pid}\n`)
    await runClusterPrimary({ workers: 2, logger: app.logger, graceSeconds: 5, onWorkerMessage: chroma?.onMessage })
    await chroma?.stop()
    await app.shutdown()
    process.stdout.write('primary stopped\n')
    return
  }
  const rag = resolveRag()
  await rag.collection('shared').upsert([{ id: `worker-${process.pid}`, text: `written by worker ${process.pid}` }])
  const count = await rag.collection('shared').count()
  process.stdout.write(`worker ${process.pid} ${await askPrimaryForChroma()} ${rag.managedChroma === undefined ? 'no-own-chroma' : 'own-chroma'} ${count}\n`)
  setInterval(() => undefined, 1000)
}

void main()
