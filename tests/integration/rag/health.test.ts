import { Application } from '../../../framework/foundation/application'
import { defaultHealthChecks } from '../../../framework/http/health/default_checks'
import { HealthRegistry } from '../../../framework/http/health/health_registry'
import { createLogger } from '../../../framework/logger'
import { freePort } from '../../../framework/support/processes'
import { ragProvider } from '../../../framework/rag/rag_provider'
import { ChromaServer } from '../../helpers/chroma_server'

async function app(env: Record<string, string>): Promise<Application> {
  return Application.create({ env: { LOG_LEVEL: 'error', JWT_SECRET_KEY: 'k'.repeat(48), EMBEDDINGS_PROVIDER: 'fake', ...env }, loadDotenv: false, providers: [ragProvider], configWarnings: false }).boot()
}

function vectorStoreCheck(application: Application) {
  return defaultHealthChecks(application).find((check) => check.name === 'vector_store')
}

describe('the vector_store health check', () => {
  let server: ChromaServer
  const apps: Application[] = []

  beforeAll(async () => {
    server = await ChromaServer.start()
  })
  afterAll(async () => {
    for (const application of apps) await application.shutdown()
    await server?.stop()
  })
  const boot = async (env: Record<string, string>) => {
    const application = await app(env)
    apps.push(application)
    return application
  }

  it('is required when CHROMA_URL is set, and reports the heartbeat', async () => {
    const application = await boot({ APP_ENV: 'production', CHROMA_URL: server.url })
    const health = new HealthRegistry(createLogger({ level: 'error' }))
    const check = vectorStoreCheck(application)
    expect(check).toMatchObject({ required: true })
    health.register(check as NonNullable<typeof check>)

    const report = await health.run()

    expect(report.status).toBe('ok')
    expect(report.checks.vector_store).toMatchObject({ status: 'ok', required: true })
  })

  it('marks the service down when the configured Chroma does not answer, with a short reason', async () => {
    const application = await boot({ APP_ENV: 'production', CHROMA_URL: `http://127.0.0.1:${await freePort()}`, CHROMA_TIMEOUT_MS: '200', CHROMA_RETRIES: '0' })
    const health = new HealthRegistry(createLogger({ level: 'error' })).register(vectorStoreCheck(application) as never)

    const report = await health.run()

    expect(report.status).toBe('down')
    expect(report.checks.vector_store).toMatchObject({ status: 'down', error: 'E_SERVICE_UNAVAILABLE' })
  })

  it('is optional with a managed Chroma, and never starts one just to check it', async () => {
    const application = await boot({ APP_ENV: 'development' })
    const check = vectorStoreCheck(application)
    expect(check).toMatchObject({ required: false })

    await check?.check()

    expect(application.make('rag').managedChroma).toBeUndefined()
  })

  it('is off in production without CHROMA_URL, where RAG cannot be used', async () => {
    const application = await boot({ APP_ENV: 'production' })
    expect(vectorStoreCheck(application)).toBeUndefined()
  })
})
