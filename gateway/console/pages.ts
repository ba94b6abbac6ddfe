// The console's pages, in one list: createConsole registers their routes in this order, the main
// menu is built from their `nav` entries, and the message catalogue (and so MessageKey) from their
// `messages`.
//
// Adding a page takes two places:
//   1. a folder pages/<page>/ with index.tsx exporting `definePage({ id, nav?, messages, routes })`,
//      its view(s) and its messages.ts (Dutch and English, checked by the compiler), and
//   2. one line in the list below.
// Nothing else changes: not createConsole, not the layout, not the shell's messages.
import { contractsPage } from './pages/contracts/index.tsx';
import { servicesPage } from './pages/services/index.tsx';
import { sessionPage } from './pages/session/index.tsx';
import { trafficPage } from './pages/traffic/index.tsx';

export const PAGES = [
  sessionPage,
  servicesPage,
  contractsPage,
  trafficPage,
] as const;
