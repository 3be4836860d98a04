import { randomBytes } from 'node:crypto'
import jwt from 'jsonwebtoken'
import request from 'supertest'
import { ApiKeyService } from '../../../framework/auth/api_keys/api_key_service'
import type { ApiKeyStore } from '../../../framework/auth/api_keys/api_key_store'
import { DatabaseApiKeyStore } from '../../../framework/auth/api_keys/database_api_key_store'
import { RedisApiKeyStore } from '../../../framework/auth/api_keys/redis_api_key_store'
import type { Application } from '../../../framework/foundation/application'
import { DatabaseManager } from '../../../framework/database/database_manager'
import { RedisManager } from '../../../framework/redis/redis_manager'
import { up } from '../../../database/migrations/20260102000000_create_auth_tables'
import { POSTGRES_URL, REDIS_URL, describeWithPostgres, describeWithRedis } from '../../helpers/services'
import { TEST_SECRET, makeAuthServer, type AuthServer } from './support/auth_server'

const ROUTES = {
  '/whoami': ['auth'],
  '/admin': ['auth', 'can:admin.users'],
  '/keys-only': ['auth:api_key'],
}

interface Backend {
  env: Record<string, string>
  apiKeyStore(app: Application): ApiKeyStore
  setup(): Promise<void>
  teardown(): Promise<void>
}

function redisBackend(): Backend {
  const prefix = `test:auth-http:${randomBytes(4).toString('hex')}:`
  return {
    env: { AUTH_STORE: 'redis', REDIS_URL, REDIS_PREFIX: prefix },
    apiKeyStore: (app) => new RedisApiKeyStore(() => app.make('redis').connection(), { prefix }),
    setup: async () => undefined,
    async teardown() {
      const redis = new RedisManager({ url: REDIS_URL, prefix })
      const keys = await redis.connection().keys(`${prefix}*`)
      if (keys.length > 0) await redis.connection().del(...keys)
      await redis.close()
    },
  }
}

function postgresBackend(): Backend {
  const database = `langvel_auth_${randomBytes(6).toString('hex')}`
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${database}`
  const admin = () => {
    const adminUrl = new URL(POSTGRES_URL)
    adminUrl.pathname = '/postgres'
    return new DatabaseManager({ url: adminUrl.toString(), basePath: __dirname, pool: { min: 0, max: 1 } })
  }
  return {
    env: { AUTH_STORE: 'database', DATABASE_URL: url.toString() },
    apiKeyStore: (app) => new DatabaseApiKeyStore(() => app.make('db').connection()),
    async setup() {
      const db = admin()
      await db.connection().raw(`create database ${database}`)
      await db.close()
      const target = new DatabaseManager({ url: url.toString(), basePath: __dirname, pool: { min: 0, max: 1 } })
      await up(target.connection())
      await target.close()
    },
    async teardown() {
      const db = admin()
      await db.connection().raw(`drop database if exists ${database} with (force)`)
      await db.close()
    },
  }
}

const claims = (overrides: Record<string, unknown> = {}) => {
  const iat = Math.floor(Date.now() / 1000)
  return { sub: 'alice', permissions: ['agents.*'], jti: `hand-${randomBytes(4).toString('hex')}`, iat, exp: iat + 600, iss: 'langvel', aud: 'langvel', ...overrides }
}
const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function suite(name: string, makeBackend: () => Backend) {
  return () => {
    const backend = makeBackend()
    let t: AuthServer
    let http: ReturnType<typeof request>

    beforeAll(async () => {
      await backend.setup()
      t = await makeAuthServer(ROUTES, backend.env)
      http = request(t.server.express)
    })
    afterAll(async () => {
      await t?.close()
      await backend.teardown()
    })

    const issue = (subject = 'alice', permissions: string[] = ['agents.*']) => t.app.make('auth').tokens.issue(subject, { permissions }).token
    const invoke = (path: string, headers: Record<string, string> = {}, body: unknown = { input: { query: 'hi' } }) => {
      let req = http.post(`/agents${path}`)
      for (const [header, value] of Object.entries(headers)) req = req.set(header, value)
      return req.send(body as object)
    }

    it(`lets a valid JWT through, and the agent sees its principal (${name})`, async () => {
      const res = await invoke('/whoami', { Authorization: `Bearer ${issue('alice', ['agents.*'])}` }).expect(200)
      expect(res.body.output.principal).toMatchObject({ id: 'alice', type: 'user', permissions: ['agents.*'] })
    })

    it('lets a valid API key through in X-API-Key or as a Bearer token', async () => {
      const { key, record } = await t.app.make('auth').apiKeys.create('ci', { permissions: ['agents.run'] })
      for (const headers of [{ 'X-API-Key': key }, { Authorization: `Bearer ${key}` }] as Array<Record<string, string>>) {
        const res = await invoke('/whoami', headers).expect(200)
        expect(res.body.output.principal).toEqual({ id: record.id, type: 'api_key', permissions: ['agents.run'], claims: { name: 'ci' } })
      }
    })

    it('answers every kind of bad credential with the same 401, WWW-Authenticate: Bearer and no hint', async () => {
      const auth = t.app.make('auth')
      const revokedToken = issue()
      await auth.tokens.revoke(revokedToken)
      const revokedKey = await auth.apiKeys.create('revoked')
      await auth.apiKeys.revoke(revokedKey.record.id)
      const past = new ApiKeyService(backend.apiKeyStore(t.app), { now: () => Date.now() - 3600_000 })
      const expiredKey = await past.create('expired', { expiresInSeconds: 60 })
      const [header, , signature] = issue('alice', ['agents.read']).split('.')

      const cases: Record<string, Record<string, string>> = {
        missing: {},
        garbage: { Authorization: 'Bearer garbage' },
        'not bearer': { Authorization: `Basic ${Buffer.from('alice:secret').toString('base64')}` },
        'empty bearer': { Authorization: 'Bearer ' },
        tampered: { Authorization: `Bearer ${header}.${segment(claims({ permissions: ['*'] }))}.${signature}` },
        expired: { Authorization: `Bearer ${jwt.sign(claims({ iat: 1_000_000, exp: 1_000_600 }), TEST_SECRET, { algorithm: 'HS256' })}` },
        'issued in the future': { Authorization: `Bearer ${jwt.sign(claims({ iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 4200 }), TEST_SECRET, { algorithm: 'HS256' })}` },
        revoked: { Authorization: `Bearer ${revokedToken}` },
        'alg none': { Authorization: `Bearer ${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims())}.` },
        'wrong algorithm': { Authorization: `Bearer ${jwt.sign(claims(), TEST_SECRET, { algorithm: 'HS512' })}` },
        'wrong secret': { Authorization: `Bearer ${jwt.sign(claims(), randomBytes(48).toString('base64url'), { algorithm: 'HS256' })}` },
        'wrong issuer': { Authorization: `Bearer ${jwt.sign(claims({ iss: 'evil' }), TEST_SECRET, { algorithm: 'HS256' })}` },
        'unknown API key': { 'X-API-Key': `lv_${randomBytes(32).toString('base64url')}` },
        'malformed API key': { 'X-API-Key': 'hunter2' },
        'revoked API key': { 'X-API-Key': revokedKey.key },
        'expired API key': { 'X-API-Key': expiredKey.key },
      }
      const bodies = new Set<string>()
      for (const [kind, headers] of Object.entries(cases)) {
        const res = await invoke('/whoami', headers)
        expect({ kind, status: res.status }).toEqual({ kind, status: 401 })
        expect(res.headers['www-authenticate']).toBe('Bearer')
        const { trace_id: _trace, ...error } = res.body.error
        bodies.add(JSON.stringify(error))
      }
      expect([...bodies]).toEqual([JSON.stringify({ code: 'E_UNAUTHORIZED', message: 'Unauthenticated' })])
      expect(t.runner.calls.filter((call) => call.path === '/whoami').every((call) => call.options.context?.principal)).toBe(true)
    })

    it('ignores identity fields in the body and the input: the principal comes from the credential only', async () => {
      const forged = { user_id: 'admin', userId: 'admin', permissions: ['*'], roles: ['admin'], principal: { id: 'admin', type: 'system', permissions: ['*'] } }
      const res = await invoke('/whoami', { Authorization: `Bearer ${issue('alice', ['agents.read'])}` }, { input: forged, config: forged, ...forged }).expect(200)
      expect(res.body.output.principal).toMatchObject({ id: 'alice', type: 'user', permissions: ['agents.read'] })
      expect(res.body.output.input).toEqual(forged)

      await invoke('/whoami', {}, { input: forged, ...forged }).expect(401)
      await invoke('/admin', { Authorization: `Bearer ${issue('alice', ['agents.read'])}` }, { input: forged, ...forged }).expect(403)
    })

    it('answers 403 when the principal lacks the permission `can:` asks for, and 401 without credentials', async () => {
      await invoke('/admin', { Authorization: `Bearer ${issue('root', ['admin.*'])}` }).expect(200)
      await invoke('/admin', { Authorization: `Bearer ${issue('root', ['*'])}` }).expect(200)
      const forbidden = await invoke('/admin', { Authorization: `Bearer ${issue('alice', ['agents.*', 'admin'])}` }).expect(403)
      expect(forbidden.body.error.code).toBe('E_FORBIDDEN')
      await invoke('/admin').expect(401)
    })

    it('accepts only the guards a route names (`auth:api_key` refuses JWTs)', async () => {
      await invoke('/keys-only', { Authorization: `Bearer ${issue()}` }).expect(401)
      const { key } = await t.app.make('auth').apiKeys.create('guarded')
      await invoke('/keys-only', { 'X-API-Key': key }).expect(200)
    })

    it('honours one revocation on every server sharing the store, and tokens issued before a restart still work', async () => {
      const other = await makeAuthServer(ROUTES, backend.env)
      try {
        const token = issue('alice')
        const key = await t.app.make('auth').apiKeys.create('shared')
        await request(other.server.express).post('/agents/whoami').set('Authorization', `Bearer ${token}`).send({ input: {} }).expect(200)
        await request(other.server.express).post('/agents/whoami').set('X-API-Key', key.key).send({ input: {} }).expect(200)

        await t.app.make('auth').tokens.revoke(token)
        await t.app.make('auth').apiKeys.revoke(key.record.id)
        await request(other.server.express).post('/agents/whoami').set('Authorization', `Bearer ${token}`).send({ input: {} }).expect(401)
        await request(other.server.express).post('/agents/whoami').set('X-API-Key', key.key).send({ input: {} }).expect(401)

        const beforeRestart = other.app.make('auth').tokens.issue('carol').token
        await other.close()
        const restarted = await makeAuthServer(ROUTES, backend.env)
        try {
          const res = await request(restarted.server.express).post('/agents/whoami').set('Authorization', `Bearer ${beforeRestart}`).send({ input: {} }).expect(200)
          expect(res.body.output.principal.id).toBe('carol')
        } finally {
          await restarted.close()
        }
      } finally {
        await other.close()
      }
    })
  }
}

describeWithRedis('auth over HTTP, Redis store', suite('redis', redisBackend))
describeWithPostgres('auth over HTTP, PostgreSQL store', suite('postgres', postgresBackend))
