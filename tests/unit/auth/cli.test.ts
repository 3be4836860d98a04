import { join } from 'node:path'
import jwt from 'jsonwebtoken'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { authCliProject, type AuthCliProject } from './cli_project'
import { SECRET } from './helpers'

describe('auth and apikey commands', () => {
  let project: AuthCliProject
  const cli = (args: string[]) => project.cli(args)

  beforeAll(async () => {
    project = await authCliProject('langvel-auth-cli-')
  })
  afterAll(() => project.remove())

  it('auth:token prints only a signed token with the subject, permissions and lifetime asked for', async () => {
    const result = await cli(['auth:token', 'alice', '--permissions', 'agents.*, threads.read', '--ttl', '15m'])
    expect(result.code).toBe(0)
    const token = result.stdout.trim()
    const payload = jwt.verify(token, SECRET, { algorithms: ['HS256'], issuer: 'langvel', audience: 'langvel' }) as jwt.JwtPayload
    expect(payload).toMatchObject({ sub: 'alice', permissions: ['agents.*', 'threads.read'] })
    expect((payload.exp as number) - (payload.iat as number)).toBe(900)

    const json = await cli(['auth:token', 'bob', '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({ subject: 'bob', permissions: [], token: expect.any(String), jti: expect.any(String) })
  })

  it('auth:token refuses a malformed --ttl', async () => {
    const result = await cli(['auth:token', 'alice', '--ttl', 'soon'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('E_INVALID_INPUT')
  })

  it('auth:revoke records the revocation of a token given whole or by its jti', async () => {
    const token = (await cli(['auth:token', 'alice'])).stdout.trim()
    const revoked = await cli(['auth:revoke', token])
    expect(revoked.code).toBe(0)
    expect(revoked.stdout).toContain((jwt.decode(token) as jwt.JwtPayload).jti)

    const { jti } = JSON.parse((await cli(['auth:token', 'alice', '--json'])).stdout) as { jti: string }
    expect((await cli(['auth:revoke', jti])).code).toBe(0)

    const db = new DatabaseManager({ url: project.env.DATABASE_URL, basePath: project.dir })
    const ids = (await db.connection()('auth_revoked_tokens').select('jti')).map((row: { jti: string }) => row.jti)
    await db.close()
    expect(ids).toEqual(expect.arrayContaining([(jwt.decode(token) as jwt.JwtPayload).jti, jti]))
  })

  it('apikey:create prints the key once; apikey:list shows status and usage but never a key or hash; apikey:revoke revokes', async () => {
    const created = await cli(['apikey:create', 'ci', '--permissions', 'agents.*', '--expires', '30d'])
    expect(created.code).toBe(0)
    const key = /lv_[A-Za-z0-9_-]{43}/.exec(created.stdout)?.[0] as string
    expect(key).toBeDefined()
    const id = /ak_[0-9a-f]{16}/.exec(created.stdout)?.[0] as string

    const listed = await cli(['apikey:list'])
    expect(listed.stdout).toContain(id)
    expect(listed.stdout).toContain('active')
    expect(listed.stdout).not.toContain(key)
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/)

    expect((await cli(['apikey:revoke', id])).code).toBe(0)
    const json = JSON.parse((await cli(['apikey:list', '--json'])).stdout) as Array<{ id: string; status: string }>
    expect(json.find((record) => record.id === id)?.status).toBe('revoked')
    expect(JSON.stringify(json)).not.toContain(key)
  })

  it('apikey:revoke of an unknown id fails with E_NOT_FOUND', async () => {
    const result = await cli(['apikey:revoke', 'ak_0000000000000000'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('E_NOT_FOUND')
  })

  it('says to run the migrations when the auth tables are missing', async () => {
    const saved = project.env.DATABASE_URL
    project.env.DATABASE_URL = `sqlite:${join(project.dir, 'empty.sqlite')}`
    try {
      const result = await cli(['apikey:list'])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('E_NOT_MIGRATED')
      expect(result.stderr).toContain('langvel migrate')
    } finally {
      project.env.DATABASE_URL = saved
    }
  })
})
