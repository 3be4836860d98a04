import type { HttpContext } from '../../../framework/http/context'
import { compose, type HttpMiddleware } from '../../../framework/http/compose'

const ctx = {} as HttpContext

describe('compose', () => {
  it('runs middleware as an onion around the destination', async () => {
    const order: string[] = []
    const layer = (name: string): HttpMiddleware => ({
      name,
      async handle(_ctx, next) {
        order.push(`${name}:in`)
        await next()
        order.push(`${name}:out`)
      },
    })
    await compose([layer('a'), layer('b')], () => {
      order.push('handler')
    })(ctx)
    expect(order).toEqual(['a:in', 'b:in', 'handler', 'b:out', 'a:out'])
  })

  it('lets a middleware answer early without reaching the destination', async () => {
    let reached = false
    await compose([{ name: 'stop', handle: () => undefined }], () => {
      reached = true
    })(ctx)
    expect(reached).toBe(false)
  })

  it('refuses a second next() from the same middleware', async () => {
    const twice: HttpMiddleware = {
      name: 'twice',
      async handle(_ctx, next) {
        await next()
        await next()
      },
    }
    await expect(compose([twice], () => undefined)(ctx)).rejects.toMatchObject({ code: 'E_RUNTIME' })
  })
})
