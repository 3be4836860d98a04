import { createHmac } from 'node:crypto'
import { signWebhook, verifyWebhookSignature } from '../../../framework/webhooks/signature'

const secret = 's'.repeat(32)
const now = 1_733_000_000_000
const timestamp = String(now / 1000)
const deliveryId = '5b1c2f4e-8a0d-4c7b-9f3e-1d2a3b4c5d6e'
const body = '{"run_id":"r1","status":"success"}'

describe('webhook signatures', () => {
  it('is v1= and the hex HMAC-SHA256 of "<timestamp>.<delivery id>.<body>" keyed with the secret', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${deliveryId}.${body}`).digest('hex')
    expect(signWebhook(secret, Number(timestamp), deliveryId, body)).toBe(`v1=${expected}`)
  })

  it('verifies a signature made with the same secret, delivery id, body and timestamp', () => {
    const signature = signWebhook(secret, Number(timestamp), deliveryId, body)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId, signature, now })).toBe(true)
    expect(verifyWebhookSignature({ secret, body: Buffer.from(body), timestamp, deliveryId, signature, now })).toBe(true)
  })

  it('refuses the same request replayed under another delivery id (the id is signed)', () => {
    const signature = signWebhook(secret, Number(timestamp), deliveryId, body)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId: '00000000-0000-4000-8000-000000000000', signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId: undefined, signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId: `${deliveryId}.x`, signature, now })).toBe(false)
  })

  it('signs and verifies the raw bytes of the body, not a decoded string', () => {
    // Not valid UTF-8: decoding would turn both bodies into the same replacement characters.
    const raw = Buffer.from([0x7b, 0xff, 0xfe, 0x7d])
    const other = Buffer.from([0x7b, 0xfe, 0xff, 0x7d])
    expect(raw.toString('utf8')).toBe(other.toString('utf8'))
    const signature = signWebhook(secret, Number(timestamp), deliveryId, raw)
    expect(signature).toBe(`v1=${createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`${timestamp}.${deliveryId}.`), raw])).digest('hex')}`)
    expect(verifyWebhookSignature({ secret, body: raw, timestamp, deliveryId, signature, now })).toBe(true)
    expect(verifyWebhookSignature({ secret, body: other, timestamp, deliveryId, signature, now })).toBe(false)
  })

  it('refuses another body, another secret, another timestamp, a missing header and a truncated signature', () => {
    const signature = signWebhook(secret, Number(timestamp), deliveryId, body)
    expect(verifyWebhookSignature({ secret, body: body.replace('success', 'error'), timestamp, deliveryId, signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret: 't'.repeat(32), body, timestamp, deliveryId, signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp: String(Number(timestamp) + 1), deliveryId, signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp: undefined, deliveryId, signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId, signature: undefined, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId, signature: signature.slice(0, -2), now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp: '1e9', deliveryId, signature, now })).toBe(false)
  })

  it('refuses a signature older or newer than the tolerance (a replayed request)', () => {
    const signature = signWebhook(secret, Number(timestamp), deliveryId, body)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId, signature, now: now + 299_000 })).toBe(true)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId, signature, now: now + 301_000 })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId, signature, now: now - 301_000 })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, deliveryId, signature, now: now + 3_000_000, toleranceSeconds: 3600 })).toBe(true)
  })
})
