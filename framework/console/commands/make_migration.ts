import { makeGenerator } from './make_generator'

/** `langvel make:migration <name> [--force]` */
export default makeGenerator('migration')
