import { join } from 'node:path'
import { z } from 'zod'
import { defineConfig, discoverConfigFiles, env, loadConfig } from '../../../framework/config'
import { E_INVALID_CONFIG } from '../../../framework/errors'

const CONFIG_DIR = join(__dirname, '..', '..', '..', 'config')
const definitions = discoverConfigFiles(CONFIG_DIR)
const STRONG_KEY = 'k'.repeat(48)

function invalidConfigProblems(rawEnv: Record<string, string>): string[] {
  try {
    loadConfig(definitions, rawEnv)
  } catch (error) {
    expect(error).toBeInstanceOf(E_INVALID_CONFIG)
    expect((error as InstanceType<typeof E_INVALID_CONFIG>).code).toBe('E_INVALID_CONFIG')
    const details = (error as InstanceType<typeof E_INVALID_CONFIG>).details as Array<{ key: string; value: string; message: string }>
    return details.map(({ key, value, message }) => `${key}=${value}: ${message}`)
  }
  throw new Error('expected E_INVALID_CONFIG')
}

describe('loadConfig over the project config files', () => {
  it('resolves the embedded defaults from an empty environment', () => {
    const { values, appEnv } = loadConfig(definitions, {})
    expect(appEnv).toBe('development')
    expect(values.server).toMatchObject({ host: '127.0.0.1', port: 8000, agentTimeoutSeconds: 300, maxConcurrentRequests: 100, maxRequestBodyBytes: 10 * 1024 * 1024 })
    expect(values.database).toMatchObject({ url: undefined })
    expect(values.checkpointer).toMatchObject({ default: 'sqlite' })
    expect(values.llm).toMatchObject({ provider: 'fake' })
    expect(values.auth).toMatchObject({ jwtExpirySeconds: 3600 })
  })

  it('reports every invalid key at once with its value and the expected form', () => {
    const problems = invalidConfigProblems({ SERVER_PORT: 'abc', LLM_TEMPERATURE: '3', LOG_LEVEL: 'loud' })
    expect(problems).toHaveLength(3)
    expect(problems.find((p) => p.startsWith('SERVER_PORT="abc"'))).toContain('TCP port')
    expect(problems.find((p) => p.startsWith('LLM_TEMPERATURE="3"'))).toContain('between 0 and 2')
    expect(problems.find((p) => p.startsWith('LOG_LEVEL="loud"'))).toContain('one of: error, warn, info')
  })

  it('treats an empty value as unset', () => {
    const { values } = loadConfig(definitions, { SERVER_PORT: '', LOG_FORMAT: '' })
    expect((values.server as { port: number }).port).toBe(8000)
    expect((values.logging as { format?: string }).format).toBeUndefined()
  })

  it('parses booleans, lists, durations and URLs', () => {
    const { values } = loadConfig(definitions, {
      DEBUG: 'yes',
      CORS_ORIGINS: ' https://a.example.com , https://b.example.com,',
      JWT_EXPIRY: '15m',
      CHECKPOINT_REDIS_TTL: '2d',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
    })
    expect((values.app as { debug: boolean }).debug).toBe(true)
    expect((values.server as { corsOrigins: string[] }).corsOrigins).toEqual(['https://a.example.com', 'https://b.example.com'])
    expect((values.auth as { jwtExpirySeconds: number }).jwtExpirySeconds).toBe(900)
    expect((values.checkpointer as { redisTtlSeconds: number }).redisTtlSeconds).toBe(172800)
  })

  it('refuses malformed booleans, durations, URLs and out-of-range integers', () => {
    const problems = invalidConfigProblems({ DEBUG: 'maybe', JWT_EXPIRY: 'soon', DATABASE_URL: 'mysql://x', SERVER_WORKERS: '0', AGENT_TIMEOUT: '1.5' })
    expect(problems.map((p) => p.split('=')[0]).sort()).toEqual(['AGENT_TIMEOUT', 'DATABASE_URL', 'DEBUG', 'JWT_EXPIRY', 'SERVER_WORKERS'])
  })

  it('refuses a missing JWT secret in production and says how to fix it', () => {
    const problems = invalidConfigProblems({ APP_ENV: 'production' })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^JWT_SECRET_KEY=\(unset\)/)
    expect(problems[0]).toContain('langvel key:generate')
  })

  it('refuses a short JWT secret in production without printing it', () => {
    const problems = invalidConfigProblems({ APP_ENV: 'production', JWT_SECRET_KEY: 'short-secret' })
    expect(problems[0]).toContain('too short (12 bytes')
    expect(problems[0]).not.toContain('short-secret')
  })

  it('refuses a wildcard CORS origin in production', () => {
    const problems = invalidConfigProblems({ APP_ENV: 'production', JWT_SECRET_KEY: STRONG_KEY, CORS_ORIGINS: 'https://a.example.com,*' })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^CORS_ORIGINS=/)
  })

  it('only warns about the same problems in development', () => {
    const { warnings } = loadConfig(definitions, { APP_ENV: 'development', CORS_ORIGINS: '*' })
    expect(warnings.map((w) => w.key).sort()).toEqual(['CORS_ORIGINS', 'JWT_SECRET_KEY'])
  })

  it('accepts a complete production configuration', () => {
    const { appEnv, warnings } = loadConfig(definitions, { APP_ENV: 'production', JWT_SECRET_KEY: STRONG_KEY, CORS_ORIGINS: 'https://app.example.com' })
    expect(appEnv).toBe('production')
    expect(warnings).toEqual([])
  })
})

describe('defineConfig', () => {
  it('infers the resolved type and runs checks with the app environment', () => {
    const custom = defineConfig({
      env: { RETRIES: env.integer(3, 0, 10), MODE: env.enum(['a', 'b'], 'a') },
      resolve: (e) => ({ retries: e.RETRIES, mode: e.MODE }),
      check: (config, { appEnv }) =>
        config.retries === 0 && appEnv === 'production' ? [{ key: 'RETRIES', message: 'must be positive in production', severity: 'error' as const }] : [],
    })
    const loaded = loadConfig({ custom }, { RETRIES: '5', MODE: 'b' })
    expect(loaded.values.custom).toEqual({ retries: 5, mode: 'b' })
    expect(() => loadConfig({ app: definitions.app, custom }, { RETRIES: '0', APP_ENV: 'production', JWT_SECRET_KEY: STRONG_KEY })).toThrow(E_INVALID_CONFIG)
  })

  it('uses the zod schema it is given', () => {
    const custom = defineConfig({ env: { NAME: z.string().min(3) }, resolve: (e) => e.NAME })
    expect(() => loadConfig({ custom }, { NAME: 'ab' })).toThrow(/NAME="ab"/)
  })
})
