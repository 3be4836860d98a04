import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { E_INVALID_CONFIG } from '../../errors'
import { MIN_SECRET_BYTES, type JwtAlgorithm } from './jwt_algorithms'

export interface JwtKeySource {
  algorithm: JwtAlgorithm
  /** JWT_SECRET_KEY (HS256). */
  secret?: string
  /** JWT_PRIVATE_KEY_PATH (RS256/ES256): needed to issue tokens only. */
  privateKeyPath?: string
  /** JWT_PUBLIC_KEY_PATH (RS256/ES256): needed to verify. */
  publicKeyPath?: string
  /** Relative key paths resolve against the project root. */
  basePath: string
}

/**
 * The keys of one algorithm, as KeyObjects created once. jsonwebtoken turns a
 * string key into a KeyObject on every call (and first tries to parse it as a
 * PEM public key): measured here, 600 µs per HS256 verification with a string
 * against 16 µs with a KeyObject.
 */
export interface JwtKeys {
  algorithm: JwtAlgorithm
  /** Undefined when only verification is possible (a public key without its private key). */
  signingKey?: KeyObject
  verifyKey: KeyObject
}

const KEY_GENERATE_HELP = 'Run `langvel key:generate` to write a strong key into .env (the same key on every worker and instance).'

/**
 * Loads the signing and verification keys for the configured algorithm.
 * Throws E_INVALID_CONFIG when a key is missing or does not fit the
 * algorithm, so a server refuses to start rather than failing per request.
 *
 * @example
 * const keys = loadJwtKeys({ algorithm: 'HS256', secret: process.env.JWT_SECRET_KEY, basePath: app.path() })
 */
export function loadJwtKeys(source: JwtKeySource): JwtKeys {
  if (source.algorithm === 'HS256') {
    const bytes = source.secret === undefined ? 0 : Buffer.byteLength(source.secret)
    if (bytes < MIN_SECRET_BYTES) {
      const problem = bytes === 0 ? 'is not set' : `is too short (${bytes} bytes, at least ${MIN_SECRET_BYTES} required)`
      throw new E_INVALID_CONFIG([`JWT_SECRET_KEY ${problem}: it is required to issue or verify tokens`], { help: KEY_GENERATE_HELP })
    }
    const key = createSecretKey(Buffer.from(source.secret as string, 'utf8'))
    return { algorithm: 'HS256', signingKey: key, verifyKey: key }
  }

  if (!source.publicKeyPath) throw new E_INVALID_CONFIG([`JWT_PUBLIC_KEY_PATH is required when JWT_ALGORITHM=${source.algorithm}`])
  const verifyKey = readKey('JWT_PUBLIC_KEY_PATH', source.publicKeyPath, source.basePath, (pem) => createPublicKey(pem))
  assertKeyFits('JWT_PUBLIC_KEY_PATH', verifyKey, source.algorithm)
  let signingKey: KeyObject | undefined
  if (source.privateKeyPath) {
    signingKey = readKey('JWT_PRIVATE_KEY_PATH', source.privateKeyPath, source.basePath, (pem) => createPrivateKey(pem))
    assertKeyFits('JWT_PRIVATE_KEY_PATH', signingKey, source.algorithm)
  }
  return { algorithm: source.algorithm, signingKey, verifyKey }
}

function readKey(name: string, path: string, basePath: string, parse: (pem: Buffer) => KeyObject): KeyObject {
  const file = isAbsolute(path) ? path : resolve(basePath, path)
  let pem: Buffer
  try {
    pem = readFileSync(file)
  } catch (error) {
    throw new E_INVALID_CONFIG([`${name}=${JSON.stringify(path)}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`])
  }
  try {
    return parse(pem)
  } catch {
    throw new E_INVALID_CONFIG([`${name}=${JSON.stringify(path)}: not a PEM key`])
  }
}

/** RS256 needs an RSA key (2048 bits or more); ES256 an EC key on P-256. */
function assertKeyFits(name: string, key: KeyObject, algorithm: JwtAlgorithm): void {
  const details = key.asymmetricKeyDetails ?? {}
  if (algorithm === 'RS256' && (key.asymmetricKeyType !== 'rsa' || (details.modulusLength ?? 0) < 2048)) {
    throw new E_INVALID_CONFIG([`${name}: RS256 needs an RSA key of at least 2048 bits`])
  }
  if (algorithm === 'ES256' && (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1')) {
    throw new E_INVALID_CONFIG([`${name}: ES256 needs an EC key on the P-256 curve (prime256v1)`])
  }
}
