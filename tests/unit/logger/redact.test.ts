import { Writable } from 'node:stream'
import winston from 'winston'
import { createLogger, isSecretKey, redact, redactString, REDACTED } from '../../../framework/logger'

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTEiLCJpYXQiOjE3MDAwMDAwMDB9.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const UNSIGNED_JWT = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTEifQ.'
// What generateApiKey() produces: lv_ + 32 random bytes in base64url (43 characters).
const API_KEY = 'lv_Jm3kQ9x-Vb2_ZpR7tLw0cYhN4sDfGuE1aKoI8nMqT5e'

describe('isSecretKey', () => {
  it.each([
    'token',
    'accessToken',
    'access_token',
    'refresh_token',
    'id_token',
    'apiToken',
    'x-auth-token',
    'GITHUB_TOKEN',
    'refreshTokens',
    'api_key',
    'apiKey',
    'x-api-key',
    'OPENAI_API_KEY',
    'openaiApiKey',
    'authorization',
    'Proxy-Authorization',
    'cookie',
    'set-cookie',
    'password',
    'passwd',
    'PGPASSWORD',
    'DB_PASS',
    'passphrase',
    'secret',
    'clientSecret',
    'jwtSecret',
    'JWT_SECRET_KEY',
    'private_key',
    'privateKey',
    'credentials',
    'signature',
  ])('%s is a secret', (key) => {
    expect(isSecretKey(key)).toBe(true)
  })

  it.each([
    'promptTokens',
    'completionTokens',
    'inputTokens',
    'outputTokens',
    'totalTokens',
    'maxTokens',
    'max_tokens',
    'LLM_MAX_TOKENS',
    'tokenCacheSize',
    'AUTH_TOKEN_CACHE_SIZE',
    'tokenizer',
    'tokensUsed',
    'estimatedUsage',
    'passCount',
    'model',
    'requestId',
  ])('%s is not a secret', (key) => {
    expect(isSecretKey(key)).toBe(false)
  })
})

describe('redactString', () => {
  it.each([
    ['a JWT', `session ${JWT}`, `session ${REDACTED}`],
    ['an unsigned JWT', UNSIGNED_JWT, REDACTED],
    ['a Langvel API key', `key=${API_KEY} used`, `key=${REDACTED} used`],
    ['a bearer credential', 'Bearer abc123def', `Bearer ${REDACTED}`],
    ['a lower-case bearer credential', 'authorization: bearer abc123def', `authorization: bearer ${REDACTED}`],
    ['a password in a URL', 'connecting to postgres://app:hunter22@db:5432/x', `connecting to postgres://app:${REDACTED}@db:5432/x`],
    ['a password without user in a URL', 'redis://:s3cret-pw@127.0.0.1:6379', `redis://:${REDACTED}@127.0.0.1:6379`],
    ['a secret query parameter', 'GET https://api.example/cb?page=2&access_token=abc123&x=1', `GET https://api.example/cb?page=2&access_token=${REDACTED}&x=1`],
    ['a JWT in an ordinary query parameter', `https://app.example/?state=${JWT}`, `https://app.example/?state=${REDACTED}`],
  ])('masks %s', (_kind, input, expected) => {
    expect(redactString(input)).toBe(expected)
  })

  it.each([
    'GET /agents/echo 200',
    'promptTokens=21 completionTokens=3',
    'table lv_migrations and lv_short_identifier_12345',
    'eyJust a word.and.more',
    'https://example.com/search?page=2&limit=10',
    'http://example.com:8080/x and ada@example.com',
    'version 1.2.3-beta.4',
  ])('leaves %p unchanged', (text) => {
    expect(redactString(text)).toBe(text)
  })

  it('scans nested query parameters without recursing: hostile text neither throws nor hides what it carries', () => {
    const hostile = '?a='.repeat(20_000)
    expect(redactString(hostile)).toBe(hostile)
    expect(redactString(`${'?a='.repeat(5_000)}${JWT}`)).toBe(`${'?a='.repeat(5_000)}${REDACTED}`)
  })
})

describe('redact', () => {
  it('keeps token counts and sizes, hides secrets by key and by value', () => {
    const value = {
      usage: { promptTokens: 21, completionTokens: 3, inputTokens: 21, outputTokens: 3, totalTokens: 24 },
      maxTokens: 1024,
      tokenCacheSize: 10_000,
      jwtSecret: 'x'.repeat(40),
      headers: { authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': 'k-123', accept: 'application/json' },
      refresh_token: 'opaque',
      note: `issued ${JWT}`,
      enabled: true,
    }

    expect(redact(value)).toEqual({
      usage: { promptTokens: 21, completionTokens: 3, inputTokens: 21, outputTokens: 3, totalTokens: 24 },
      maxTokens: 1024,
      tokenCacheSize: 10_000,
      jwtSecret: REDACTED,
      headers: { authorization: REDACTED, 'x-api-key': REDACTED, accept: 'application/json' },
      refresh_token: REDACTED,
      note: `issued ${REDACTED}`,
      enabled: true,
    })
  })

  it('logs model usage counts as numbers, next to a redacted key', () => {
    const lines: string[] = []
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk))
        callback()
      },
    })
    const logger = createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream, format: winston.format.json() })] })

    logger.debug('model call', { promptTokens: 21, completionTokens: 3, maxTokens: 300, accessToken: 'opaque-value' })

    expect(JSON.parse(lines[0])).toMatchObject({ promptTokens: 21, completionTokens: 3, maxTokens: 300, accessToken: REDACTED })
  })
})
