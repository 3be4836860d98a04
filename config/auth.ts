import { defineConfig, type ConfigProblem } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { JWT_ALGORITHMS, MIN_SECRET_BYTES } from '../framework/auth/jwt/jwt_algorithms'

export { MIN_SECRET_BYTES }

export default defineConfig({
  env: {
    JWT_SECRET_KEY: env.optionalString(),
    JWT_EXPIRY: env.duration('1h'),
    JWT_MAX_TTL: env.duration('30d'),
    JWT_ALGORITHM: env.enum(JWT_ALGORITHMS, 'HS256'),
    JWT_PRIVATE_KEY_PATH: env.optionalString(),
    JWT_PUBLIC_KEY_PATH: env.optionalString(),
    JWT_ISSUER: env.string('langvel'),
    JWT_AUDIENCE: env.string('langvel'),
    JWT_CLOCK_TOLERANCE: env.integer(5, 0, 300),
    AUTH_STORE: env.enum(['database', 'redis'], 'database'),
    AUTH_TOKEN_CACHE_SIZE: env.integer(10_000, 0, 1_000_000),
    AUTH_STATUS_CACHE_MS: env.integer(0, 0, 5_000),
  },
  secrets: ['JWT_SECRET_KEY'],
  resolve: (e) => ({
    jwtSecret: e.JWT_SECRET_KEY,
    jwtExpirySeconds: e.JWT_EXPIRY,
    jwtMaxTtlSeconds: e.JWT_MAX_TTL,
    algorithm: e.JWT_ALGORITHM,
    privateKeyPath: e.JWT_PRIVATE_KEY_PATH,
    publicKeyPath: e.JWT_PUBLIC_KEY_PATH,
    issuer: e.JWT_ISSUER,
    audience: e.JWT_AUDIENCE,
    clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE,
    store: e.AUTH_STORE,
    tokenCacheSize: e.AUTH_TOKEN_CACHE_SIZE,
    statusCacheMs: e.AUTH_STATUS_CACHE_MS,
  }),
  check: (config, { appEnv }) => {
    const problems: ConfigProblem[] = []
    if (config.jwtExpirySeconds > config.jwtMaxTtlSeconds) {
      problems.push({ key: 'JWT_EXPIRY', message: `is longer than JWT_MAX_TTL (${config.jwtMaxTtlSeconds}s)`, severity: 'error' })
    }
    if (config.algorithm !== 'HS256') {
      // Asymmetric keys are never generated for the user: without the public key nothing verifies.
      if (!config.publicKeyPath) {
        problems.push({ key: 'JWT_PUBLIC_KEY_PATH', message: `is required when JWT_ALGORITHM=${config.algorithm} (a PEM public key file)`, severity: 'error' })
      }
      return problems
    }
    const bytes = config.jwtSecret === undefined ? 0 : Buffer.byteLength(config.jwtSecret)
    if (bytes >= MIN_SECRET_BYTES) return problems
    const problem = bytes === 0 ? 'is not set' : `is too short (${bytes} bytes, at least ${MIN_SECRET_BYTES} required)`
    problems.push({
      key: 'JWT_SECRET_KEY',
      message: `${problem}. Run \`langvel key:generate\` to write a strong key into .env`,
      severity: appEnv === 'production' ? 'error' : 'warning',
    })
    return problems
  },
})
