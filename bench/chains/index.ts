// The chains one `npm run bench` measures, in the order it measures them.
import type { Chain } from './chain.ts';
import { direct } from './direct.ts';
import { koppel, koppelBaseline } from './koppel.ts';
import { nginx } from './nginx.ts';
import { node } from './node.ts';

export const CHAINS: readonly Chain[] = [direct, nginx, node, koppel, koppelBaseline];

export { CHAIN_IDS } from './chain.ts';
export type { Chain, ChainContext, ChainId, ChainProcess } from './chain.ts';
export { createBenchPki } from './pki.ts';
export type { BenchPki } from './pki.ts';
