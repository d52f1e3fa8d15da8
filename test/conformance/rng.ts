/** The conformance suite draws from the shared seeded PRNG: the same seed gives the same workload and fault plan. */
export { createRng, type Rng } from '../support/rng.js';
