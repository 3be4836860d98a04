import { Pipeline, type Pipe } from '../../../framework/pipeline/pipeline'

interface Ctx {
  trail: string[]
  user?: string
}

describe('Pipeline', () => {
  it('runs middleware as an onion around the destination, outermost first', async () => {
    const ctx: Ctx = { trail: [] }
    const layer = (label: string): Pipe<Ctx, string> => async (c, next) => {
      c.trail.push(`${label}:before`)
      const result = await next()
      c.trail.push(`${label}:after`)
      return result
    }

    const result = await new Pipeline<Ctx, string>()
      .send(ctx)
      .through([layer('a'), layer('b')])
      .then((c) => {
        c.trail.push('destination')
        return 'done'
      })

    expect(result).toBe('done')
    expect(ctx.trail).toEqual(['a:before', 'b:before', 'destination', 'b:after', 'a:after'])
  })

  it('accepts named handler objects and lets a layer change the context and the result', async () => {
    const result = await new Pipeline<Ctx, string>()
      .send({ trail: [] })
      .through([
        { name: 'upper', handle: async (_c, next) => (await next()).toUpperCase() },
        { name: 'auth', handle: (c, next) => ((c.user = 'ada'), next()) },
      ])
      .then((c) => `hello ${c.user}`)

    expect(result).toBe('HELLO ADA')
  })

  it('stops the chain when a layer returns without calling next()', async () => {
    const destination = jest.fn(() => 'reached')
    const result = await new Pipeline<Ctx, string>()
      .send({ trail: [] })
      .through([async () => 'short-circuit', async (_c, next) => next()])
      .then(destination)

    expect(result).toBe('short-circuit')
    expect(destination).not.toHaveBeenCalled()
  })

  it('rejects when a middleware calls next() twice, and does not run the destination twice', async () => {
    const destination = jest.fn(() => 'once')
    const twice: Pipe<Ctx, string> = { name: 'greedy', handle: async (_c, next) => (await next()) + (await next()) }

    const run = new Pipeline<Ctx, string>().send({ trail: [] }).through([twice]).then(destination)

    await expect(run).rejects.toMatchObject({ code: 'E_RUNTIME', details: { middleware: 'greedy', reason: 'next_called_twice' } })
    expect(destination).toHaveBeenCalledTimes(1)
  })

  it('turns a synchronous throw in a middleware into a rejection that outer layers can catch', async () => {
    const seen: unknown[] = []
    const result = await new Pipeline<Ctx, string>()
      .send({ trail: [] })
      .through([
        async (_c, next) => {
          try {
            return await next()
          } catch (error) {
            seen.push(error)
            return 'recovered'
          }
        },
        () => {
          throw new Error('boom')
        },
      ])
      .then(() => 'unreached')

    expect(result).toBe('recovered')
    expect(seen).toHaveLength(1)
  })

  it('runs the destination directly with an empty stack', async () => {
    await expect(new Pipeline<Ctx, number>().send({ trail: [] }).then(() => 42)).resolves.toBe(42)
  })

  it('rejects then() before send()', async () => {
    await expect(new Pipeline<Ctx, number>().then(() => 1)).rejects.toMatchObject({ code: 'E_RUNTIME' })
  })

  it('composes once into a runner that can be called for many contexts', async () => {
    const run = Pipeline.compose<Ctx, string>([async (c, next) => ((c.user = c.trail[0]), next())], (c) => `hi ${c.user}`)

    await expect(Promise.all([run({ trail: ['x'] }), run({ trail: ['y'] })])).resolves.toEqual(['hi x', 'hi y'])
  })
})
