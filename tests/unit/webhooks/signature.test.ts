import { createHmac } from 'node:crypto'
import { signWebhook, verifyWebhookSignature } from '../../../framework/webhooks/signature'

const secret = 's'.repeat(32)
const now = 1_733_000_000_000
const timestamp = String(now / 1000)
const body = '{"run_id":"r1","status":"success"}'

describe('webhook signatures', () => {
  it('is v1= and the hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret', () => {
    const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
    expect(signWebhook(secret, Number(timestamp), body)).toBe(`v1=${expected}`)
  })

  it('verifies a signature made with the same secret, body and timestamp', () => {
    const signature = signWebhook(secret, Number(timestamp), body)
    expect(verifyWebhookSignature({ secret, body, timestamp, signature, now })).toBe(true)
    expect(verifyWebhookSignature({ secret, body: Buffer.from(body), timestamp, signature, now })).toBe(true)
  })

  it('refuses another body, another secret, another timestamp, a missing header and a truncated signature', () => {
    const signature = signWebhook(secret, Number(timestamp), body)
    expect(verifyWebhookSignature({ secret, body: body.replace('success', 'error'), timestamp, signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret: 't'.repeat(32), body, timestamp, signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp: String(Number(timestamp) + 1), signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp: undefined, signature, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, signature: undefined, now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, signature: signature.slice(0, -2), now })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp: '1e9', signature, now })).toBe(false)
  })

  it('refuses a signature older or newer than the tolerance (a replayed request)', () => {
    const signature = signWebhook(secret, Number(timestamp), body)
    expect(verifyWebhookSignature({ secret, body, timestamp, signature, now: now + 299_000 })).toBe(true)
    expect(verifyWebhookSignature({ secret, body, timestamp, signature, now: now + 301_000 })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, signature, now: now - 301_000 })).toBe(false)
    expect(verifyWebhookSignature({ secret, body, timestamp, signature, now: now + 3_000_000, toleranceSeconds: 3600 })).toBe(true)
  })
})
