import { makeGenerator } from './make_generator'

/** `langvel make:middleware <name> [--force]` */
export default makeGenerator('middleware')
