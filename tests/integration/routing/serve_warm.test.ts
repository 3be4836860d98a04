import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import serve from '../../../framework/console/commands/serve'
import { Output } from '../../../framework/console/output'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createLogger } from '../../../framework/logger'

const ROOT = join(__dirname, '..', '..', '..')
const scratches: string[] = []
afterAll(() => scratches.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A booted application over a project with the repository's config and the given routes file body. */
function projectWith(routes: string): Promise<Application> {
  const root = mkdtempSync(join(tmpdir(), 'langvel-serve-warm-'))
  scratches.push(root)
  mkdirSync(join(root, 'routes'))
  mkdirSync(join(root, 'config'))
  for (const file of readdirSync(join(ROOT, 'config'))) {
    writeFileSync(join(root, 'config', file), `export { default } from ${JSON.stringify(join(ROOT, 'config', file.replace(/\.ts$/, '')))}\n`)
  }
  writeFileSync(join(root, 'routes', 'agents.ts'), `import { Route } from ${JSON.stringify(join(ROOT, 'framework/routing'))}\nexport default function routes() {\n${routes}\n}\n`)
  return Application.create({
    basePath: root,
    codePath: root,
    loadDotenv: false,
    env: { APP_ENV: 'test', STATE_CHECKPOINTER: 'memory', RATE_LIMIT_DRIVER: 'memory' },
    providers: defaultProviders(),
    logger: createLogger({ silent: true }),
  }).boot()
}

const quiet = () => new Output({ stdout: new Writable({ write: (_chunk, _encoding, done) => done() }), stderr: new Writable({ write: (_chunk, _encoding, done) => done() }), colors: false })

describe('langvel serve with Route.graph', () => {
  it('fails the boot, before listening, when an async graph factory rejects', async () => {
    const app = await projectWith(`  Route.graph('/late', async () => { throw new Error('the remote graph config is unreachable') })`)
    try {
      await expect(serve({ app, options: { host: '127.0.0.1', port: '0' }, output: quiet() } as never)).rejects.toMatchObject({
        code: 'E_GRAPH_INVALID',
        message: expect.stringContaining('the remote graph config is unreachable'),
      })
    } finally {
      await app.shutdown()
    }
  })
})
