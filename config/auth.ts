import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

/** HS256 needs at least 256 bits of key material. */
export const MIN_SECRET_BYTES = 32

export default defineConfig({
  env: {
    JWT_SECRET_KEY: env.optionalString(),
    JWT_EXPIRY: env.duration('1h'),
  },
  secrets: ['JWT_SECRET_KEY'],
  resolve: (e) => ({
    jwtSecret: e.JWT_SECRET_KEY,
    jwtExpirySeconds: e.JWT_EXPIRY,
  }),
  check: (config, { appEnv }) => {
    const bytes = config.jwtSecret === undefined ? 0 : Buffer.byteLength(config.jwtSecret)
    if (bytes >= MIN_SECRET_BYTES) return []
    const problem = bytes === 0 ? 'is not set' : `is too short (${bytes} bytes, at least ${MIN_SECRET_BYTES} required)`
    return [
      {
        key: 'JWT_SECRET_KEY',
        message: `${problem}. Run \`langvel key:generate\` to write a strong key into .env`,
        severity: appEnv === 'production' ? 'error' : 'warning',
      },
    ]
  },
})
