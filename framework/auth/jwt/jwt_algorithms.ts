/** The signing algorithms Langvel accepts; verification pins the configured one. */
export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const

export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number]

/** HS256 needs at least 256 bits of key material. */
export const MIN_SECRET_BYTES = 32
