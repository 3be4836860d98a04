import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createLogger } from '../../../framework/logger'

const ROOT = join(__dirname, '..', '..', '..')
const scratch = mkdtempSync(join(tmpdir(), 'langvel-agents-provider-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

describe('the agents provider', () => {
  it('gives agent classes the framework\'s throttle middleware, over the application rate limiter', async () => {
    // A project whose code root has the repository's config and a route file of its own.
    mkdirSync(join(scratch, 'routes'), { recursive: true })
    mkdirSync(join(scratch, 'config'), { recursive: true })
    for (const file of readdirSync(join(ROOT, 'config'))) {
      writeFileSync(join(scratch, 'config', file), `export { default } from ${JSON.stringify(join(ROOT, 'config', file.replace(/\.ts$/, '')))}\n`)
    }
    writeFileSync(
      join(scratch, 'routes', 'agents.ts'),
      `import { Route } from ${JSON.stringify(join(ROOT, 'framework/routing'))}
import { ThrottledFixtureAgent } from ${JSON.stringify(join(__dirname, 'fixtures/throttled_agent'))}
export default function routes() {
  Route.agent('/limited', ThrottledFixtureAgent)
}
`,
    )
    const app = await Application.create({
      basePath: scratch,
      codePath: scratch,
      loadDotenv: false,
      env: { APP_ENV: 'test', STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    }).boot()
    try {
      const agents = app.make('agents')
      expect(agents.route('/limited').middleware).toEqual(['logging', 'throttle:1,1'])
      expect((await agents.invoke('/limited', { query: 'a' })).output).toEqual({ query: 'seen a' })
      await expect(agents.invoke('/limited', { query: 'b' })).rejects.toMatchObject({ code: 'E_TOO_MANY_REQUESTS' })
    } finally {
      await app.shutdown()
    }
  })
})
