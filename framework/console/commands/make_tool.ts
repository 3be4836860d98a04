import { makeGenerator } from './make_generator'

/** `langvel make:tool <name> [--force]` */
export default makeGenerator('tool')
