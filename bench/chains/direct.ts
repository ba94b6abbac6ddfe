// The backend itself: what every other chain is compared with.
import type { Chain } from './chain.ts';

export const direct: Chain = {
  id: 'direct',
  title: 'direct to the backend',
  tools: [],
  start: (ctx) => Promise.resolve(ctx.backend.url),
};
